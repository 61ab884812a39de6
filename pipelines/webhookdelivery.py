"""Webhook deliveries (API.md section 9): what the fan-out sends, and one attempt of one delivery.

Fan-out: after an ingest flush commits, one message names the flush's batches of the apps that have
active webhooks (SDK batch: its receive time and event ids). `event_deliveries` reads back the events
each batch stored (a batch redelivered after a crash matches the same rows; an SDK retry of the same
event ids in a later batch has another receive time and matches none) and makes one delivery per
(webhook, event), or per (webhook, batch) for `event.batch`; `device_deliveries` one per (webhook, new
device) for `device.registered`. A delivery's id is derived from the webhook and what it carries
(uuid5), so a repeated fan-out repeats the same ids: receivers deduplicate on `webhook-id`. A webhook's
deliveries of one fan-out travel in messages of up to 50 (`attempt_many`: 16 requests at once); each keeps
its own id, attempts and retries (a retry is a message of its own).

Body: `{"id", "event", "app_id", "created_at", "data"}` (id = the delivery id, the same on every attempt,
also sent as `X-Vaimanasoft-Delivery` and `webhook-id`), signed by pipelines.outbound.

Attempts: 2xx is delivered. Anything else (3xx included: redirects are not followed; a refused target;
no answer within WEBHOOK_TIMEOUT_SECONDS) is retried after the next WEBHOOK_RETRY_SCHEDULE delay (+-10 %
jitter); when the schedule is spent the delivery has failed, and FAILURES_TO_DISABLE such failures in a
row (a success resets the count) disable the webhook, with the reason recorded. 410 Gone disables it at
once. Every attempt is a webhook_deliveries row, written with the webhook's new state in one transaction.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import BadRequest, ServiceUnavailable
from core.logging import get_logger
from core.models import Webhook
from core.settings import Settings
from pipelines import activity, outbound
from pipelines.webhooks import DEVICE_REGISTERED, EVENT_BATCH, Subscription, secret_of

log = get_logger(__name__)

FAILURES_TO_DISABLE = 20
JITTER = 0.1
_NAMESPACE = uuid.UUID("5b0e7c1e-9a43-4d0b-8c55-1f0f6f2c9a10")


@dataclass(frozen=True)
class Job:
    """One delivery to send: the delivery actor's arguments."""

    webhook_id: int
    delivery_id: str
    event: str
    payload: dict[str, Any]


def delivery_id(webhook_id: int, key: str) -> str:
    """The delivery id of what `key` names for this webhook: the same whenever it is fanned out again."""
    return str(uuid.uuid5(_NAMESPACE, f"{webhook_id}:{key}"))


def envelope(delivery: str, event: str, app_id: int, created_at: str | None, data: Any) -> dict[str, Any]:
    return {"id": delivery, "event": event, "app_id": app_id, "created_at": created_at, "data": data}


def received_at(received_ms: int) -> datetime:
    """A batch's receive time exactly as ingest stored it (pipelines.ingest._columns)."""
    return datetime.fromtimestamp(received_ms / 1000, UTC)


STORED_EVENTS = """
SELECT k.n, e.event_id::text AS event_id, e.event_type, e.event_data::text AS event_data, e.created_at,
       e.received_at, e.device_id, d.android_id
FROM unnest($2::uuid[], $3::timestamptz[], $4::int[]) AS k(event_id, received_at, n)
JOIN events e ON e.app_id = $1 AND e.event_id = k.event_id AND e.received_at = k.received_at
JOIN devices d ON d.id = e.device_id
ORDER BY k.n
"""


def _event_data(row: Any) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "device_id": row["device_id"],
        "android_id": row["android_id"],
        "event_data": orjson.loads(row["event_data"]),
        "created_at": iso(row["created_at"]),
        "received_at": iso(row["received_at"]),
    }


async def event_deliveries(
    app_id: int, batches: list[tuple[int, list[str]]], subs: tuple[Subscription, ...]
) -> list[Job]:
    """The deliveries of the events these SDK batches (receive ms, event ids) stored, for `subs`."""
    if not subs or not batches:
        return []
    ids, times, order = [], [], []
    for n, (received_ms, event_ids) in enumerate(batches):
        at = received_at(received_ms)
        ids += event_ids
        times += [at] * len(event_ids)
        order += [n] * len(event_ids)
    async with raw_connection() as conn:
        rows = await conn.fetch(STORED_EVENTS, app_id, ids, times, order)
    jobs: list[Job] = []
    per_batch: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        data = _event_data(row)
        per_batch.setdefault(row["n"], []).append(data)
        for sub in subs:
            if sub.wants_event(row["event_type"]):
                did = delivery_id(sub.webhook_id, f"event:{row['event_id']}")
                payload = envelope(did, row["event_type"], app_id, data["created_at"], data)
                jobs.append(Job(sub.webhook_id, did, row["event_type"], payload))
    for n, events in per_batch.items():
        received_ms = batches[n][0]
        for sub in subs:
            if sub.wants_batches:
                did = delivery_id(sub.webhook_id, f"batch:{received_ms}:{events[0]['event_id']}")
                data = {"count": len(events), "events": events}
                payload = envelope(did, EVENT_BATCH, app_id, iso(received_at(received_ms)), data)
                jobs.append(Job(sub.webhook_id, did, EVENT_BATCH, payload))
    return jobs


DEVICES = """
SELECT id, android_id, brand, model, android_version, app_version, country, install_type, user_segment,
       created_at
FROM devices WHERE app_id = $1 AND id = ANY($2::bigint[]) ORDER BY id
"""


async def device_deliveries(app_id: int, device_ids: list[int], subs: tuple[Subscription, ...]) -> list[Job]:
    """The `device.registered` deliveries of these new devices, for `subs`."""
    wanting = [s for s in subs if s.wants_devices]
    if not wanting or not device_ids:
        return []
    async with raw_connection() as conn:
        rows = await conn.fetch(DEVICES, app_id, device_ids)
    jobs = []
    for row in rows:
        data = {**dict(row), "device_id": row["id"], "created_at": iso(row["created_at"])}
        del data["id"]
        for sub in wanting:
            did = delivery_id(sub.webhook_id, f"device:{row['id']}")
            jobs.append(
                Job(
                    sub.webhook_id,
                    did,
                    DEVICE_REGISTERED,
                    envelope(did, DEVICE_REGISTERED, app_id, data["created_at"], data),
                )
            )
    return jobs


# --- attempts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """The outcome of one attempt; `retry_in` seconds when another is due."""

    status: str  # delivered | retrying | failed | skipped (webhook gone or disabled)
    status_code: int | None = None
    duration_ms: int | None = None
    body: str = ""
    error: str | None = None
    retry_in: float | None = None
    disabled: bool = False


RECORD = (
    "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, attempt, status, status_code, duration_ms, "
    "error, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())"
)
SUCCEEDED = "UPDATE webhooks SET failure_count = 0, last_delivery_at = now() WHERE id = $1"
GONE = (
    "UPDATE webhooks SET is_active = false, disabled_at = now(), disabled_reason = $2, updated_at = now() "
    "WHERE id = $1 AND is_active"
)
# Deliveries failed for good: that many more in a row; reaching FAILURES_TO_DISABLE disables the webhook.
FAILED = f"""
UPDATE webhooks SET failure_count = failure_count + $3,
    is_active = is_active AND failure_count + $3 < {FAILURES_TO_DISABLE},
    disabled_at = CASE WHEN is_active AND failure_count + $3 >= {FAILURES_TO_DISABLE} THEN now() ELSE disabled_at END,
    disabled_reason = CASE WHEN is_active AND failure_count + $3 >= {FAILURES_TO_DISABLE} THEN $2
                      ELSE disabled_reason END,
    updated_at = now()
WHERE id = $1
RETURNING NOT is_active AND disabled_at >= now() AS disabled_now
"""
IN_FLIGHT = 16  # requests at once per message of many deliveries


def _jittered(delay: float) -> float:
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


@dataclass(frozen=True)
class Try:
    """One attempt to make: attempt `number` of a delivery."""

    delivery: str
    event: str
    payload: dict[str, Any]
    number: int = 1


async def _send(
    settings: Settings, hook: Webhook, secret: str, item: Try
) -> tuple[int | None, int | None, str, str | None]:
    """(status code, ms, first KiB of the answer, error or None) of one signed POST."""
    try:
        result = await outbound.post_signed(
            hook.url,
            orjson.dumps(item.payload),
            secret=secret,
            message_id=item.delivery,
            event=item.event,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
            delivery_id=item.delivery,
        )
    except BadRequest as exc:
        return None, None, "", f"{exc.message}: {'; '.join(map(str, (exc.details or {}).values()))}"
    except ServiceUnavailable as exc:
        return None, None, "", exc.message
    return (
        result.status_code,
        result.duration_ms,
        result.body,
        None if result.ok else f"HTTP {result.status_code}",
    )


async def attempt_many(
    settings: Settings, webhook_id: int, items: list[Try], *, retries: bool = True
) -> list[Attempt]:
    """Make these attempts of the webhook's deliveries (IN_FLIGHT at once) and record them with the webhook's
    new state in one transaction (see the module docstring for what follows a failure). Without `retries`
    (the test route) only the attempt rows are written."""
    hook = await Webhook.get_or_none(id=webhook_id)
    if hook is None or (retries and not hook.is_active):
        return [Attempt("skipped") for _ in items]
    secret = secret_of(settings, hook)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(item: Try) -> Attempt:
        async with gate:
            code, duration, text, error = await _send(settings, hook, secret, item)
        delays = settings.webhook_retry_delays
        if error is None:
            return Attempt("delivered", code, duration, text)
        if retries and code != 410 and item.number <= len(delays):
            return Attempt("retrying", code, duration, text, error, _jittered(delays[item.number - 1]))
        return Attempt("failed", code, duration, text, error)

    results = await asyncio.gather(*(one(item) for item in items))
    rows = [
        (webhook_id, i.delivery, i.event, i.number, r.status, r.status_code, r.duration_ms, r.error)
        for i, r in zip(items, results)
    ]
    disabled = False
    exhausted = [r for r in results if r.status == "failed" and r.status_code != 410]
    async with raw_connection() as conn, conn.transaction():
        await conn.executemany(RECORD, rows)
        if not retries:  # the test route's activity entry (nothing is written outside a request)
            await activity.record_change(
                conn, webhook_id, {"status_code": results[0].status_code, "error": results[0].error}
            )
        elif any(r.status_code == 410 for r in results):
            disabled = await conn.execute(GONE, webhook_id, "The target answered 410 Gone") == "UPDATE 1"
        else:
            if any(r.status == "delivered" for r in results):
                await conn.execute(SUCCEEDED, webhook_id)
            if exhausted:
                reason = f"Disabled after {FAILURES_TO_DISABLE} consecutive failed deliveries (last: {exhausted[-1].error})"
                disabled = bool(await conn.fetchval(FAILED, webhook_id, reason, len(exhausted)))
    for item, result in zip(items, results):
        log.info(
            "webhook.attempt",
            webhook_id=webhook_id,
            delivery_id=item.delivery,
            webhook_event=item.event,
            attempt=item.number,
            status=result.status,
            status_code=result.status_code,
            error=result.error,
        )
    if disabled:
        log.warning("webhook.disabled", webhook_id=webhook_id)
    return [replace(r, disabled=disabled) for r in results]


async def attempt(
    settings: Settings,
    webhook_id: int,
    delivery: str,
    event: str,
    payload: dict[str, Any],
    number: int,
    *,
    retries: bool = True,
) -> Attempt:
    """Make attempt `number` of one delivery and record it (attempt_many of one)."""
    return (
        await attempt_many(settings, webhook_id, [Try(delivery, event, payload, number)], retries=retries)
    )[0]


async def send_test(settings: Settings, hook: Webhook) -> dict[str, Any]:
    """Send a `test` event through the delivery path now: `{status_code, response_ms, body, error}`."""
    delivery = str(uuid.uuid4())
    data = {"message": "A test delivery from Vaimanasoft", "webhook_id": hook.id}
    payload = envelope(delivery, "test", hook.app_id, iso(utcnow()), data)  # type: ignore[attr-defined]
    result = await attempt(settings, hook.id, delivery, "test", payload, 1, retries=False)
    return {
        "status_code": result.status_code,
        "response_ms": result.duration_ms,
        "body": result.body,
        "error": result.error,
    }


async def prune(settings: Settings) -> int:
    """Delete delivery attempts older than WEBHOOK_DELIVERY_RETENTION_DAYS; returns how many."""
    async with raw_connection() as conn:
        status = await conn.execute(
            "DELETE FROM webhook_deliveries WHERE at < now() - make_interval(days => $1)",
            settings.WEBHOOK_DELIVERY_RETENTION_DAYS,
        )
    return int(status.split()[-1])
