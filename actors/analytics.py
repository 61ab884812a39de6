"""Analytics actors: funnels and paths run as jobs (API.md section 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from actors.base import actor
from pipelines import analytics


def _period(start: str, end: str) -> analytics.Period:
    return analytics.Period(date.fromisoformat(start), date.fromisoformat(end))


@actor(queue_name="default", max_retries=0, time_limit_ms=600_000)
async def funnel(
    org_id: int, app_id: int, steps: list[str], start: str, end: str, window_hours: int
) -> dict[str, Any]:
    """POST /analytics/funnel: devices per step, conversions and median times."""
    return await analytics.funnel(org_id, app_id, steps, _period(start, end), window_hours)


@actor(queue_name="default", max_retries=0, time_limit_ms=600_000)
async def paths(
    org_id: int, app_id: int, start_event: str, depth: int, limit: int, start: str, end: str
) -> dict[str, Any]:
    """POST /analytics/paths: the most common paths from each device's first start event."""
    return await analytics.paths(org_id, app_id, start_event, depth, limit, _period(start, end))
