"""Built-in segments over time: the nightly pass that moves devices whose segment changed by
time alone (new -> active, active -> dormant -> churned, 30-day counters expiring)."""

from __future__ import annotations

from redis.asyncio import Redis

from core.db import raw_connection
from pipelines import devicecache

CHUNK = 10_000

RECLASSIFY = """
WITH fresh AS (
    SELECT d.id, d.user_segment AS old_segment, coalesce(w.sessions, 0) AS s30, coalesce(w.ad_watches, 0) AS a30, coalesce(w.purchases, 0) AS p30,
        device_segment(d.last_seen_at, d.first_seen_at, coalesce(w.sessions, 0), coalesce(w.ad_watches, 0),
                       coalesce(w.purchases, 0), now()) AS segment
    FROM devices d
    LEFT JOIN LATERAL (
        SELECT sum(x.sessions) AS sessions, sum(x.ad_watches) AS ad_watches, sum(x.purchases) AS purchases
        FROM device_days x WHERE x.device_id = d.id AND x.day > (now() AT TIME ZONE 'UTC')::date - 30
    ) w ON true
    WHERE d.id >= $1 AND d.id < $2
)
UPDATE devices d SET sessions_30d = f.s30, ad_watches_30d = f.a30, purchases_30d = f.p30, user_segment = f.segment
FROM fresh f
WHERE d.id = f.id AND (d.user_segment, d.sessions_30d, d.ad_watches_30d, d.purchases_30d)
    IS DISTINCT FROM (f.segment, f.s30::int, f.a30::int, f.p30::int)
RETURNING d.app_id, d.android_id, f.old_segment <> f.segment AS moved
"""


async def reclassify_all(redis: Redis | None) -> dict[str, int]:
    """Recompute every device's 30-day counters and segment, in chunks; returns how many changed.
    Devices whose segment moved leave the flag-targeting cache (pipelines.devicecache)."""
    changed = moved = 0
    async with raw_connection() as conn:
        low, high = await conn.fetchrow("SELECT coalesce(min(id), 0), coalesce(max(id), -1) FROM devices")
        start = low
        while start <= high:
            rows = await conn.fetch(RECLASSIFY, start, start + CHUNK)
            changed += len(rows)
            pairs = [(r["app_id"], r["android_id"]) for r in rows if r["moved"]]
            moved += len(pairs)
            if pairs and redis is not None:
                await devicecache.drop(redis, pairs)
            start += CHUNK
    return {"changed": changed, "segments_moved": moved}
