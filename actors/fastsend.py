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
from core.ratelimit import SLIDING_LOG_STEP, Step, Verdict

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


# With KEYS[4] (a hold key, e.g. the org's "device quota full" mark) present, nothing is counted or sent:
# the script answers HELD and the caller checks before sending again without it.
HELD = -1
HOLD_CHECK = """
if KEYS[4] and redis.call('EXISTS', KEYS[4]) == 1 then return {-1} end
"""
# The rate limiter's sliding-log step, then the enqueue only if admitted: one round trip per request.
# KEYS: the client's log, <queue>.msgs, <queue>[, hold key]; ARGV: limit, window ms, member, message id, message.
LIMITED_ENQUEUE = (
    HOLD_CHECK
    + SLIDING_LOG_STEP
    + """
if admitted == 1 then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
  redis.call('RPUSH', KEYS[3], ARGV[4])
end
return {admitted, limit - count, reset, now}
"""
)


# The enqueue alone, unless held (KEYS: <queue>.msgs, <queue>, hold key; ARGV: message id, message).
HELD_ENQUEUE = """
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
"""

_scripts: dict[tuple[int, str], Any] = {}  # per client and script: EVALSHA after the first call


def _script(broker_redis: Redis, source: str) -> Any:
    script = _scripts.get((id(broker_redis), source))
    if script is None:
        script = _scripts[(id(broker_redis), source)] = broker_redis.register_script(source)
    return script


def _message(actor: dramatiq.Actor, args: tuple[Any, ...]) -> tuple[str, int, bytes]:
    ref = uuid.uuid4().hex
    now_ms = int(time.time() * 1000)
    message = {
        "queue_name": actor.queue_name,
        "actor_name": actor.actor_name,
        "args": list(args),
        "kwargs": {},
        "options": {"redis_message_id": ref, "job_ref": ref},
        "message_id": ref,
        "message_timestamp": now_ms,
    }
    return ref, now_ms, orjson.dumps(message)


async def send(
    broker_redis: Redis,
    actor: dramatiq.Actor,
    args: tuple[Any, ...],
    *,
    secret: str,
    org_id: int,
    limit: Step | None = None,
    hold_if: str | None = None,
) -> tuple[str | None, Verdict | None]:
    """Enqueue `actor(*args)` on the Redis broker; returns its job id and, when `limit` is given,
    the rate-limit verdict counted in the same round trip (RateLimited when refused: nothing is sent).
    When the key `hold_if` exists nothing is counted or sent and the job id is None. ServiceUnavailable
    if Redis cannot take it. `limit` and `hold_if` need the limiter's Redis to be the broker's."""
    ref, now_ms, data = _message(actor, args)
    queue = f"{REDIS_NAMESPACE}:{actor.queue_name}"
    verdict = None
    try:
        if limit is not None:
            keys = [limit.key, f"{queue}.msgs", queue, *([hold_if] if hold_if else [])]
            result = await _script(broker_redis, LIMITED_ENQUEUE)(keys=keys, args=[*limit.args, ref, data])
            if int(result[0]) == HELD:
                return None, None
            verdict = limit.verdict(result)
        elif hold_if is not None:
            held = await _script(broker_redis, HELD_ENQUEUE)(
                keys=[f"{queue}.msgs", queue, hold_if], args=[ref, data]
            )
            if int(held) == HELD:
                return None, None
        else:
            async with broker_redis.pipeline(transaction=True) as pipe:
                pipe.hset(f"{queue}.msgs", ref, data)
                pipe.rpush(queue, ref)
                await pipe.execute()
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Event queue unavailable; retry later") from exc
    return job_id(secret, org_id, now_ms, ref), verdict


async def state(redis: Redis, broker_redis: Redis, queue_name: str, ref: str) -> tuple[str, str | None]:
    """(status, error) of a message sent by `send`: queued, failed, or done."""
    recorded = await redis.get(STATE_KEY.format(ref))
    if recorded:
        status, _, error = recorded.partition(":")
        return status, error or None
    waiting = await broker_redis.hexists(f"{REDIS_NAMESPACE}:{queue_name}.msgs", ref)
    return ("queued", None) if waiting else ("done", None)
