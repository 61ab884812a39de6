"""GDPR erasure of one device: its events, revenue and days go, and the rollups forget it."""

from __future__ import annotations

from redis.asyncio import Redis

from core.db import raw_connection
from core.errors import NotFound
from core.pubsub import invalidate
from pipelines import devicecache
from pipelines.ingest import LOCK_APPS, PURCHASE_AMOUNT
from pipelines.usage import release_devices

FIND = "SELECT d.app_id FROM devices d JOIN apps a ON a.id = d.app_id WHERE d.id = $1 AND a.org_id = $2"

# After the app's lock (ingest's order: app, then devices): revenue reported meanwhile, which updates
# the device row first, is either counted below or finds no device; a concurrent erasure finds none.
LOCK_DEVICE = """SELECT (first_seen_at AT TIME ZONE 'UTC')::date AS first_day, android_id
FROM devices WHERE id = $1 FOR UPDATE"""

# Take the device's share out of the daily rollups before its rows go.
FORGET_IN_ROLLUPS = [
    """UPDATE app_daily_events t SET count = t.count - x.n
        FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, event_type, count(*) AS n
              FROM events WHERE device_id = $1 GROUP BY 1, 2) x
        WHERE t.app_id = $2 AND t.day = x.day AND t.event_type = x.event_type""",
    f"""UPDATE app_daily t SET active_devices = t.active_devices - 1, events = t.events - dd.events,
            sessions = t.sessions - dd.sessions, ad_watches = t.ad_watches - dd.ad_watches,
            purchases = t.purchases - dd.purchases, purchase_revenue = t.purchase_revenue - coalesce(r.revenue, 0)
        FROM device_days dd LEFT JOIN (
            SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum({PURCHASE_AMOUNT}) AS revenue
            FROM events WHERE device_id = $1 AND event_type = 'purchase' GROUP BY 1) r ON r.day = dd.day
        WHERE dd.device_id = $1 AND t.app_id = $2 AND t.day = dd.day""",
    """UPDATE app_daily t SET ad_revenue = t.ad_revenue - x.revenue, ad_impressions = t.ad_impressions - x.n
        FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(revenue) AS revenue, count(*) AS n
              FROM revenue_events WHERE device_id = $1 GROUP BY 1) x
        WHERE t.app_id = $2 AND t.day = x.day""",
    # After app_daily, as record_revenue locks them.
    """UPDATE app_daily_revenue t SET revenue = t.revenue - x.revenue, impressions = t.impressions - x.n
        FROM (SELECT r.day, b.dimension, b.value, sum(r.revenue) AS revenue, count(*) AS n
              FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, revenue, ad_type, ad_network, country,
                           geo_tier FROM revenue_events WHERE device_id = $1) r
              CROSS JOIN LATERAL (VALUES ('ad_network', coalesce(r.ad_network, '')), ('ad_type', r.ad_type),
                                         ('country', coalesce(r.country, '')), ('geo_tier', coalesce(r.geo_tier, '')))
                  AS b(dimension, value)
              GROUP BY 1, 2, 3) x
        WHERE t.app_id = $2 AND t.day = x.day AND t.dimension = x.dimension AND t.value = x.value""",
]


async def erase_device(redis: Redis, org_id: int, device_id: int) -> dict[str, int]:
    """Delete the device and everything recorded about it; returns the receipt of what was deleted.
    Later SDK calls with the same android_id start a new device."""
    async with raw_connection() as conn, conn.transaction():
        found = await conn.fetchrow(FIND, device_id, org_id)
        if found is None:
            raise NotFound("Device not found")
        app_id = found["app_id"]
        await conn.execute(LOCK_APPS, [app_id])  # no flush of this app runs meanwhile
        found = await conn.fetchrow(LOCK_DEVICE, device_id)
        if found is None:
            raise NotFound("Device not found")
        for statement in FORGET_IN_ROLLUPS:
            await conn.execute(statement, device_id, app_id)
        await conn.execute(
            "UPDATE app_daily SET new_devices = new_devices - 1 WHERE app_id = $1 AND day = $2",
            app_id,
            found["first_day"],
        )
        deleted = {
            "events": await conn.fetchval(
                "WITH d AS (DELETE FROM events WHERE device_id = $1 RETURNING 1) SELECT count(*) FROM d",
                device_id,
            ),
            "revenue_events": await conn.fetchval(
                "WITH d AS (DELETE FROM revenue_events WHERE device_id = $1 RETURNING 1) SELECT count(*) FROM d",
                device_id,
            ),
            "experiment_exposures": await conn.fetchval(
                "WITH d AS (DELETE FROM experiment_exposures WHERE device_id = $1 RETURNING 1) SELECT count(*) FROM d",
                device_id,
            ),
            "segment_memberships": await conn.fetchval(
                "WITH d AS (DELETE FROM custom_segment_members WHERE device_id = $1 RETURNING 1) SELECT count(*) FROM d",
                device_id,
            ),
            "device_days": await conn.fetchval(
                "WITH d AS (DELETE FROM device_days WHERE device_id = $1 RETURNING 1) SELECT count(*) FROM d",
                device_id,
            ),
            "devices": await conn.fetchval(
                "WITH d AS (DELETE FROM devices WHERE id = $1 RETURNING 1) SELECT count(*) FROM d", device_id
            ),
        }
        await release_devices(conn, org_id, 1)
    await invalidate(redis, "device", device_id)
    await devicecache.drop(redis, [(app_id, found["android_id"])])
    return deleted
