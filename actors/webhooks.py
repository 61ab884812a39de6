"""Webhook actors: the fan-out after each ingest flush, first attempts by webhook in messages of up to 50
deliveries, each retry a delayed message of its own, and pruning.

They run on the `webhooks` queue at a lower priority than ingest (Dramatiq's actor priority: a worker
takes ingest messages first), so a backlog of deliveries never slows event storage.
"""

from __future__ import annotations

import asyncio
from typing import Any

from actors.base import actor
from actors.middleware import runtime, watch_invalidations
from core.appcache import AppCache
from core.logging import get_logger
from core.pubsub import invalidate
from pipelines import webhookdelivery, webhooks
from pipelines.webhookdelivery import Job

log = get_logger(__name__)
QUEUE = "webhooks"
PRIORITY = 10  # ingest has Dramatiq's default 0: lower numbers run first
CHUNK = 50  # deliveries of one webhook per message (an SDK batch's worth)

# app_id -> its active webhooks, in this worker process; dropped on every change (core.pubsub).
subscriptions: AppCache[tuple[webhooks.Subscription, ...]] = AppCache(
    webhooks.CACHE_SCOPE, webhooks.subscriptions
)
watch_invalidations(subscriptions)


async def after_flush(batches: list[dict[str, Any]], new_devices: dict[int, list[int]]) -> None:
    """The ingest flush's hook (after its commit): one fan-out message for the apps with webhooks, none
    when no app of the flush has any (decided from the in-process cache)."""
    hooked = {
        app_id
        for app_id in {b["app_id"] for b in batches} | set(new_devices)
        if await subscriptions.get(app_id)
    }
    if not hooked:
        return
    sdk_batches = [
        [b["app_id"], b["received_ms"], [event[4] for event in b["events"]]]
        for b in batches
        if b["app_id"] in hooked
    ]
    devices = [[app_id, ids] for app_id, ids in new_devices.items() if app_id in hooked]
    await asyncio.to_thread(fan_out.send, sdk_batches, devices)


def _send_all(jobs: list[Job]) -> None:
    """One message per webhook and CHUNK deliveries (each delivery keeps its own id, attempts and retries;
    carrying them together keeps the broker's work per event small)."""
    by_webhook: dict[int, list[list[Any]]] = {}
    for job in jobs:
        by_webhook.setdefault(job.webhook_id, []).append([job.delivery_id, job.event, job.payload])
    for webhook_id, items in by_webhook.items():
        for i in range(0, len(items), CHUNK):
            deliver_many.send(webhook_id, items[i : i + CHUNK])


@actor(queue_name=QUEUE, priority=PRIORITY, max_retries=5, time_limit_ms=300_000)
async def fan_out(sdk_batches: list[list[Any]], devices: list[list[Any]]) -> int:
    """The deliveries of a flush: per (webhook, event), (webhook, batch) or (webhook, new device)."""
    by_app: dict[int, list[tuple[int, list[str]]]] = {}
    for app_id, received_ms, event_ids in sdk_batches:
        by_app.setdefault(app_id, []).append((received_ms, event_ids))
    jobs: list[Job] = []
    for app_id, batches in by_app.items():
        jobs += await webhookdelivery.event_deliveries(app_id, batches, await subscriptions.get(app_id))
    for app_id, device_ids in devices:
        jobs += await webhookdelivery.device_deliveries(app_id, device_ids, await subscriptions.get(app_id))
    await asyncio.to_thread(_send_all, jobs)
    return len(jobs)


async def _follow_up(
    webhook_id: int, items: list[webhookdelivery.Try], results: list[webhookdelivery.Attempt]
) -> None:
    """Schedule the next attempt of each delivery that is retrying; tell every process when one disabled it."""
    assert runtime.redis is not None

    def schedule() -> None:
        for item, result in zip(items, results):
            if result.retry_in is not None:
                deliver.send_with_options(
                    args=(webhook_id, item.delivery, item.event, item.payload, item.number + 1),
                    delay=int(result.retry_in * 1000),
                )

    await asyncio.to_thread(schedule)
    app_id = items[0].payload.get("app_id") if items else None
    if any(r.disabled for r in results) and isinstance(app_id, int):
        await invalidate(runtime.redis, webhooks.CACHE_SCOPE, app_id)


@actor(queue_name=QUEUE, priority=PRIORITY, max_retries=3, time_limit_ms=300_000)
async def deliver_many(webhook_id: int, items: list[list[Any]]) -> int:
    """The first attempt of up to CHUNK deliveries of one webhook (16 requests at once)."""
    assert runtime.settings is not None
    tries = [webhookdelivery.Try(delivery, event, payload) for delivery, event, payload in items]
    results = await webhookdelivery.attempt_many(runtime.settings, webhook_id, tries)
    await _follow_up(webhook_id, tries, results)
    return sum(r.status == "delivered" for r in results)


@actor(queue_name=QUEUE, priority=PRIORITY, max_retries=3, time_limit_ms=120_000)
async def deliver(
    webhook_id: int, delivery_id: str, event: str, payload: dict[str, Any], attempt: int = 1
) -> str:
    """One attempt of one delivery; schedules the next attempt (a new message, delayed) after a failure."""
    assert runtime.settings is not None
    item = webhookdelivery.Try(delivery_id, event, payload, attempt)
    results = await webhookdelivery.attempt_many(runtime.settings, webhook_id, [item])
    await _follow_up(webhook_id, [item], results)
    return results[0].status


@actor(queue_name=QUEUE, max_retries=3, time_limit_ms=3_600_000)
async def prune_webhook_deliveries(tick: str) -> int:
    """Delete delivery attempts past WEBHOOK_DELIVERY_RETENTION_DAYS (scheduled daily)."""
    assert runtime.settings is not None
    return await webhookdelivery.prune(runtime.settings)
