"""The device attributes flag targeting reads (segment, country, app version), cached in Redis.

Custom-segment membership is cached too. GET /sdk/flags reads a device's entry together with its rate-limit step in one Redis round trip
and touches no database once the entry is there. Every path that changes one of these attributes
(registration, profile actions, ingest and the nightly reclassification moving a segment, erasure,
a custom segment's calculation adding or removing it)
drops the entry after its commit, so the next read loads the current row; the TTL is a safety net.

A drop leaves a short tombstone rather than deleting: a read that loaded the row just before the
change cannot write its stale copy back (loads write only where no entry or tombstone is).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from core.db import raw_connection
from core.logging import get_logger
from core.ratelimit import SLIDING_LOG_STEP, Step, Verdict
from pipelines.flags import NEW_DEVICE, DeviceAttrs

log = get_logger(__name__)

TTL_SECONDS = 3600
UNKNOWN_TTL_SECONDS = 10  # an unknown android_id (evaluated as a new device) until it registers
UNKNOWN = "-"
TOMBSTONE = "!"
TOMBSTONE_TTL_SECONDS = 2
DROP_CHUNK = 1000

# KEYS[1] = the client's rate-limit log, KEYS[2] = the device's entry: the limiter's step, then
# (when admitted) the entry, in one round trip.
LIMITED_READ = (
    SLIDING_LOG_STEP
    + """
local entry = false
if admitted == 1 then entry = redis.call('GET', KEYS[2]) end
return {admitted, limit - count, reset, now, entry}
"""
)

LOAD = """
SELECT d.user_segment, d.country, d.app_version,
    (SELECT coalesce(array_agg(m.segment_id ORDER BY m.segment_id), '{}') FROM custom_segment_members m
     WHERE m.device_id = d.id) AS custom_segments
FROM devices d WHERE d.app_id = $1 AND d.android_id = $2
"""


def key(app_id: int, android_id: str) -> str:
    return f"devattr:{app_id}:{android_id}"


def decode(entry: str | None) -> DeviceAttrs | None:
    """The cached attributes; None when nothing is cached."""
    if entry is None or entry == TOMBSTONE:
        return None
    if entry == UNKNOWN:
        return NEW_DEVICE
    segment, country, app_version, custom = orjson.loads(entry)
    return DeviceAttrs(
        segment=segment, country=country, app_version=app_version, custom_segments=frozenset(custom)
    )


_scripts: dict[int, AsyncScript] = {}


async def read(
    redis: Redis, step: Step | None, app_id: int, android_id: str
) -> tuple[DeviceAttrs | None, Verdict | None]:
    """The device's cached attributes (None: not cached) and the rate-limit verdict (None: limiting
    off, or Redis down: the sdk tier fails open); raises RateLimitedWith over the limit."""
    try:
        if step is None:
            return decode(await redis.get(key(app_id, android_id))), None
        script = _scripts.get(id(redis))
        if script is None:
            script = _scripts[id(redis)] = redis.register_script(LIMITED_READ)
        result = await script(keys=[step.key, key(app_id, android_id)], args=step.args)
    except (RedisError, OSError) as exc:
        log.warning("devicecache.read_failed_fail_open", error=str(exc))
        return None, None
    verdict = step.verdict(result)
    return decode(result[4] if len(result) > 4 else None), verdict


async def load(redis: Redis, app_id: int, android_id: str) -> DeviceAttrs:
    """Read the device row (one query) and cache what targeting needs."""
    async with raw_connection() as conn:
        row = await conn.fetchrow(LOAD, app_id, android_id)
    if row is None:
        attrs, entry, ttl = NEW_DEVICE, UNKNOWN, UNKNOWN_TTL_SECONDS
    else:
        attrs = DeviceAttrs(
            segment=row["user_segment"],
            country=row["country"],
            app_version=row["app_version"],
            custom_segments=frozenset(row["custom_segments"]),
        )
        entry = orjson.dumps(
            [attrs.segment, attrs.country, attrs.app_version, row["custom_segments"]]
        ).decode()
        ttl = TTL_SECONDS
    try:
        await redis.set(key(app_id, android_id), entry, ex=ttl, nx=True)
    except (RedisError, OSError) as exc:
        log.warning("devicecache.write_failed", error=str(exc))
    return attrs


async def drop(redis: Redis, devices: Iterable[tuple[int, str]]) -> None:
    """Forget the cached attributes of (app_id, android_id) pairs after their row changed.

    A Redis outage only delays the change by the entries' TTL, so it is logged, not raised."""
    keys = [key(app_id, android_id) for app_id, android_id in devices]
    try:
        for start in range(0, len(keys), DROP_CHUNK):
            pipe = redis.pipeline(transaction=False)
            for name in keys[start : start + DROP_CHUNK]:
                pipe.set(name, TOMBSTONE, ex=TOMBSTONE_TTL_SECONDS)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("devicecache.drop_failed", error=str(exc), devices=len(keys))
