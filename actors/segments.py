"""Segment actors: the nightly reclassification of built-in segments."""

from __future__ import annotations

from actors.base import actor
from actors.middleware import runtime
from pipelines import customsegments, segments


@actor(queue_name="default", max_retries=3, time_limit_ms=3_600_000)
async def reclassify_devices(tick: str) -> dict[str, int]:
    """Move devices whose built-in segment changed by time alone (scheduled nightly)."""
    return await segments.reclassify_all(runtime.redis)


@actor(queue_name="default", max_retries=3, time_limit_ms=600_000)
async def recalculate_segment(segment_id: int) -> dict[str, int]:
    """Store a custom segment's members as its rules select them now (POST /segments/{id}/recalculate)."""
    return await customsegments.recalculate(runtime.redis, segment_id)


@actor(queue_name="default", max_retries=3, time_limit_ms=3_600_000)
async def recalculate_segments(tick: str) -> dict[str, int]:
    """Recalculate every active custom segment (scheduled nightly)."""
    return await customsegments.recalculate_all(runtime.redis)
