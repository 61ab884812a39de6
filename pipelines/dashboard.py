"""Dashboard reads (API.md section 3): overview, segments, devices, trends, countries, revenue, events.

Everything over time reads the daily rollups (app_daily, app_daily_events, app_daily_revenue),
never the events: a day is a UTC day, "the last N days" are today and the N - 1 days before it.
A device is active on a day when it has an event that day; it is new on the day of its first
sighting (registration or earliest event). Counts of distinct devices (active in the last 30 days,
segments, countries) and the device lists read the devices table, one row per device.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from core.clock import iso
from core.db import raw_connection
from core.errors import NotFound
from pipelines import apps, profiles
from pipelines.flags import BUILTIN_SEGMENTS
from pipelines.profiles import money

DEVICE_EVENTS = 50  # events shown with one device
REVENUE_DIMENSIONS = ("ad_network", "ad_type", "country", "geo_tier")

TODAY = "(now() AT TIME ZONE 'UTC')::date"

# Devices stored: each is counted once as new (on the day first seen) by the paths that create it,
# and taken off again by erasure.
APP_DEVICES = "SELECT coalesce(sum(new_devices), 0) FROM app_daily WHERE app_id = $1"

OVERVIEW = f"""
WITH p AS (SELECT {TODAY} AS today), recent AS (
    SELECT a.* FROM app_daily a, p WHERE a.app_id = $1 AND a.day BETWEEN p.today - 29 AND p.today
)
SELECT
    ({APP_DEVICES}) AS total_devices,
    -- Distinct devices over 30 days: one pass over the app's device rows (counting the days' device_days
    -- rows would read each active device once per day it was active).
    (SELECT count(*) FROM devices d
     WHERE d.app_id = $1 AND d.last_seen_at >= (SELECT (today - 29)::timestamp AT TIME ZONE 'UTC' FROM p))
        AS active_users_30d,
    (SELECT coalesce(sum(new_devices), 0) FROM recent, p WHERE day > p.today - 7) AS new_users_7d,
    (SELECT coalesce(sum(events), 0) FROM recent, p WHERE day = p.today) AS events_today,
    (SELECT coalesce(sum(ad_watches), 0) FROM recent) AS ad_watches,
    (SELECT coalesce(sum(purchases), 0) FROM recent) AS purchases,
    (SELECT coalesce(sum(purchase_revenue + ad_revenue), 0) FROM recent) AS revenue_30d
"""

# One row per day of the $2 days ending $3 days before today (0: ending today), oldest first, days
# without a rollup row as zeros.
DAILY = f"""
SELECT g.day, coalesce(a.active_devices, 0) AS active_devices, coalesce(a.new_devices, 0) AS new_devices,
    coalesce(a.events, 0) AS events, coalesce(a.ad_watches, 0) AS ad_watches,
    coalesce(a.purchases, 0) AS purchases, coalesce(a.ad_revenue, 0) AS ad_revenue,
    coalesce(a.purchase_revenue, 0) AS purchase_revenue
FROM (SELECT ({TODAY} - $3::int - n) AS day FROM generate_series($2::int - 1, 0, -1) AS n) g
LEFT JOIN app_daily a ON a.app_id = $1 AND a.day = g.day
ORDER BY g.day
"""

REVENUE_BREAKDOWN = f"""
SELECT dimension, value, sum(revenue) AS revenue, sum(impressions) AS impressions
FROM app_daily_revenue
WHERE app_id = $1 AND day BETWEEN {TODAY} - ($2::int - 1) AND {TODAY}
GROUP BY dimension, value
HAVING sum(impressions) > 0
ORDER BY dimension, sum(revenue) DESC, sum(impressions) DESC, value = '', value
"""

EVENT_TYPES = f"""
SELECT event_type, sum(count) AS count
FROM app_daily_events
WHERE app_id = $1 AND day BETWEEN {TODAY} - ($2::int - 1) AND {TODAY}
GROUP BY event_type
HAVING sum(count) > 0
ORDER BY sum(count) DESC, event_type
"""

SEGMENT_COUNTS = "SELECT user_segment, count(*) AS n FROM devices WHERE app_id = $1 GROUP BY user_segment"

# app_countries is kept by a trigger on devices (migration 6): a few hundred rows at most.
COUNTRIES = """
SELECT country, devices FROM app_countries WHERE app_id = $1 AND devices > 0 ORDER BY devices DESC, country
"""

DEVICE_COLUMNS = """d.id, d.app_id, d.android_id, d.brand, d.model, d.android_version, d.app_version, d.country,
    d.install_type, d.user_segment, d.sessions_count, d.ad_watches, d.purchases, d.purchase_revenue, d.ad_revenue,
    d.first_seen_at, d.last_seen_at, d.created_at"""

DEVICE = (
    f"SELECT {DEVICE_COLUMNS} FROM devices d JOIN apps a ON a.id = d.app_id WHERE d.id = $1 AND a.org_id = $2"
)

LAST_EVENTS = """
SELECT id, event_type, event_data::text AS event_data, created_at, received_at, event_id::text AS event_id
FROM events WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2
"""


@dataclass(frozen=True)
class DeviceFilter:
    """A page of the devices list: filters are ANDed; search is a case-insensitive substring of
    android_id, brand or model (matched literally: no wildcards)."""

    page: int = 1
    limit: int = 50
    search: str | None = None
    segment: str | None = None
    country: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition (after `d.app_id = $1`) and its arguments ($2...)."""
        clauses: list[str] = []
        args: list[Any] = []
        if self.search:
            args.append(self.search)
            n = len(args) + 1
            clauses.append(
                f"(strpos(lower(d.android_id), lower(${n})) > 0 OR strpos(lower(coalesce(d.brand, '')), lower(${n})) > 0"
                f" OR strpos(lower(coalesce(d.model, '')), lower(${n})) > 0)"
            )
        if self.segment:
            args.append(self.segment)
            clauses.append(f"d.user_segment = ${len(args) + 1}")
        if self.country:
            args.append(self.country.upper())
            clauses.append(f"d.country = ${len(args) + 1}")
        return "".join(f" AND {c}" for c in clauses), args


async def overview(org_id: int, app_id: int) -> dict[str, Any]:
    """Headline numbers: devices stored, devices seen (last_seen_at: an event or a registration) in
    the last 30 days, devices first seen in the last 7, events today, and ad watches, purchases and
    revenue (purchase + ad) over the last 30 days."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        row = await conn.fetchrow(OVERVIEW, app_id)
    return {
        "total_devices": int(row["total_devices"]),
        "active_users_30d": int(row["active_users_30d"]),
        "new_users_7d": int(row["new_users_7d"]),
        "events_today": int(row["events_today"]),
        "ad_watches": int(row["ad_watches"]),
        "purchases": int(row["purchases"]),
        "revenue_30d": money(row["revenue_30d"]),
    }


async def segment_counts(org_id: int, app_id: int) -> list[dict[str, Any]]:
    """Devices per built-in segment (as stored on the device: moved by its events and profile actions,
    and nightly by time alone), in API.md order, zeros included."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        counts = {r["user_segment"]: r["n"] for r in await conn.fetch(SEGMENT_COUNTS, app_id)}
    return [{"segment": name, "count": counts.get(name, 0)} for name in BUILTIN_SEGMENTS]


def device_body(row: Any) -> dict[str, Any]:
    """A device as the dashboard shows it (no push token)."""
    return {
        "id": row["id"],
        "app_id": row["app_id"],
        "android_id": row["android_id"],
        "brand": row["brand"],
        "model": row["model"],
        "android_version": row["android_version"],
        "app_version": row["app_version"],
        "country": row["country"],
        "install_type": row["install_type"],
        "user_segment": row["user_segment"],
        "sessions_count": row["sessions_count"],
        "ad_watches": row["ad_watches"],
        "purchases": row["purchases"],
        "purchase_revenue": money(row["purchase_revenue"]),
        "ad_revenue": money(row["ad_revenue"]),
        "first_seen_at": iso(row["first_seen_at"]),
        "last_seen_at": iso(row["last_seen_at"]),
        "created_at": iso(row["created_at"]),
    }


async def list_devices(org_id: int, app_id: int, query: DeviceFilter) -> dict[str, Any]:
    """A page of the app's devices, newest first (by id: the order they were created in, which
    activity never reshuffles between pages), with the total matching and the number of pages."""
    condition, args = query.where()
    n = len(args) + 2
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        # Unfiltered, the total is the app's devices as counted by the write paths (new devices per day).
        total = await conn.fetchval(
            f"SELECT count(*) FROM devices d WHERE d.app_id = $1{condition}" if condition else APP_DEVICES,
            app_id,
            *args,
        )
        rows = await conn.fetch(
            f"SELECT {DEVICE_COLUMNS} FROM devices d WHERE d.app_id = $1{condition} "
            f"ORDER BY d.id DESC LIMIT ${n} OFFSET ${n + 1}",
            app_id,
            *args,
            query.limit,
            (query.page - 1) * query.limit,
        )
    return {
        "devices": [device_body(r) for r in rows],
        "page": query.page,
        "limit": query.limit,
        "total": total,
        "pages": -(-total // query.limit),
    }


async def device_detail(org_id: int, device_id: int) -> dict[str, Any]:
    """One device of the organisation with its profile (as GET /sdk/profile gives it) and its last
    50 events, newest first; NotFound for another org's or an unknown device."""
    async with raw_connection() as conn:
        row = await conn.fetchrow(DEVICE, device_id, org_id)
        if row is None:
            raise NotFound("Device not found")
        events = await conn.fetch(LAST_EVENTS, device_id, DEVICE_EVENTS)
    profile = await profiles.get_profile(row["app_id"], row["android_id"])
    return {
        **device_body(row),
        "profile": profile,
        "events": [
            {
                "id": e["id"],
                "event_type": e["event_type"],
                "event_data": orjson.loads(e["event_data"]),
                "created_at": iso(e["created_at"]),
                "received_at": iso(e["received_at"]),
                "event_id": e["event_id"],
            }
            for e in events
        ],
    }


def _day(value: date) -> str:
    return value.isoformat()


async def daily_rows(
    conn: asyncpg.Connection, app_id: int, days: int, days_before: int = 0
) -> list[asyncpg.Record]:
    """The app's rollup per UTC day of the `days` days ending `days_before` days before today (0: the last
    `days` days), oldest first, zeros for days without data: day, active_devices, new_devices, events,
    ad_watches, purchases, ad_revenue, purchase_revenue."""
    return await conn.fetch(DAILY, app_id, days, days_before)


async def trends(org_id: int, app_id: int, days: int) -> list[dict[str, Any]]:
    """Per day of the last `days` days, oldest first: active devices, new devices, events (zeros
    for days without any)."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        rows = await daily_rows(conn, app_id, days)
    return [
        {
            "date": _day(r["day"]),
            "active_devices": r["active_devices"],
            "new_devices": r["new_devices"],
            "total_events": int(r["events"]),
        }
        for r in rows
    ]


async def countries(org_id: int, app_id: int) -> list[dict[str, Any]]:
    """Devices per country, most first (ties by country code); devices without a country are left out."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        rows = await conn.fetch(COUNTRIES, app_id)
    return [{"country": r["country"], "devices": r["devices"]} for r in rows]


async def revenue(org_id: int, app_id: int, days: int) -> dict[str, Any]:
    """Revenue over the last `days` days: totals (ad + purchase), ARPDAU (total revenue divided by
    the sum of the days' active devices; 0 without any), ad revenue by network, ad type, country and
    geo tier (null for impressions that did not say; most revenue first, then most impressions, then
    by name, null last), and per day."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        daily = await daily_rows(conn, app_id, days)
        breakdown = await conn.fetch(REVENUE_BREAKDOWN, app_id, days)
    ad = sum((r["ad_revenue"] for r in daily), Decimal(0))
    purchase = sum((r["purchase_revenue"] for r in daily), Decimal(0))
    dau = sum(r["active_devices"] for r in daily)
    by: dict[str, list[dict[str, Any]]] = {name: [] for name in REVENUE_DIMENSIONS}
    for r in breakdown:
        by[r["dimension"]].append(
            {
                r["dimension"]: r["value"] or None,
                "revenue": money(r["revenue"]),
                "impressions": int(r["impressions"]),
            }
        )
    return {
        "total": money(ad + purchase),
        "ad_revenue": money(ad),
        "purchase_revenue": money(purchase),
        "arpdau": money((ad + purchase) / dau) if dau else 0.0,
        "by_network": by["ad_network"],
        "by_ad_type": by["ad_type"],
        "by_country": by["country"],
        "by_geo_tier": by["geo_tier"],
        "daily": [
            {
                "date": _day(r["day"]),
                "ad_revenue": money(r["ad_revenue"]),
                "purchase_revenue": money(r["purchase_revenue"]),
                "dau": r["active_devices"],
            }
            for r in daily
        ],
    }


async def event_counts(org_id: int, app_id: int, days: int) -> list[dict[str, Any]]:
    """Events per type over the last `days` days, most first (ties by type)."""
    await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        rows = await conn.fetch(EVENT_TYPES, app_id, days)
    return [{"event_type": r["event_type"], "count": int(r["count"])} for r in rows]
