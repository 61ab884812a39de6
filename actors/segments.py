"""Segment actors: the nightly reclassification of built-in segments."""

from __future__ import annotations

from actors.base import actor
from actors.middleware import runtime
from pipelines import segments


@actor(queue_name="default", max_retries=3, time_limit_ms=3_600_000)
async def reclassify_devices(tick: str) -> dict[str, int]:
    """Move devices whose built-in segment changed by time alone (scheduled nightly)."""
    return await segments.reclassify_all(runtime.redis)
