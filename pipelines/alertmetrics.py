"""What an alert rule compares: its windows, the metric's value in each, and whether the condition holds.

Windows are complete UTC days ending at the start of today, so a partial today never fires a false drop:
    compare_window=day    current = [today-1, today)    previous = [today-2, today-1)
    compare_window=week   current = [today-7, today)    previous = [today-14, today-7)
Values per window, from the daily rollups (app_daily, device_days) and, for crashes, the events:
    dau                   mean daily active devices over the window's days (a day without a row is 0)
    new_users, events, ad_watches, purchases    sums over the window
    crash_rate            share 0..1 of the window's active devices (distinct devices with a device_days
                          row in it) with an `app_crash` event in it; 0 without active devices
    churn_rate            share 0..1 of the devices seen in the 60 days before the window's end
                          ([end-60, end)) that were not seen in its last 30 days ([end-30, end)); 0 when none
Conditions, X the threshold:
    drops_by X       previous > 0 and (previous - current) / previous * 100 >= X
    increases_by X   previous > 0 and (current - previous) / previous * 100 >= X
    below X          current < X
    above X          current > X
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from core.clock import midnight

METRICS = ("dau", "new_users", "events", "ad_watches", "purchases", "crash_rate", "churn_rate")
RATE_METRICS = frozenset({"crash_rate", "churn_rate"})  # fractions 0..1
CONDITIONS = ("drops_by", "increases_by", "below", "above")
RELATIVE_CONDITIONS = frozenset({"drops_by", "increases_by"})  # the threshold is a percentage
WINDOW_DAYS = {"day": 1, "week": 7}
CHURN_SEEN_DAYS, CHURN_GONE_DAYS = 60, 30
# A percentage equal to the threshold must fire though float arithmetic lands a hair below it.
TOLERANCE = 1e-9

LABELS = {
    "dau": "DAU",
    "new_users": "New users",
    "events": "Events",
    "ad_watches": "Ad watches",
    "purchases": "Purchases",
    "crash_rate": "Crash rate",
    "churn_rate": "Churn rate",
}
SUM_COLUMNS = {
    "new_users": "new_devices",
    "events": "events",
    "ad_watches": "ad_watches",
    "purchases": "purchases",
}

CRASH_RATE = """
WITH active AS (
    SELECT DISTINCT device_id FROM device_days WHERE app_id = $1 AND day >= $2 AND day < $3
), crashed AS (
    -- the literal event type lets the planner use the partial index idx_events_app_crash
    SELECT DISTINCT device_id FROM events
    WHERE app_id = $1 AND event_type = 'app_crash' AND created_at >= $4 AND created_at < $5
)
SELECT (SELECT count(*) FROM active) AS active,
       (SELECT count(*) FROM crashed JOIN active USING (device_id)) AS crashed
"""
CHURN_RATE = """
SELECT count(*) AS seen, count(*) FILTER (WHERE last_day < $3) AS churned FROM (
    SELECT device_id, max(day) AS last_day FROM device_days
    WHERE app_id = $1 AND day >= $2 AND day < $4
    GROUP BY device_id
) s
"""


@dataclass(frozen=True)
class Window:
    """UTC days [start, end)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def label(self) -> str:
        last = self.end - timedelta(days=1)
        return self.start.isoformat() if self.days == 1 else f"{self.start.isoformat()}..{last.isoformat()}"


def windows(compare_window: str, today: date) -> tuple[Window, Window]:
    """(current, previous): the last complete window before today and the one before it."""
    n = timedelta(days=WINDOW_DAYS[compare_window])
    return Window(today - n, today), Window(today - 2 * n, today - n)


def change_percent(current: float, previous: float) -> float | None:
    """(current - previous) / previous * 100, or None when previous is not positive."""
    if previous <= 0:
        return None
    return (current - previous) * 100 / previous


def condition_holds(condition: str, threshold: float, current: float, previous: float) -> bool:
    """Whether `condition` with `threshold` holds for the two windows' values (module docstring)."""
    if condition == "below":
        return current < threshold
    if condition == "above":
        return current > threshold
    change = change_percent(current, previous)
    if change is None:
        return False
    if condition == "drops_by":
        return -change >= threshold - TOLERANCE
    if condition == "increases_by":
        return change >= threshold - TOLERANCE
    raise ValueError(f"unknown condition {condition!r}")


def format_value(metric: str, value: float) -> str:
    """A rate as a percentage, a count with thousands separators (and up to two decimals)."""
    if metric in RATE_METRICS:
        return f"{value * 100:.2f}%"
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def describe(
    metric: str, condition: str, threshold: float, current: float, previous: float, window: Window
) -> str:
    """The human message of a firing, e.g. `DAU dropped by 30.0% (1,000 -> 700) on 2026-03-19 (threshold 20%)`."""
    label, now, before = LABELS[metric], format_value(metric, current), format_value(metric, previous)
    span = f"on {window.label()}" if window.days == 1 else f"in {window.label()}"
    if condition in RELATIVE_CONDITIONS:
        change = change_percent(current, previous) or 0.0
        verb = "dropped" if condition == "drops_by" else "increased"
        return f"{label} {verb} by {abs(change):.1f}% ({before} -> {now}) {span} (threshold {threshold:g}%)"
    limit = format_value(metric, threshold)
    return f"{label} was {now} {span}, {condition} {limit} (previous window: {before})"


async def metric_value(conn: asyncpg.Connection, app_id: int, metric: str, window: Window) -> float:
    """The metric's value for the app in the window (module docstring)."""
    if metric == "dau":
        total = await conn.fetchval(
            "SELECT coalesce(sum(active_devices), 0)::float8 FROM app_daily "
            "WHERE app_id = $1 AND day >= $2 AND day < $3",
            app_id,
            window.start,
            window.end,
        )
        return total / window.days
    if metric in SUM_COLUMNS:
        return await conn.fetchval(
            f"SELECT coalesce(sum({SUM_COLUMNS[metric]}), 0)::float8 FROM app_daily "
            "WHERE app_id = $1 AND day >= $2 AND day < $3",
            app_id,
            window.start,
            window.end,
        )
    if metric == "crash_rate":
        row = await conn.fetchrow(
            CRASH_RATE, app_id, window.start, window.end, midnight(window.start), midnight(window.end)
        )
        return row["crashed"] / row["active"] if row["active"] else 0.0
    if metric == "churn_rate":
        row = await conn.fetchrow(
            CHURN_RATE,
            app_id,
            window.end - timedelta(days=CHURN_SEEN_DAYS),
            window.end - timedelta(days=CHURN_GONE_DAYS),
            window.end,
        )
        return row["churned"] / row["seen"] if row["seen"] else 0.0
    raise ValueError(f"unknown metric {metric!r}")
