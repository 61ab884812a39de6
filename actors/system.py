"""Operational actors: the pipeline self-test and the scheduler heartbeat."""

from __future__ import annotations

from typing import Any

from actors.base import actor, report_progress
from actors.middleware import runtime
from pipelines import system


@actor(queue_name="default", max_retries=3, time_limit_ms=60_000)
async def selftest(seconds: float) -> dict[str, Any]:
    """Exercise the job path: sleep, then one database and one Redis round trip."""
    assert runtime.redis is not None
    return await system.selftest(runtime.redis, seconds, report_progress)


@actor(queue_name="default", max_retries=0, time_limit_ms=10_000)
async def scheduler_heartbeat(tick: str) -> None:
    """Record that a scheduled tick reached a worker (shown by /system/queue)."""
    assert runtime.redis is not None
    await system.record_heartbeat(runtime.redis, tick)
