"""The live event stream: stored batches published per app, and read back by SSE clients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.pubsub import publish

POLL_SECONDS = 1.0
POLL_LIMIT = 500


def channel(app_id: int) -> str:
    return f"stream:app:{app_id}"


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _canonical(event_id: str) -> str:
    """The UUID as PostgreSQL prints it (the SDK may send upper case or no hyphens)."""
    try:
        return str(uuid.UUID(event_id))
    except ValueError:
        return event_id


def stored_events(batches: list[dict[str, Any]], inserted: dict[str, tuple[int, int]]) -> dict[int, bytes]:
    """Per app, the JSON array of the events a flush stored (duplicates left out)."""
    out: dict[int, list[Any]] = {}
    unsent = dict(inserted)  # each stored row once, though a flush may carry its event id twice
    for batch in batches:
        for android_id, event_type, event_data, created_ms, event_id in batch["events"]:
            if event_id not in unsent:
                event_id = _canonical(event_id)
            row = unsent.pop(event_id, None)
            if row is None:
                continue
            out.setdefault(batch["app_id"], []).append(
                {
                    "id": row[0],
                    "device_id": row[1],
                    "android_id": android_id,
                    "event_type": event_type,
                    "event_data": orjson.Fragment(event_data),
                    "created_at": _iso_ms(created_ms),
                    "event_id": event_id,
                }
            )
    return {app_id: orjson.dumps(events) for app_id, events in out.items()}


async def listened_apps(redis: Redis, app_ids: set[int]) -> set[int]:
    """The apps whose stream someone listens to now (building their payload is wasted otherwise)."""
    if not app_ids:
        return set()
    try:
        counts = await redis.pubsub_numsub(*(channel(a) for a in app_ids))
    except (RedisError, OSError):
        return set()
    return {int(name.rsplit(":", 1)[1]) for name, n in counts if n}


async def publish_stored(
    redis: Redis, batches: list[dict[str, Any]], inserted: dict[str, tuple[int, int]]
) -> None:
    """Publish what a flush stored to each app's channel (after commit)."""
    for app_id, payload in stored_events(batches, inserted).items():
        await publish(redis, channel(app_id), payload.decode())


async def latest_event_id(conn: asyncpg.Connection, app_id: int) -> int:
    return await conn.fetchval("SELECT coalesce(max(id), 0) FROM events WHERE app_id = $1", app_id)


async def events_after(conn: asyncpg.Connection, app_id: int, after_id: int) -> tuple[bytes | None, int]:
    """Polling fallback: the app's events stored after `after_id`, as the JSON array the stream sends."""
    rows = await conn.fetch(
        "SELECT e.id, e.device_id, d.android_id, e.event_type, e.event_data::text AS event_data, e.created_at, "
        "e.event_id::text AS event_id FROM events e JOIN devices d ON d.id = e.device_id "
        "WHERE e.app_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3",
        app_id,
        after_id,
        POLL_LIMIT,
    )
    if not rows:
        return None, after_id
    events = [
        {
            "id": r["id"],
            "device_id": r["device_id"],
            "android_id": r["android_id"],
            "event_type": r["event_type"],
            "event_data": orjson.Fragment(r["event_data"]),
            "created_at": _iso_ms(int(r["created_at"].timestamp() * 1000)),
            "event_id": r["event_id"],
        }
        for r in rows
    ]
    return orjson.dumps(events), rows[-1]["id"]
