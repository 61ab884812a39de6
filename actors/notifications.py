"""Push actors: plan a push into batches (fan-out: one message per batch of 500), send a batch, and the
every-minute pick-up of scheduled pushes that are due."""

from __future__ import annotations

import asyncio

from actors.base import actor
from actors.middleware import runtime
from pipelines import notifications

QUEUE = "push"


@actor(queue_name=QUEUE, max_retries=5, time_limit_ms=300_000)
async def start_notification(notification_id: int) -> dict[str, int]:
    """Plan the push's batches (once) and send one message per pending batch."""
    batches = await notifications.plan(notification_id)

    def send_all() -> None:
        for batch in batches:
            send_notification_batch.send(notification_id, batch)

    await asyncio.to_thread(send_all)
    return {"batches": len(batches)}


@actor(queue_name=QUEUE, max_retries=3, time_limit_ms=300_000)
async def send_notification_batch(notification_id: int, batch: int) -> dict[str, int]:
    """Send one batch of at most 500 devices through FCM (safe to run twice: the batch is claimed)."""
    assert runtime.settings is not None
    return await notifications.send_batch(runtime.settings, notification_id, batch)


@actor(queue_name="default", max_retries=3, time_limit_ms=60_000)
async def send_due_notifications(tick: str) -> dict[str, int]:
    """Start every scheduled push whose send_at has come (scheduled every minute)."""
    due = await notifications.claim_due()

    def send_all() -> None:
        for notification_id in due:
            start_notification.send(notification_id)

    await asyncio.to_thread(send_all)
    return {"started": len(due)}
