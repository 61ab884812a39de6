"""Custom dashboards (API.md section 4): named lists of widgets, each computed from the same dashboard
pipelines (pipelines.dashboard) that answer GET /dashboard/...

A widget is `{type, metric, label, options}`; a dashboard holds 0..20 of them, in order.

    series metrics      active_devices, new_devices, total_events, dau, ad_watches, purchases, revenue
                        types kpi, line_chart, bar_chart; options {"days": 1..365} (default 30)
    breakdown metrics   segments, countries, events_by_type
                        types bar_chart, pie_chart; events_by_type takes {"days": 1..365} (default 30);
                        countries and events_by_type take {"limit": 1..100} (default: every row);
                        segments and countries are current device counts and take no days (400)

Any other type/metric pair, an unknown option or one out of range is 400 naming the widget and field
(`widgets[2].metric`, `widgets[0].options.days`). Stored widgets carry their options with the
defaults filled in, so what a dashboard shows never changes with a default; `label` is optional
(1..255 characters, null when not given).

Data (UTC days; "the last N days" are today and the N - 1 days before it, as on the dashboard routes):

    kpi         {"value", "previous", "change", "days"}: value over the last N days, previous over the
                N days before those, change = (value - previous) / previous, null when previous is 0.
                Additive metrics sum the days; active_devices and dau (devices active on a day) are
                not additive across days, so their kpi is the average per day (sum / N).
    line_chart, bar_chart of a series
                {"series": [{"date", "value"}]}: one point per day, oldest first, zeros included:
                GET /dashboard/trends' active_devices, new_devices, total_events, GET /dashboard/revenue
                daily dau and ad_revenue + purchase_revenue (revenue), and the day's ad watches and
                purchases from the same rollup row.
    bar_chart, pie_chart of a breakdown
                {"breakdown": [{"key", "value"}]} in the order of GET /dashboard/segments (every
                built-in segment, zeros included), /dashboard/countries and /dashboard/events?days=N
                (most first), cut to `limit` rows when given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from core.clock import iso
from core.db import raw_connection
from core.errors import BadRequest
from core.models import Dashboard
from pipelines import apps, dashboard
from pipelines.profiles import money

MAX_PER_APP = 50
MAX_WIDGETS = 20
MAX_LABEL = 255
DEFAULT_DAYS = 30
DAYS = (1, 365)
LIMIT = (1, 100)
INVALID = "Invalid dashboard"

TYPES = ("kpi", "line_chart", "bar_chart", "pie_chart")
SERIES_TYPES = ("kpi", "line_chart", "bar_chart")
BREAKDOWN_TYPES = ("bar_chart", "pie_chart")

Number = int | Decimal

# Series metric -> its value on one rollup row of pipelines.dashboard.daily_rows.
SERIES: dict[str, Callable[[asyncpg.Record], Number]] = {
    "active_devices": lambda r: r["active_devices"],
    "new_devices": lambda r: r["new_devices"],
    "total_events": lambda r: int(r["events"]),
    "dau": lambda r: r["active_devices"],
    "ad_watches": lambda r: int(r["ad_watches"]),
    "purchases": lambda r: int(r["purchases"]),
    "revenue": lambda r: r["ad_revenue"] + r["purchase_revenue"],
}
AVERAGED = frozenset({"active_devices", "dau"})  # devices per day: a kpi is their mean, not their sum
MONEY = frozenset({"revenue"})


@dataclass(frozen=True)
class Breakdown:
    """A breakdown metric: the dashboard read behind it and the row fields that are its key and value."""

    read: Callable[[int, int, int | None], Awaitable[list[dict[str, Any]]]]
    key: str
    value: str
    options: tuple[str, ...]


BREAKDOWNS: dict[str, Breakdown] = {
    "segments": Breakdown(lambda org, app, days: dashboard.segment_counts(org, app), "segment", "count", ()),
    "countries": Breakdown(
        lambda org, app, days: dashboard.countries(org, app), "country", "devices", ("limit",)
    ),
    "events_by_type": Breakdown(
        lambda org, app, days: dashboard.event_counts(org, app, days or DEFAULT_DAYS),
        "event_type",
        "count",
        ("days", "limit"),
    ),
}
METRICS = (*SERIES, *BREAKDOWNS)
OPTION_RANGES = {"days": DAYS, "limit": LIMIT}


def metric_types(metric: str) -> tuple[str, ...]:
    return SERIES_TYPES if metric in SERIES else BREAKDOWN_TYPES


def metric_options(metric: str) -> tuple[str, ...]:
    return ("days",) if metric in SERIES else BREAKDOWNS[metric].options


@dataclass(frozen=True)
class Widget:
    """One valid widget; `options` hold every option the metric takes that has a value (defaults filled)."""

    type: str
    metric: str
    label: str | None = None
    options: dict[str, int] = field(default_factory=dict)

    @property
    def days(self) -> int | None:
        return self.options.get("days")

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "metric": self.metric, "label": self.label, "options": dict(self.options)}

    def periods(self) -> list[tuple[int, int]]:
        """The (days, days_before) rollup periods the widget reads: a kpi also the N days before."""
        if self.metric not in SERIES:
            return []
        days = self.days or DEFAULT_DAYS
        return [(days, 0), (days, days)] if self.type == "kpi" else [(days, 0)]


def _parse_widget(item: Any, where: str, problems: dict[str, str]) -> Widget | None:
    """The widget at `where`, or None with what is wrong added to `problems` (field path -> message)."""
    if not isinstance(item, dict):
        problems[where] = "a widget is an object {type, metric, label, options}"
        return None
    found = len(problems)
    kind, metric, label, options = (
        item.get("type"),
        item.get("metric"),
        item.get("label"),
        item.get("options"),
    )
    if kind not in TYPES:
        problems[f"{where}.type"] = f"one of {', '.join(TYPES)} (not {kind!r})"
    if metric not in METRICS:
        problems[f"{where}.metric"] = f"one of {', '.join(METRICS)} (not {metric!r})"
    elif kind in TYPES and kind not in metric_types(metric):
        what = "a series" if metric in SERIES else "a breakdown"
        problems[f"{where}.type"] = (
            f"{metric} is {what}: shown as {' or '.join(metric_types(metric))} (not {kind})"
        )
    if label is not None:
        if not isinstance(label, str) or not 0 < len(label.strip()) <= MAX_LABEL:
            problems[f"{where}.label"] = f"text of 1..{MAX_LABEL} characters, or null"
        else:
            label = label.strip()
    if options is None:
        options = {}
    if not isinstance(options, dict):
        problems[f"{where}.options"] = "an object"
    elif metric in METRICS:
        allowed = metric_options(metric)
        for key, value in options.items():
            low, high = OPTION_RANGES.get(key, (0, 0))
            if key not in allowed:
                takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
                problems[f"{where}.options.{key}"] = f"unknown option: {metric} {takes}"
            elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems[f"{where}.options.{key}"] = f"an integer {low}..{high}"
    if len(problems) > found:
        return None
    filled = {"days": DEFAULT_DAYS} if "days" in metric_options(metric) else {}
    return Widget(kind, metric, label, {**filled, **options})


def parse_widgets(items: list[Any]) -> list[Widget]:
    """The widgets of a request, or BadRequest naming every wrong field (`widgets[2].metric`)."""
    if not isinstance(items, list):
        raise BadRequest(INVALID, {"widgets": "a list of widgets"})
    if len(items) > MAX_WIDGETS:
        raise BadRequest(INVALID, {"widgets": f"at most {MAX_WIDGETS} widgets (not {len(items)})"})
    problems: dict[str, str] = {}
    widgets = [_parse_widget(item, f"widgets[{i}]", problems) for i, item in enumerate(items)]
    if problems:
        raise BadRequest(INVALID, problems)
    return [w for w in widgets if w is not None]


def stored_widgets(board: Dashboard) -> list[Widget]:
    """The dashboard's widgets as stored (validated and filled in when written)."""
    return [
        Widget(w["type"], w["metric"], w.get("label"), dict(w.get("options") or {})) for w in board.widgets
    ]


# --- management ---------------------------------------------------------------------------------


def dashboard_body(board: Dashboard) -> dict[str, Any]:
    return {
        "id": board.id,
        "app_id": board.app_id,  # type: ignore[attr-defined]
        "name": board.name,
        "widgets": board.widgets,
        "created_at": iso(board.created_at),
        "updated_at": iso(board.updated_at),
    }


async def list_dashboards(org_id: int, app_id: int) -> list[Dashboard]:
    """The app's dashboards, oldest first."""
    app = await apps.get_app(org_id, app_id)
    return await Dashboard.filter(app_id=app.id).order_by("id")


async def get_dashboard(org_id: int, dashboard_id: int, app_id: int | None = None) -> Dashboard:
    return await apps.get_app_object(Dashboard, org_id, dashboard_id, app_id, "Dashboard")


async def create_dashboard(org_id: int, app_id: int, name: str, widgets: list[Any]) -> Dashboard:
    """Create a dashboard of the app (another org's app: 404; any invalid widget, or MAX_PER_APP dashboards
    already: 400, nothing stored)."""
    app = await apps.get_app(org_id, app_id)
    parsed = parse_widgets(widgets)
    return await apps.create_capped(
        Dashboard, app, MAX_PER_APP, "dashboards", name=name, widgets=[w.body() for w in parsed]
    )


async def update_dashboard(
    org_id: int, dashboard_id: int, app_id: int | None, changes: dict[str, Any]
) -> tuple[Dashboard, dict[str, Any]]:
    """Change the name and/or replace the widgets; returns the dashboard and {before, after} of what changed."""
    board = await get_dashboard(org_id, dashboard_id, app_id)
    if "widgets" in changes:
        changes = {**changes, "widgets": [w.body() for w in parse_widgets(changes["widgets"])]}
    diff = apps.changed_fields(board, changes)
    if not diff:
        return board, {}
    return board, await apps.save_changes(board, diff)


async def delete_dashboard(org_id: int, dashboard_id: int, app_id: int | None) -> Dashboard:
    board = await get_dashboard(org_id, dashboard_id, app_id)
    await board.delete()
    return board


# --- data ---------------------------------------------------------------------------------------


def _number(metric: str, value: Decimal, mean: bool = False) -> int | float:
    """A value as the dashboard routes write it: money rounded to 6 decimals, counts as integers (a mean
    of counts as a float)."""
    if metric in MONEY:
        return money(value)
    return float(value) if mean else int(value)


def _kpi(widget: Widget, current: list[asyncpg.Record], before: list[asyncpg.Record]) -> dict[str, Any]:
    """value over the last N days, previous over the N days before, and the relative change."""
    days, value_of = len(current), SERIES[widget.metric]
    value = sum((Decimal(value_of(r)) for r in current), Decimal(0))
    previous = sum((Decimal(value_of(r)) for r in before), Decimal(0))
    if widget.metric in AVERAGED:
        value, previous = value / days, previous / days
    change = float((value - previous) / previous) if previous else None
    mean = widget.metric in AVERAGED
    return {
        "value": _number(widget.metric, value, mean),
        "previous": _number(widget.metric, previous, mean),
        "change": change,
        "days": days,
    }


def _series(widget: Widget, rows: list[asyncpg.Record]) -> dict[str, Any]:
    value_of = SERIES[widget.metric]
    return {
        "series": [
            {"date": r["day"].isoformat(), "value": _number(widget.metric, Decimal(value_of(r)))}
            for r in rows
        ]
    }


def _breakdown(widget: Widget, rows: list[dict[str, Any]]) -> dict[str, Any]:
    spec = BREAKDOWNS[widget.metric]
    limit = widget.options.get("limit")
    return {"breakdown": [{"key": r[spec.key], "value": r[spec.value]} for r in rows[:limit]]}


async def widget_data(org_id: int, app_id: int, widgets: list[Widget]) -> list[dict[str, Any]]:
    """Each widget's computed values; every read (a rollup period, a breakdown) is done once however
    many widgets share it."""
    periods = {p for w in widgets for p in w.periods()}
    async with raw_connection() as conn:
        daily = {p: await dashboard.daily_rows(conn, app_id, *p) for p in periods}
    reads = {(w.metric, w.days) for w in widgets if w.metric in BREAKDOWNS}
    breakdowns = {(m, d): await BREAKDOWNS[m].read(org_id, app_id, d) for m, d in reads}
    data: list[dict[str, Any]] = []
    for w in widgets:
        if w.metric in BREAKDOWNS:
            data.append(_breakdown(w, breakdowns[(w.metric, w.days)]))
        elif w.type == "kpi":
            data.append(_kpi(w, *(daily[p] for p in w.periods())))
        else:
            data.append(_series(w, daily[w.periods()[0]]))
    return data


async def dashboard_data(org_id: int, dashboard_id: int) -> dict[str, Any]:
    """The dashboard with each widget and its `data` (shapes in the module docstring)."""
    board = await get_dashboard(org_id, dashboard_id)
    widgets = stored_widgets(board)
    data = await widget_data(org_id, board.app_id, widgets)  # type: ignore[attr-defined]
    return {**dashboard_body(board), "widgets": [{**w.body(), "data": d} for w, d in zip(widgets, data)]}
