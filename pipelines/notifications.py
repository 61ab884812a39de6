"""Push notifications (API.md section 5): checked up front, planned in batches of 500, sent through FCM.

A push targets one device, a built-in segment, a custom segment (its members as of its last
calculation) or all devices of the app; only devices with an FCM token count. It is sent now or at
`send_at` (a schedule every minute, NOTIFICATIONS_CRON, picks up the due ones: the claim is one UPDATE,
so two schedulers or two ticks never send it twice); a scheduled one can be cancelled until then.

Sending: `plan` (one actor message) stores the target's device ids in batches of 500 and answers the
batches to send, one actor message each; `send_batch` claims its batch (pending -> sending; a batch left
`sending` by a dead worker for CLAIM_LEASE is taken again), sends it with pipelines.push, clears stale
tokens from their devices, and adds its counts to the notification, the last batch setting the final
status: delivered (nothing failed), partial, or failed (nothing sent). The data sent carries
`notification_id`, so the app's `notification_clicked` events (event_data.notification_id) count opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from core.models import App, CustomSegment, Device, Notification
from core.settings import Settings
from pipelines import activity, apps, credentials, push

BATCH_SIZE = push.MAX_BATCH
HISTORY_LIMIT = 50
MAX_PAYLOAD = 4096  # FCM's limit on a notification message: title, body and data
MAX_AHEAD = timedelta(days=366)
CLAIM_LEASE = "10 minutes"
RESERVED_KEYS = {"from", "notification", "message_type", "notification_id"}
RESERVED_PREFIXES = ("google.", "gcm.")
SEGMENTS = ("churned", "dormant", "power_user", "new", "active", "casual")
NO_CREDENTIALS = (
    "FCM is not configured for this app: upload its Firebase service-account JSON with "
    "PUT /api/v4/apps/{id}/fcm-credentials"
)

TARGET_SQL = {
    "device": "AND id = $2",
    "segment": "AND user_segment = $2",
    "custom_segment": "AND id IN (SELECT device_id FROM custom_segment_members WHERE segment_id = $2)",
    "all": "",
}


@dataclass(frozen=True)
class PushRequest:
    """A push as the route validated it."""

    app_id: int
    target: str
    title: str
    body: str
    data: dict[str, str]
    device_id: int | None = None
    segment: str | None = None
    segment_id: int | None = None
    send_at: datetime | None = None


def payload_size(title: str, body: str, data: dict[str, str]) -> int:
    """Bytes FCM counts against its 4 KiB: title, body, and data keys and values (ours included)."""
    text = title + body + "".join(k + v for k, v in data.items()) + "notification_id" + "2147483647"
    return len(text.encode())


def check_payload(title: str, body: str, data: dict[str, str]) -> None:
    """400 for reserved data keys or a payload over FCM's MAX_PAYLOAD bytes."""
    for key in data:
        if key in RESERVED_KEYS or key.startswith(RESERVED_PREFIXES):
            raise BadRequest("Invalid notification", {f"data.{key}": "reserved by FCM or the platform"})
    size = payload_size(title, body, data)
    if size > MAX_PAYLOAD:
        raise BadRequest(
            "Invalid notification",
            {"body": f"title, body and data take {size} bytes; FCM allows {MAX_PAYLOAD} per message"},
        )


def _target_value(request: PushRequest) -> Any:
    return {
        "device": request.device_id,
        "segment": request.segment,
        "custom_segment": request.segment_id,
    }.get(request.target)


async def _target_count(app_id: int, target: str, value: Any) -> int:
    sql = f"SELECT count(*) FROM devices WHERE app_id = $1 AND fcm_token IS NOT NULL {TARGET_SQL[target]}"
    async with raw_connection() as conn:
        return await conn.fetchval(sql, app_id, *([] if target == "all" else [value]))


def notification_body(n: Notification, opened: int = 0) -> dict[str, Any]:
    return {
        "id": n.id,
        "app_id": n.app_id,  # type: ignore[attr-defined]
        "title": n.title,
        "body": n.body,
        "data": n.data,
        "target": n.target,
        "segment": n.segment,
        "segment_id": n.segment_id,
        "device_id": n.device_id,
        "target_count": n.target_count,
        "status": n.status,
        "sent": n.sent,
        "failed": n.failed,
        "opened": opened,
        "error": n.error,
        "send_at": iso(n.send_at),
        "sent_at": iso(n.sent_at),
        "finished_at": iso(n.finished_at),
        "created_at": iso(n.created_at),
    }


async def create(org_id: int, user_id: int | None, request: PushRequest) -> Notification:
    """Check and store a push (status `sending`, or `scheduled` when send_at is ahead): 404 for another
    org's app, device or segment, 400 for a bad payload or time, 503 without FCM credentials."""
    app = await apps.get_app(org_id, request.app_id)
    if request.target == "device" and not await Device.exists(id=request.device_id, app_id=app.id):
        raise NotFound("Device not found")
    if request.target == "custom_segment":
        await apps.get_app_object(CustomSegment, org_id, request.segment_id or 0, app.id, "Segment")
    check_payload(request.title, request.body, request.data)
    now = utcnow()
    send_at = request.send_at
    if send_at is not None and send_at - now > MAX_AHEAD:
        raise BadRequest("Invalid notification", {"send_at": "at most a year ahead"})
    if not app.fcm_credentials:
        raise ServiceUnavailable(NO_CREDENTIALS.format(id=app.id))
    scheduled = send_at is not None and send_at > now
    count = await _target_count(app.id, request.target, _target_value(request))
    async with in_transaction() as conn:
        notification = await Notification.create(
            app_id=app.id,
            title=request.title,
            body=request.body,
            data=request.data,
            target=request.target,
            segment=request.segment if request.target == "segment" else None,
            segment_id=request.segment_id if request.target == "custom_segment" else None,
            device_id=request.device_id if request.target == "device" else None,
            target_count=count,
            status="scheduled" if scheduled else "sending",
            send_at=send_at if scheduled else None,
            created_by=user_id,
            using_db=conn,
        )
        await activity.record_change(
            conn, notification.id, {"after": {**notification_body(notification), "data": request.data}}
        )
    return notification


async def history(org_id: int, app_id: int) -> list[dict[str, Any]]:
    """The app's last HISTORY_LIMIT pushes, newest first, with opens (devices with a notification_clicked
    event naming the push)."""
    app = await apps.get_app(org_id, app_id)
    notifications = await Notification.filter(app_id=app.id).order_by("-id").limit(HISTORY_LIMIT)
    async with raw_connection() as conn:
        rows = await conn.fetch(
            "SELECT e.event_data ->> 'notification_id' AS id, count(DISTINCT e.device_id) AS opened FROM events e "
            "WHERE e.app_id = $1 AND e.event_type = 'notification_clicked' "
            "AND (e.event_data ->> 'notification_id') = ANY($2::text[]) GROUP BY 1",
            app.id,
            [str(n.id) for n in notifications],
        )
    opened = {r["id"]: r["opened"] for r in rows}
    return [notification_body(n, opened.get(str(n.id), 0)) for n in notifications]


async def cancel(org_id: int, notification_id: int) -> Notification:
    """Cancel a scheduled push: 409 once it is sending (or done, or cancelled)."""
    notification = await apps.get_app_object(Notification, org_id, notification_id, None, "Notification")
    async with raw_connection() as conn, conn.transaction():
        status = await conn.fetchval(
            "UPDATE notifications SET status = 'cancelled', updated_at = now() "
            "WHERE id = $1 AND status = 'scheduled' RETURNING status",
            notification.id,
        )
        if status is None:
            current = await conn.fetchval("SELECT status FROM notifications WHERE id = $1", notification.id)
            raise Conflict(f"Notification is {current}: only a scheduled one can be cancelled")
        await activity.record_change(
            conn, notification.id, {"before": {"status": "scheduled"}, "after": {"status": "cancelled"}}
        )
    notification.status = "cancelled"
    return notification


async def abandon(notification_id: int, reason: str) -> None:
    """Mark a push that could not be queued as failed, so the schedule's recovery never sends it later."""
    async with raw_connection() as conn:
        await conn.execute(
            "UPDATE notifications SET status = 'failed', error = $2, finished_at = now(), updated_at = now() "
            "WHERE id = $1 AND status = 'sending' AND planned_at IS NULL",
            notification_id,
            reason,
        )


# --- sending --------------------------------------------------------------------------------------------


async def claim_due(limit: int = 100) -> list[int]:
    """Scheduled pushes whose time has come, claimed (status -> sending) so no other tick sends them; and
    claimed ones whose planning never happened (a worker died in between), to plan again."""
    async with raw_connection() as conn:
        rows = await conn.fetch(
            "UPDATE notifications SET status = 'sending', updated_at = now() WHERE id IN ("
            "  SELECT id FROM notifications WHERE status = 'scheduled' AND send_at <= now() "
            "  ORDER BY send_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id",
            limit,
        )
        stuck = await conn.fetch(
            "SELECT id FROM notifications WHERE status = 'sending' AND planned_at IS NULL "
            "AND updated_at < now() - interval '5 minutes' LIMIT $1",
            limit,
        )
    return [r["id"] for r in rows] + [r["id"] for r in stuck]


async def plan(notification_id: int) -> list[int]:
    """Store the push's batches (once) and answer those still pending."""
    async with raw_connection() as conn:
        async with conn.transaction():
            row = await conn.fetchrow(
                "UPDATE notifications SET planned_at = now(), sent_at = now(), updated_at = now() "
                "WHERE id = $1 AND status = 'sending' AND planned_at IS NULL "
                "RETURNING app_id, target, device_id, segment, segment_id",
                notification_id,
            )
            if row is not None:
                value = {
                    "device": row["device_id"],
                    "segment": row["segment"],
                    "custom_segment": row["segment_id"],
                }
                sql = (
                    f"SELECT id FROM devices WHERE app_id = $1 AND fcm_token IS NOT NULL "
                    f"{TARGET_SQL[row['target']]} ORDER BY id"
                )
                args = [row["app_id"]] + ([] if row["target"] == "all" else [value[row["target"]]])
                ids = [r["id"] for r in await conn.fetch(sql, *args)]
                chunks = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
                await conn.executemany(
                    "INSERT INTO notification_batches (notification_id, batch, device_ids) VALUES ($1, $2, $3)",
                    [(notification_id, n, chunk) for n, chunk in enumerate(chunks)],
                )
                await conn.execute(
                    "UPDATE notifications SET batches = $2, target_count = $3, "
                    "status = CASE WHEN $2 = 0 THEN 'failed' ELSE status END, "
                    "error = CASE WHEN $2 = 0 THEN 'No target device has an FCM token' END, "
                    "finished_at = CASE WHEN $2 = 0 THEN now() END WHERE id = $1",
                    notification_id,
                    len(chunks),
                    len(ids),
                )
        pending = await conn.fetch(
            "SELECT batch FROM notification_batches WHERE notification_id = $1 AND status = 'pending' ORDER BY batch",
            notification_id,
        )
    return [r["batch"] for r in pending]


FINISH_BATCH = """
WITH done AS (
    UPDATE notification_batches SET status = 'done', sent = $3, failed = $4
    WHERE notification_id = $1 AND batch = $2 AND status = 'sending' RETURNING 1
)
UPDATE notifications SET sent = sent + $3, failed = failed + $4, batches_done = batches_done + 1,
    error = COALESCE(error, $5), updated_at = now(),
    status = CASE WHEN batches_done + 1 < batches THEN status
                  WHEN failed + $4 = 0 THEN 'delivered' WHEN sent + $3 = 0 THEN 'failed' ELSE 'partial' END,
    finished_at = CASE WHEN batches_done + 1 >= batches THEN now() END
WHERE id = $1 AND EXISTS (SELECT 1 FROM done)
"""


async def send_batch(settings: Settings, notification_id: int, batch: int) -> dict[str, int]:
    """Send one batch once (see the module docstring); {"sent", "failed", "cleared"}."""
    async with raw_connection() as conn:
        device_ids = await conn.fetchval(
            "UPDATE notification_batches SET status = 'sending', claimed_at = now() "
            f"WHERE notification_id = $1 AND batch = $2 AND (status = 'pending' OR "
            f"(status = 'sending' AND claimed_at < now() - interval '{CLAIM_LEASE}')) RETURNING device_ids",
            notification_id,
            batch,
        )
        if device_ids is None:
            return {"sent": 0, "failed": 0, "cleared": 0}
        notification = await Notification.get(id=notification_id)
        app = await App.get(id=notification.app_id)  # type: ignore[attr-defined]
        rows = await conn.fetch(
            "SELECT fcm_token FROM devices WHERE id = ANY($1::bigint[]) AND app_id = $2 AND fcm_token IS NOT NULL",
            device_ids,
            app.id,
        )
    tokens = [r["fcm_token"] for r in rows]
    data = {**notification.data, "notification_id": str(notification.id)}
    account = credentials.fcm_service_account(settings.SECRET_KEY, app)
    try:
        if account is None:
            raise ServiceUnavailable(NO_CREDENTIALS.format(id=app.id))
        result = await push.send_batch(
            settings, app.id, account, tokens, notification.title, notification.body, data
        )
    except ServiceUnavailable as exc:
        result = push.BatchResult(failed=len(tokens), error=exc.message)
    async with raw_connection() as conn, conn.transaction():
        if result.stale:
            await conn.execute(
                "UPDATE devices SET fcm_token = NULL, updated_at = now() WHERE app_id = $1 AND fcm_token = ANY($2::text[])",
                app.id,
                result.stale,
            )
        await conn.execute(FINISH_BATCH, notification_id, batch, result.sent, result.failed, result.error)
    return {"sent": result.sent, "failed": result.failed, "cleared": len(result.stale)}
