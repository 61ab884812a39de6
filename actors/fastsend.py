"""Sending hot-path messages without blocking the API's event loop, with jobs that cost no writes.

For a Redis broker the message is written the way Dramatiq's RedisBroker writes it
(HSET <queue>.msgs + RPUSH <queue>) in one round trip of the async client. Its job id
is signed and self-describing ("ev.<org>.<ms>.<ref>.<mac>"): while the message waits
in the queue the job is queued; once it is gone it is done, unless the worker recorded
a failure under the reference (a retried message gets a new Redis id, the reference stays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

import dramatiq
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from actors.broker import REDIS_NAMESPACE
from actors.middleware import STATE_KEY
from core.errors import ServiceUnavailable

PREFIX = "ev"


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:20]


def job_id(secret: str, org_id: int, sent_ms: int, ref: str) -> str:
    body = f"{PREFIX}.{org_id}.{sent_ms}.{ref}"
    return f"{body}.{_mac(secret, body)}"


def parse_job_id(secret: str, value: str) -> tuple[int, int, str] | None:
    """(org_id, sent_ms, ref) of a job id this platform issued, else None."""
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    body = ".".join(parts[:4])
    if not hmac.compare_digest(parts[4], _mac(secret, body)):
        return None
    try:
        return int(parts[1]), int(parts[2]), parts[3]
    except ValueError:
        return None


async def send(
    broker_redis: Redis, actor: dramatiq.Actor, args: tuple[Any, ...], *, secret: str, org_id: int
) -> str:
    """Enqueue `actor(*args)` on the Redis broker; returns its job id (ServiceUnavailable if it cannot)."""
    ref = uuid.uuid4().hex
    now_ms = int(time.time() * 1000)
    message = {
        "queue_name": actor.queue_name, "actor_name": actor.actor_name, "args": list(args), "kwargs": {},
        "options": {"redis_message_id": ref, "job_ref": ref}, "message_id": ref, "message_timestamp": now_ms,
    }
    queue = f"{REDIS_NAMESPACE}:{actor.queue_name}"
    try:
        async with broker_redis.pipeline(transaction=True) as pipe:
            pipe.hset(f"{queue}.msgs", ref, orjson.dumps(message))
            pipe.rpush(queue, ref)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Event queue unavailable; retry later") from exc
    return job_id(secret, org_id, now_ms, ref)


async def state(redis: Redis, broker_redis: Redis, queue_name: str, ref: str) -> tuple[str, str | None]:
    """(status, error) of a message sent by `send`: queued, failed, or done."""
    recorded = await redis.get(STATE_KEY.format(ref))
    if recorded:
        status, _, error = recorded.partition(":")
        return status, error or None
    waiting = await broker_redis.hexists(f"{REDIS_NAMESPACE}:{queue_name}.msgs", ref)
    return ("queued", None) if waiting else ("done", None)
