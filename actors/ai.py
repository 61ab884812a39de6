"""AI actors: the natural-language query, reports and sentiment as jobs; the daily insights fan-out."""

from __future__ import annotations

import asyncio
from typing import Any

from actors.base import actor
from actors.middleware import runtime
from core.settings import Settings
from pipelines import activity
from pipelines.ai import insights, nlq, reports, sentiment


def _settings() -> Settings:
    assert runtime.settings is not None
    return runtime.settings


@actor(queue_name="ai", max_retries=0, time_limit_ms=180_000)
async def nl_query(org_id: int, app_id: int, question: str, audit: dict[str, Any] | None) -> dict[str, Any]:
    """POST /dashboard/query: the model's one SELECT, checked and run as the app's reader, then answered."""
    result = await nlq.answer(_settings(), org_id, app_id, question)
    details = {"app_id": app_id, "question": question, "sql": result["sql"], "rows": result["row_count"]}
    await activity.record_change(None, app_id, details, **activity.handed(audit))
    return result


@actor(queue_name="ai", max_retries=0, time_limit_ms=300_000)
async def ai_report(
    org_id: int, app_id: int, kind: str, user_id: int | None, audit: dict[str, Any] | None
) -> dict[str, Any]:
    """POST /ai/reports: compute, narrate and store one report."""
    return await reports.generate(_settings(), org_id, app_id, kind, user_id, audit)


@actor(queue_name="ai", max_retries=0, time_limit_ms=600_000)
async def review_sentiment(
    org_id: int, package_name: str | None, reviews: list[Any] | None, audit: dict[str, Any] | None
) -> dict[str, Any]:
    """POST /ai/sentiment: each review's label and score, and a summary."""
    parsed = (
        None
        if reviews is None
        else [sentiment.ReviewIn.model_validate(r) if isinstance(r, dict) else r for r in reviews]
    )
    result = await sentiment.analyze(_settings(), org_id, package_name, parsed)
    details = {"package_name": package_name, "reviews": len(result["results"]), "source": result["source"]}
    await activity.record_change(None, None, details, **activity.handed(audit))
    return result


@actor(queue_name="ai", max_retries=2, time_limit_ms=300_000)
async def app_insights(app_id: int) -> dict[str, Any]:
    """Recompute and cache one app's insights (the daily schedule sends one per app)."""
    payload = await insights.refresh(_settings(), app_id)
    return {"app_id": app_id, "anomalies": len(payload["anomalies"])}


@actor(queue_name="ai", max_retries=2, time_limit_ms=120_000)
async def compute_insights(tick: str) -> dict[str, int]:
    """Send app_insights for every app (AI_INSIGHTS_CRON, daily)."""
    app_ids = await insights.app_ids()
    for app_id in app_ids:
        await asyncio.to_thread(app_insights.send, app_id)
    return {"apps": len(app_ids)}
