"""Funnels, retention cohorts and user paths (API.md section 4), each one SQL statement in the database.

Common rules: days are UTC days; a period `from`..`to` is inclusive (events from `from` 00:00 to the
end of `to`); events are ordered per device by (created_at, id), so two events with the same
timestamp keep the order they were stored in.

Funnel. A device counts at step k when some occurrence of step 1 inside the period is followed by
steps 2..k in that order, each strictly after the previous one, all within `window_hours` of that
step-1 occurrence (the best occurrence counts; later steps may fall after `to` while inside the
window). Computed in one pass over the device's step events sorted once: for each level j the
latest step-1 time that starts a chain completed up to step j so far (a later start leaves the most
room in its window), carried by one running-max window function per step. A repeated event type (A,
B, A) is one row that may serve as several steps, each from the state strictly before it.
`median_seconds_from_previous` is the median, over the devices reaching step k, of the time between
the moment the device first completed step k - 1 and the moment it first completed step k (null for
step 1, and when no device reached step k).

Retention. Weekly cohorts (Monday to Sunday, UTC) by the device's first sighting, the last `weeks`
weeks including the current one, oldest first. A member is retained on day N when it has an event
(of type `event`, when given) on the calendar day first_seen + N. A rate is null until every
member's day N has come (the latest member's first day + N is today or earlier); an empty cohort's
rates are 0 once its Sunday + N has come (null before).

Paths. Each device with the start event in the period contributes the path from its first
occurrence: that event and the next events, consecutive repeats collapsed, up to `depth` events
(fewer when the period holds fewer). count = devices with that path, share = count / devices that did
the start event, converted = those of them with a `purchase` after the path's last event (in the
period). Most common first, ties by path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core.clock import midnight, utcnow
from core.db import raw_connection
from core.errors import BadRequest
from pipelines import apps

MAX_PERIOD_DAYS = 366
# Sorts of a few million (device, time) rows stay in memory; JIT compilation costs more than it saves here.
SESSION = "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off"


@dataclass(frozen=True)
class Period:
    """Inclusive UTC days."""

    start: date
    end: date

    @classmethod
    def of(cls, start: date | None, end: date | None, today: date | None = None) -> Period:
        """`from`/`to` as given; `to` defaults to today and `from` to the 29 days before `to`."""
        end = end or today or utcnow().date()
        start = start or end - timedelta(days=29)
        if start > end:
            raise BadRequest("Invalid period", {"from": "must not be after `to`"})
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise BadRequest("Invalid period", {"to": f"a period is at most {MAX_PERIOD_DAYS} days"})
        return cls(start, end)

    @property
    def since(self) -> datetime:
        return midnight(self.start)

    @property
    def until(self) -> datetime:
        """Exclusive: the start of the day after `end`."""
        return midnight(self.end + timedelta(days=1))


def _fraction(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


# --- funnels ------------------------------------------------------------------------------------


def funnel_sql(steps: int) -> str:
    """The funnel statement for `steps` steps. Arguments: $1 app, $2 period start, $3 period end
    (exclusive), $4 window (interval), $5 the step event types (text[], in order)."""
    # Each row's steps as bits (an event type may be several steps), computed once by the scan (which
    # runs in parallel workers); level 1: a step-1 occurrence inside the period starts a chain at its time.
    bits = " | ".join(f"((e.event_type = ($5::text[])[{j}])::int << {j - 1})" for j in range(1, steps + 1))
    query = f"""
        SELECT e.device_id, e.created_at AS t, e.id, {bits} AS m,
            CASE WHEN e.event_type = ($5::text[])[1] AND e.created_at < $3 THEN e.created_at END AS c1
        FROM events e
        WHERE e.app_id = $1 AND e.created_at >= $2 AND e.created_at < $3 + $4 AND e.event_type = ANY($5::text[])"""
    window = "PARTITION BY device_id ORDER BY t, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    for j in range(2, steps + 1):
        # p: the latest start of a chain completed up to step j - 1 strictly before this row; this row
        # completes step j for that chain when it is step j's event inside the chain's window.
        query = f"""
        SELECT s.*, CASE WHEN (s.m & {1 << (j - 1)}) <> 0 AND s.t - s.p{j - 1} <= $4 THEN s.p{j - 1} END AS c{j}
        FROM (SELECT q.*, max(q.c{j - 1}) OVER ({window}) AS p{j - 1} FROM ({query}) q) s"""
    firsts = ",\n            ".join(
        f"min(t) FILTER (WHERE c{j} IS NOT NULL) AS f{j}" for j in range(1, steps + 1)
    )
    counts = ",\n    ".join(f"count(f{j}) AS n{j}" for j in range(1, steps + 1))
    medians = ",\n    ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f{j} - f{j - 1})) AS m{j}"
        for j in range(2, steps + 1)
    )
    return f"""
SELECT {counts},
    {medians}
FROM (
    SELECT device_id,
            {firsts}
    FROM ({query}) chains
    WHERE c1 IS NOT NULL OR c2 IS NOT NULL{"".join(f" OR c{j} IS NOT NULL" for j in range(3, steps + 1))}
    GROUP BY device_id
) per_device
WHERE f1 IS NOT NULL"""


async def funnel(
    org_id: int, app_id: int, steps: list[str], period: Period, window_hours: int
) -> dict[str, Any]:
    """Devices per step with conversions from the previous step and from the start (fractions; step 1
    is 1.0) and the median seconds from the previous step."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn, conn.transaction():
        await conn.execute(SESSION)
        row = await conn.fetchrow(
            funnel_sql(len(steps)), app_id, period.since, period.until, timedelta(hours=window_hours), steps
        )
    out: list[dict[str, Any]] = []
    first = row["n1"]
    for j, event in enumerate(steps, start=1):
        count = row[f"n{j}"]
        previous = row[f"n{j - 1}"] if j > 1 else count
        median = row[f"m{j}"] if j > 1 else None
        out.append(
            {
                "event": event,
                "count": count,
                "conversion_from_previous": 1.0 if j == 1 else _fraction(count, previous),
                "conversion_from_start": 1.0 if j == 1 else _fraction(count, first),
                "median_seconds_from_previous": round(float(median), 3) if median is not None else None,
            }
        )
    return {"steps": out}


# --- retention ----------------------------------------------------------------------------------

RETENTION_DAYS = (1, 7, 14, 30)

# $1 app, $2 the first cohort's Monday; {activity}: (device_id, day) pairs of activity after $2.
RETENTION = """
WITH members AS (
    SELECT d.id, (d.first_seen_at AT TIME ZONE 'UTC')::date AS first_day
    FROM devices d
    WHERE d.app_id = $1 AND d.first_seen_at >= $2::date::timestamp AT TIME ZONE 'UTC'
), returned AS (
    SELECT m.id, bool_or(a.day = m.first_day + 1) AS r1, bool_or(a.day = m.first_day + 7) AS r7,
        bool_or(a.day = m.first_day + 14) AS r14, bool_or(a.day = m.first_day + 30) AS r30
    FROM members m JOIN ({activity}) a ON a.device_id = m.id
    WHERE a.day - m.first_day IN (1, 7, 14, 30)
    GROUP BY m.id
)
SELECT $2::date + ((m.first_day - $2::date) / 7) * 7 AS cohort, count(*) AS size,
    max(m.first_day) AS last_first_day,
    count(*) FILTER (WHERE r.r1) AS r1, count(*) FILTER (WHERE r.r7) AS r7,
    count(*) FILTER (WHERE r.r14) AS r14, count(*) FILTER (WHERE r.r30) AS r30
FROM members m LEFT JOIN returned r ON r.id = m.id
GROUP BY 1
"""
# Any event: the per-device days the ingest keeps (device_days), a row per device and active day.
ACTIVITY_ANY = "SELECT dd.device_id, dd.day FROM device_days dd WHERE dd.app_id = $1 AND dd.day > $2::date"
# One event type ($3): from the events themselves.
ACTIVITY_OF_TYPE = """SELECT DISTINCT e.device_id, (e.created_at AT TIME ZONE 'UTC')::date AS day FROM events e
    WHERE e.app_id = $1 AND e.event_type = $3 AND e.created_at >= ($2::date + 1)::timestamp AT TIME ZONE 'UTC'"""


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def retention(
    org_id: int, app_id: int, weeks: int, event: str | None, today: date | None = None
) -> dict[str, Any]:
    """`weeks` weekly cohorts, oldest first, with size and day 1/7/14/30 rates."""
    await apps.get_app(org_id, app_id)
    today = today or utcnow().date()
    first = monday(today) - timedelta(weeks=weeks - 1)
    args: list[Any] = [app_id, first]
    activity = ACTIVITY_ANY
    if event is not None:
        activity = ACTIVITY_OF_TYPE
        args.append(event)
    async with raw_connection() as conn, conn.transaction():
        await conn.execute(SESSION)
        rows = {r["cohort"]: r for r in await conn.fetch(RETENTION.format(activity=activity), *args)}
    cohorts: list[dict[str, Any]] = []
    for week in range(weeks):
        start = first + timedelta(weeks=week)
        row = rows.get(start)
        size = row["size"] if row else 0
        last_day = row["last_first_day"] if row else start + timedelta(days=6)
        cohort: dict[str, Any] = {"cohort_start": start.isoformat(), "size": size}
        for n in RETENTION_DAYS:
            if last_day + timedelta(days=n) > today:
                cohort[f"day_{n}"] = None
            else:
                cohort[f"day_{n}"] = _fraction(row[f"r{n}"], size) if row else 0.0
        cohorts.append(cohort)
    return {"cohorts": cohorts}


# --- paths --------------------------------------------------------------------------------------

# One device's path from its first start: its events from t0 on in order (those at t0 before the start
# event dropped), consecutive repeats collapsed, the first $5 of them; with the number of events read
# (kept or not) and the time of the path's last event. {limit} bounds the events read.
DEVICE_PATH = """
    SELECT (array_agg(y.type ORDER BY y.n) FILTER (WHERE y.kept))[1:$5] AS path,
        count(*) FILTER (WHERE y.kept) AS length, max(y.n) AS fetched,
        (array_agg(y.t ORDER BY y.n) FILTER (WHERE y.kept))[least($5, count(*) FILTER (WHERE y.kept))] AS last_t
    FROM (
        SELECT x.type, x.t, row_number() OVER w AS n,
            bool_or(x.type = $4) OVER w AND lag(x.type) OVER w IS DISTINCT FROM x.type AS kept
        FROM (
            SELECT e.event_type AS type, e.created_at AS t, e.id
            FROM events e
            WHERE e.device_id = s.device_id AND e.created_at >= s.t0 AND e.created_at < $3
            ORDER BY e.created_at, e.id {limit}
        ) x
        WINDOW w AS (ORDER BY x.t, x.id ROWS UNBOUNDED PRECEDING)
    ) y"""

# $1 app, $2 period start, $3 period end (exclusive), $4 start event, $5 depth, $6 limit, $7 events read
# per device in the first pass (a device whose collapsed path is still short after that many is read again
# in full, so the answer is exact).
PATHS = f"""
WITH starts AS (
    SELECT e.device_id, min(e.created_at) FILTER (WHERE e.event_type = $4) AS t0,
        max(e.created_at) FILTER (WHERE e.event_type = 'purchase') AS last_purchase
    FROM events e
    WHERE e.app_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND e.event_type IN ($4, 'purchase')
    GROUP BY e.device_id
    HAVING min(e.created_at) FILTER (WHERE e.event_type = $4) IS NOT NULL
), first_pass AS (
    SELECT s.device_id, s.t0, s.last_purchase, p.* FROM starts s
    CROSS JOIN LATERAL ({DEVICE_PATH.format(limit="LIMIT $7")}) p
), per_device AS (
    SELECT f.path, f.last_purchase > f.last_t AS converted FROM first_pass f
    WHERE f.length >= $5 OR f.fetched < $7
    UNION ALL
    SELECT p.path, s.last_purchase > p.last_t FROM first_pass s
    CROSS JOIN LATERAL ({DEVICE_PATH.format(limit="")}) p
    WHERE s.length < $5 AND s.fetched >= $7
)
SELECT p.path, count(*) AS devices, count(*) FILTER (WHERE p.converted) AS converted,
    (SELECT count(*) FROM starts) AS starters
FROM per_device p
GROUP BY p.path
ORDER BY count(*) DESC, p.path
LIMIT $6
"""


async def paths(
    org_id: int, app_id: int, start_event: str, depth: int, limit: int, period: Period
) -> dict[str, Any]:
    """The `limit` most common paths from the first `start_event` of each device."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn, conn.transaction():
        await conn.execute(SESSION)
        rows = await conn.fetch(
            PATHS, app_id, period.since, period.until, start_event, depth, limit, depth * 2 + 2
        )
    return {
        "paths": [
            {
                "path": list(r["path"]),
                "count": r["devices"],
                "share": _fraction(r["devices"], r["starters"]),
                "converted": r["converted"],
            }
            for r in rows
        ]
    }
