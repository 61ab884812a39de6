"""Alert actors: the 15-minute evaluation fans out one message per app with active rules."""

from __future__ import annotations

import asyncio

from actors.base import actor
from actors.middleware import runtime
from pipelines import alerts


@actor(queue_name="default", max_retries=3, time_limit_ms=900_000)
async def evaluate_app_alerts(app_id: int) -> dict[str, int]:
    """Evaluate one app's active alert rules now and notify (POST /alerts/evaluate, and the schedule)."""
    assert runtime.settings is not None
    return await alerts.evaluate_app(runtime.settings, app_id)


@actor(queue_name="default", max_retries=3, time_limit_ms=120_000)
async def evaluate_alerts(tick: str) -> dict[str, int]:
    """Send evaluate_app_alerts for every app with an active rule (scheduled every 15 minutes)."""
    app_ids = await alerts.apps_with_active_rules()
    for app_id in app_ids:
        await asyncio.to_thread(evaluate_app_alerts.send, app_id)
    return {"apps": len(app_ids)}
