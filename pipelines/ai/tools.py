"""The read-only analytics tools the chat assistant may call, always on behalf of one organisation.

Every tool takes an `app_id` and answers only for an app of the caller's organisation: another
organisation's app (or a missing one) is a not-found result, never data. Inputs are validated by the
same pydantic models that describe them to the model.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import BadRequest, NotFound
from core.settings import Settings
from pipelines import analytics, dashboard
from pipelines.ai import nlq


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: int = Field(ge=1, le=2**31 - 1, description="one of the organisation's app ids")


class OverviewIn(_Input):
    pass


class TrendsIn(_Input):
    days: int = Field(30, ge=1, le=365, description="days ending today (UTC)")


class SegmentsIn(_Input):
    pass


class FunnelIn(_Input):
    steps: list[str] = Field(min_length=2, max_length=10, description="event types in order")
    start: date | None = Field(None, alias="from", description="first day YYYY-MM-DD (default: 29 days ago)")
    end: date | None = Field(None, alias="to", description="last day YYYY-MM-DD (default: today)")
    window_hours: int = Field(24, ge=1, le=2160)


class AskDataIn(_Input):
    question: str = Field(
        min_length=1, max_length=1000, description="a question answered with SQL over the app"
    )


async def _overview(settings: Settings, org_id: int, args: OverviewIn) -> Any:
    return await dashboard.overview(org_id, args.app_id)


async def _trends(settings: Settings, org_id: int, args: TrendsIn) -> Any:
    return {"trends": await dashboard.trends(org_id, args.app_id, args.days)}


async def _segments(settings: Settings, org_id: int, args: SegmentsIn) -> Any:
    return {"segments": await dashboard.segment_counts(org_id, args.app_id)}


async def _funnel(settings: Settings, org_id: int, args: FunnelIn) -> Any:
    period = analytics.Period.of(args.start, args.end)
    return await analytics.funnel(org_id, args.app_id, args.steps, period, args.window_hours)


async def _ask_data(settings: Settings, org_id: int, args: AskDataIn) -> Any:
    result = await nlq.answer(settings, org_id, args.app_id, args.question)
    return {k: result[k] for k in ("answer", "sql", "data", "truncated")}


TOOLS: dict[str, tuple[str, type[_Input], Any]] = {
    "get_overview": (
        "Headline numbers of an app: devices stored, active in 30 days, new in 7 days, events today, and ad "
        "watches, purchases and revenue (USD) over 30 days.",
        OverviewIn,
        _overview,
    ),
    "get_trends": ("Per UTC day: active devices, new devices and events.", TrendsIn, _trends),
    "get_segments": (
        "Devices per built-in segment (churned, dormant, power_user, ...).",
        SegmentsIn,
        _segments,
    ),
    "run_funnel": ("Conversion through ordered event steps within a time window.", FunnelIn, _funnel),
    "ask_data": (
        "Answer a question about one app's devices, events, purchases or ad revenue with a read-only SQL "
        "query (slower; use the other tools first).",
        AskDataIn,
        _ask_data,
    ),
}


def definitions() -> list[dict[str, Any]]:
    """The tools as the Messages API takes them."""
    out = []
    for name, (description, model, _) in TOOLS.items():
        schema = model.model_json_schema(by_alias=True)
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        out.append({"name": name, "description": description, "input_schema": schema})
    return out


async def run(settings: Settings, org_id: int, name: str, arguments: dict[str, Any]) -> tuple[Any, bool]:
    """(result, is_error) of one tool call for the organisation."""
    entry = TOOLS.get(name)
    if entry is None:
        return {"error": f"unknown tool {name!r}"}, True
    _, model, function = entry
    try:
        args = model.model_validate(arguments)
    except ValidationError as exc:
        return {
            "error": "invalid input",
            "details": exc.errors(include_url=False, include_context=False),
        }, True
    try:
        return await function(settings, org_id, args), False
    except NotFound:
        return {"error": f"not found: no app {args.app_id} in this organisation"}, True
    except BadRequest as exc:
        return {"error": exc.message, "details": exc.details}, True
