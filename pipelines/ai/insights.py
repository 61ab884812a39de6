"""Insights of an app (GET /ai/insights): anomalies on its daily series, the day's summary and the week's.

Statistics, not the model, find anomalies: for each of the last 7 complete UTC days and each metric (DAU,
new devices, events, ad watches, purchases, revenue), the robust z-score of the day against the 28 days
before it, z = (value - median) / (1.4826 * MAD), flagged at |z| >= 3.5 (Iglewicz and Hoaglin). The scale
never drops below 5 % of the median (nor 1 unit), so a flat series does not flag every wiggle. An app with
under 7 complete days of data gets no anomalies and says so. The model writes the narrative when
configured (a plain-text template otherwise, or when the model is unavailable). A daily schedule
(AI_INSIGHTS_CRON) refreshes every app; a request that finds nothing cached for the day computes it then.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.db import raw_connection
from core.models import AiInsight, App
from core.settings import Settings
from pipelines import apps, dashboard
from pipelines.ai import client, prompts

BASELINE_DAYS = 28
CHECKED_DAYS = 7
MIN_DAYS = 7
Z_THRESHOLD = 3.5
METRICS = ("dau", "new_devices", "events", "ad_watches", "purchases", "revenue")
LABELS = {
    "dau": "active devices",
    "new_devices": "new devices",
    "events": "events",
    "ad_watches": "ad watches",
    "purchases": "purchases",
    "revenue": "revenue (USD)",
}
FIRST_DAY = """
SELECT min(day) FROM app_daily
WHERE app_id = $1 AND (active_devices > 0 OR new_devices > 0 OR events > 0) AND day <= $2
"""


def yesterday() -> date:
    """The last complete UTC day."""
    return datetime.now(UTC).date() - timedelta(days=1)


def _values(row: Any) -> dict[str, float]:
    return {
        "dau": float(row["active_devices"]),
        "new_devices": float(row["new_devices"]),
        "events": float(row["events"]),
        "ad_watches": float(row["ad_watches"]),
        "purchases": float(row["purchases"]),
        "revenue": round(float(row["purchase_revenue"] + row["ad_revenue"]), 2),
    }


def robust_z(value: float, baseline: list[float], floor: float = 1.0) -> tuple[float, float, float]:
    """(z, median, MAD) of `value` against `baseline`; the scale is at least 5 % of the median and `floor`."""
    median = statistics.median(baseline)
    mad = statistics.median(abs(x - median) for x in baseline)
    scale = max(1.4826 * mad, 0.05 * abs(median), floor)
    return (value - median) / scale, median, mad


def anomalies(days: list[date], series: dict[str, list[float]], first_day: date) -> list[dict[str, Any]]:
    """Flagged (metric, day) pairs among the last CHECKED_DAYS of `days`, newest first, largest |z| first."""
    found = []
    for i in range(max(0, len(days) - CHECKED_DAYS), len(days)):
        window = [j for j in range(max(0, i - BASELINE_DAYS), i) if days[j] >= first_day]
        if len(window) < MIN_DAYS or days[i] < first_day:
            continue
        for metric in METRICS:
            value = series[metric][i]
            floor = 0.01 if metric == "revenue" else 1.0
            z, median, mad = robust_z(value, [series[metric][j] for j in window], floor)
            if abs(z) >= Z_THRESHOLD:
                found.append(
                    {
                        "metric": metric,
                        "date": days[i].isoformat(),
                        "value": value,
                        "median": median,
                        "mad": mad,
                        "z_score": round(z, 2),
                        "direction": "drop" if z < 0 else "spike",
                        "change_pct": round((value - median) / median * 100, 1) if median else None,
                        "baseline_days": len(window),
                    }
                )
    return sorted(found, key=lambda a: (a["date"], abs(a["z_score"])), reverse=True)


def _change(current: float, previous: float) -> float | None:
    return round((current - previous) / previous * 100, 1) if previous else None


def weekly(days: list[date], series: dict[str, list[float]]) -> dict[str, Any]:
    """The last 7 days against the 7 before: sums (DAU: the daily mean) and the change in percent."""
    metrics = {}
    for metric in METRICS:
        values = series[metric]
        now, before = values[-7:], values[-14:-7]
        reduce = (lambda v: round(sum(v) / len(v), 2)) if metric == "dau" else (lambda v: round(sum(v), 2))
        metrics[metric] = {
            "value": reduce(now),
            "previous": reduce(before),
            "change_pct": _change(reduce(now), reduce(before)),
        }
    return {"from": days[-7].isoformat(), "to": days[-1].isoformat(), "metrics": metrics}


def _number(metric: str, value: float) -> str:
    return f"${value:,.2f}" if metric == "revenue" else f"{value:,.0f}"


def template_narrative(payload: dict[str, Any]) -> str:
    """The plain-text narrative written without the model."""
    summary = payload["daily_summary"]
    parts = [
        f"{summary['date']}: "
        + ", ".join(f"{_number(m, summary['metrics'][m])} {LABELS[m]}" for m in METRICS)
        + "."
    ]
    if not payload["enough_data"]:
        parts.append(payload["message"])
    elif payload["anomalies"]:
        for a in payload["anomalies"][:5]:
            change = (
                f", {abs(a['change_pct']):.0f} % {'below' if a['z_score'] < 0 else 'above'}"
                if (a["change_pct"] is not None)
                else ""
            )
            parts.append(
                f"Anomaly on {a['date']}: {LABELS[a['metric']]} {a['direction']} to "
                f"{_number(a['metric'], a['value'])}{change} the 28-day median of "
                f"{_number(a['metric'], a['median'])} (robust z {a['z_score']:+.1f})."
            )
    else:
        parts.append("No anomalies: every metric of the last 7 days is within its normal range.")
    week = payload["weekly_report"]
    if week:
        changes = []
        for m in ("dau", "events", "revenue"):
            entry = week["metrics"][m]
            pct = f" ({entry['change_pct']:+.0f} %)" if entry["change_pct"] is not None else ""
            changes.append(f"{LABELS[m]} {_number(m, entry['value'])}{pct}")
        parts.append(
            f"Week {week['from']} to {week['to']} against the week before: " + ", ".join(changes) + "."
        )
    return " ".join(parts)


async def figures(app_id: int, end: date) -> dict[str, Any]:
    """The computed part of an app's insights for the days up to `end` (anomalies, summary, week)."""
    span = BASELINE_DAYS + CHECKED_DAYS
    async with raw_connection() as conn:
        offset = (datetime.now(UTC).date() - end).days
        rows = await dashboard.daily_rows(conn, app_id, span, offset)
        first_day = await conn.fetchval(FIRST_DAY, app_id, end)
    days = [r["day"] for r in rows]
    series = {m: [] for m in METRICS}  # type: dict[str, list[float]]
    for r in rows:
        for metric, value in _values(r).items():
            series[metric].append(value)
    data_days = (end - first_day).days + 1 if first_day else 0
    enough = data_days >= MIN_DAYS
    last, before = len(days) - 1, len(days) - 2
    return {
        "app_id": app_id,
        "date": end.isoformat(),
        "days_of_data": data_days,
        "enough_data": enough,
        "message": None
        if enough
        else f"Only {data_days} complete day{'s' if data_days != 1 else ''} of data so far: anomaly detection "
        f"needs at least {MIN_DAYS}, so none are reported yet.",
        "daily_summary": {
            "date": days[last].isoformat(),
            "metrics": {m: series[m][last] for m in METRICS},
            "change_pct_vs_previous_day": {m: _change(series[m][last], series[m][before]) for m in METRICS},
        },
        "anomalies": anomalies(days, series, first_day) if enough and first_day else [],
        "weekly_report": weekly(days, series) if data_days >= 1 else None,
        "method": {
            "statistic": "robust z-score (median, MAD)",
            "baseline_days": BASELINE_DAYS,
            "threshold": Z_THRESHOLD,
            "checked_days": CHECKED_DAYS,
        },
    }


async def refresh(settings: Settings, app_id: int) -> dict[str, Any]:
    """Compute the app's insights for the last complete day, with their narrative, and cache them."""
    app = await App.get(id=app_id)
    end = yesterday()
    payload = await figures(app_id, end)
    payload.update(
        await client.narrate(
            settings, app.org_id, prompts.INSIGHTS_SYSTEM, payload, template_narrative(payload)
        )
    )
    payload["generated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    await AiInsight.update_or_create(defaults={"day": end, "payload": payload}, app_id=app_id)
    return payload


async def get(settings: Settings, org_id: int, app_id: int) -> dict[str, Any]:
    """The app's cached insights of the last complete day, computed now when there are none yet."""
    await apps.get_app(org_id, app_id)
    cached = await AiInsight.get_or_none(app_id=app_id)
    if cached is not None and cached.day >= yesterday():
        return {**cached.payload, "cached": True}
    return {**await refresh(settings, app_id), "cached": False}


async def app_ids() -> list[int]:
    """Every app (the daily schedule refreshes them all)."""
    return list(await App.all().order_by("id").values_list("id", flat=True))
