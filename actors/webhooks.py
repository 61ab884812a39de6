"""Webhook actors: the fan-out after each ingest flush, one message per delivery attempt, pruning.

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
    for job in jobs:
        deliver.send(*job.args())


@actor(queue_name=QUEUE, priority=PRIORITY, max_retries=5, time_limit_ms=300_000)
async def fan_out(sdk_batches: list[list[Any]], devices: list[list[Any]]) -> int:
    """One delivery message per (webhook, event), (webhook, batch) or (webhook, new device)."""
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


@actor(queue_name=QUEUE, priority=PRIORITY, max_retries=3, time_limit_ms=120_000)
async def deliver(
    webhook_id: int, delivery_id: str, event: str, payload: dict[str, Any], attempt: int = 1
) -> str:
    """One attempt of one delivery; schedules the next attempt (a new message, delayed) after a failure."""
    assert runtime.settings is not None and runtime.redis is not None
    result = await webhookdelivery.attempt(runtime.settings, webhook_id, delivery_id, event, payload, attempt)
    if result.retry_in is not None:
        await asyncio.to_thread(
            deliver.send_with_options,
            args=(webhook_id, delivery_id, event, payload, attempt + 1),
            delay=int(result.retry_in * 1000),
        )
    if result.disabled:
        app_id = payload.get("app_id")
        if isinstance(app_id, int):
            await invalidate(runtime.redis, webhooks.CACHE_SCOPE, app_id)
    return result.status


@actor(queue_name=QUEUE, max_retries=3, time_limit_ms=3_600_000)
async def prune_webhook_deliveries(tick: str) -> int:
    """Delete delivery attempts past WEBHOOK_DELIVERY_RETENTION_DAYS (scheduled daily)."""
    assert runtime.settings is not None
    return await webhookdelivery.prune(runtime.settings)
