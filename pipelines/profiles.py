"""SDK profiles: one-row reads, profile actions (stored as events), FCM tokens, ad revenue."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import BadRequest, NotFound
from pipelines import adstrategy, ingest

# The profile, its segment computed now (time alone can make a device dormant or churned),
# and the app's strategy override for that segment: one query.
PROFILE = """
SELECT d.id, d.country, d.ad_watches, d.purchases, d.purchase_revenue, d.ad_revenue, d.sessions_30d,
       d.recent_purchases::text AS recent_purchases, d.last_seen_at, d.first_seen_at, d.app_version, seg.name AS segment,
       s.strategy::text AS strategy, s.config_version
FROM devices d
CROSS JOIN LATERAL (
    SELECT device_segment(d.last_seen_at, d.first_seen_at, d.sessions_30d, d.ad_watches_30d, d.purchases_30d, now())
    AS name
) seg
LEFT JOIN ad_strategies s ON s.app_id = d.app_id AND s.segment = (CASE seg.name
    WHEN 'churned' THEN 'CHURNED_USER' WHEN 'dormant' THEN 'DORMANT_USER' WHEN 'power_user' THEN 'POWER_USER'
    WHEN 'new' THEN 'NEW_USER' WHEN 'active' THEN 'ACTIVE_USER' ELSE 'CASUAL_USER' END)
WHERE d.app_id = $1 AND d.android_id = $2
"""

# Profile actions and the event each one records.
ACTION_EVENTS = {
    "ad_watched": "ad_watched",
    "purchase_made": "purchase",
    "update_country": "update_country",
    "app_update": "app_update",
    "session_start": "session_start",
}


def _strategy(row: Any) -> dict[str, Any]:
    segment = adstrategy.PROFILE_SEGMENTS[row["segment"]]
    merged = {**adstrategy.DEFAULTS[segment], **(orjson.loads(row["strategy"]) if row["strategy"] else {})}
    merged["config_version"] = row["config_version"] or 1
    return merged


def money(value: Decimal | int) -> float:
    """A USD amount as the API writes it: a JSON number rounded to 6 decimals."""
    return float(round(Decimal(value), 6))


async def get_profile(app_id: int, android_id: str) -> dict[str, Any]:
    """The device's profile with its segment and ad strategy; NotFound for an unknown device."""
    async with raw_connection() as conn:
        row = await conn.fetchrow(PROFILE, app_id, android_id)
    if row is None:
        raise NotFound("Device not found; register it first")
    now = utcnow()
    return {
        "device_id": row["id"],
        "segment": adstrategy.PROFILE_SEGMENTS[row["segment"]],
        "country": row["country"],
        "total_ad_watches": row["ad_watches"],
        "days_since_first_install": (now - row["first_seen_at"]).days,
        "total_purchases": row["purchases"],
        "total_revenue": money(row["purchase_revenue"] + row["ad_revenue"]),
        "purchase_revenue": money(row["purchase_revenue"]),
        "ad_revenue": money(row["ad_revenue"]),
        "purchase_history": orjson.loads(row["recent_purchases"]),
        "sessions_30d": row["sessions_30d"],
        "last_seen": iso(row["last_seen_at"]),
        "app_version": row["app_version"],
        "ad_strategy": _strategy(row),
    }


def action_event(action: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event type and data a profile action records (BadRequest for missing fields)."""
    event_type = ACTION_EVENTS[action]
    if action == "purchase_made":
        if params.get("amount") is None:
            raise BadRequest("Invalid profile action", {"amount": "required for purchase_made"})
        return event_type, {
            k: params[k] for k in ("product_id", "amount", "currency") if params.get(k) is not None
        }
    if action == "update_country":
        if not params.get("country"):
            raise BadRequest("Invalid profile action", {"country": "required for update_country"})
        return event_type, {"country": params["country"].upper()}
    if action == "app_update":
        if not params.get("app_version"):
            raise BadRequest("Invalid profile action", {"app_version": "required for app_update"})
        return event_type, {"app_version": params["app_version"]}
    return event_type, {}


async def record_action(
    app_id: int, org_id: int, android_id: str, action: str, params: dict[str, Any], at: datetime
) -> tuple[dict[str, Any], ingest.FlushResult, dict[str, Any]]:
    """Store the action as an event (through the ingest statements, so counters, segment and
    rollups move exactly as for SDK batches) and apply its attribute change.
    Returns the new profile, what was stored, and the batch (for the live stream)."""
    event_type, data = action_event(action, params)
    at_ms = int(at.timestamp() * 1000)
    batch = {
        "app_id": app_id,
        "org_id": org_id,
        "received_ms": at_ms,
        "events": [[android_id, event_type, orjson.dumps(data).decode(), at_ms, str(uuid.uuid4())]],
    }
    async with raw_connection() as conn, conn.transaction():
        result = await ingest.store_batches(conn, [batch], want_rows=True)
        if action == "update_country":
            await conn.execute(
                "UPDATE devices SET country = $3 WHERE app_id = $1 AND android_id = $2",
                app_id,
                android_id,
                data["country"],
            )
        elif action == "app_update":
            await conn.execute(
                "UPDATE devices SET app_version = $3 WHERE app_id = $1 AND android_id = $2",
                app_id,
                android_id,
                data["app_version"],
            )
    return await get_profile(app_id, android_id), result, batch


async def set_fcm_token(app_id: int, android_id: str, token: str) -> None:
    """Store a device's FCM token; NotFound for an unknown device."""
    async with raw_connection() as conn:
        updated = await conn.fetchval(
            "UPDATE devices SET fcm_token = $3, updated_at = now() WHERE app_id = $1 AND android_id = $2 RETURNING id",
            app_id,
            android_id,
            token,
        )
    if updated is None:
        raise NotFound("Device not found; register it first")


RECORD_REVENUE = """
WITH dev AS (
    UPDATE devices SET ad_revenue = ad_revenue + $3, updated_at = now()
    WHERE app_id = $1 AND android_id = $2 RETURNING id
), rev AS (
    INSERT INTO revenue_events (app_id, device_id, ad_type, ad_network, revenue, ecpm, geo_tier, country, created_at)
    SELECT $1, dev.id, $4, $5, $3, $6, $7, $8, $9 FROM dev
    RETURNING id
), daily AS (
    INSERT INTO app_daily AS t (app_id, day, ad_revenue, ad_impressions)
    SELECT $1, ($9 AT TIME ZONE 'UTC')::date, $3, 1 FROM rev
    ON CONFLICT (app_id, day) DO UPDATE SET ad_revenue = t.ad_revenue + EXCLUDED.ad_revenue,
        ad_impressions = t.ad_impressions + 1
    RETURNING day
), breakdown AS (
    -- Read from `daily`, so the app's day row is locked first and breakdown rows always after it, in
    -- one order (no deadlock with another impression or an erasure). '' stands for a value not given.
    INSERT INTO app_daily_revenue AS t (app_id, day, dimension, value, revenue, impressions)
    SELECT $1, daily.day, b.dimension, b.value, $3, 1
    FROM daily CROSS JOIN (VALUES ('ad_network', coalesce($5, '')), ('ad_type', $4), ('country', coalesce($8, '')),
                                  ('geo_tier', coalesce($7, ''))) AS b(dimension, value)
    ORDER BY b.dimension
    ON CONFLICT (app_id, day, dimension, value) DO UPDATE SET revenue = t.revenue + EXCLUDED.revenue,
        impressions = t.impressions + 1
)
SELECT id FROM rev
"""


async def record_revenue(
    app_id: int,
    android_id: str,
    ad_type: str,
    ad_network: str | None,
    revenue: Decimal,
    ecpm: Decimal | None,
    geo_tier: str | None,
    country: str | None,
    at: datetime,
) -> int:
    """Store one impression's revenue and count it on the device, in the day's rollup and in the day's
    breakdowns by network, ad type, country and geo tier (app_daily_revenue)."""
    async with raw_connection() as conn:
        revenue_id = await conn.fetchval(
            RECORD_REVENUE,
            app_id,
            android_id,
            revenue,
            ad_type,
            ad_network,
            ecpm,
            geo_tier,
            country.upper() if country else None,
            at,
        )
    if revenue_id is None:
        raise NotFound("Device not found; register it first")
    return revenue_id
