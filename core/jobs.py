"""Job records in Redis: one per heavy request, written by the worker, read by the API."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from core.pubsub import CHANNEL_JOBS_DONE

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FINISHED = {DONE, FAILED}
RECENT_FAILURES_KEY = "jobs:failed"
RECENT_FAILURES_KEPT = 200


def _key(job_id: str) -> str:
    return f"job:{job_id}"


ALL_INDEX = "jobs:all"


def _org_index(org_id: int | None) -> str:
    """Index of an organisation's jobs; None: every job (what operators see)."""
    return f"jobs:org:{org_id}" if org_id is not None else ALL_INDEX


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_job_id() -> str:
    return uuid.uuid4().hex


async def create(redis: Redis, job_id: str, kind: str, org_id: int | None, ttl: int) -> None:
    """Record a queued job."""
    now = time.time()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(
            _key(job_id),
            mapping={
                "job_id": job_id,
                "kind": kind,
                "org_id": "" if org_id is None else org_id,
                "status": QUEUED,
                "progress": 0,
                "created_at": now,
                "attempts": 0,
            },
        )
        pipe.expire(_key(job_id), ttl)
        for index in {_org_index(org_id), ALL_INDEX}:
            pipe.zadd(index, {job_id: now})
            pipe.zremrangebyscore(index, "-inf", now - ttl)
            pipe.expire(index, ttl)
        await pipe.execute()


async def delete(redis: Redis, job_id: str, org_id: int | None) -> None:
    """Forget a job that never reached the broker."""
    await redis.delete(_key(job_id))
    await redis.zrem(_org_index(org_id), job_id)
    await redis.zrem(ALL_INDEX, job_id)


# Writes by the worker touch a record only while it exists: a message that outlives its record (expired,
# or dropped after an enqueue error although the broker had taken it) must not leave a partial, TTL-less one.
UPDATE_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if ARGV[1] ~= '' then redis.call('HINCRBY', KEYS[1], ARGV[1], 1) end
return 1
"""


async def _update(redis: Redis, job_id: str, fields: dict[str, Any], increment: str = "") -> bool:
    """Set `fields` (and add 1 to the field `increment`) of an existing record; False when there is none."""
    args: list[Any] = [increment]
    for name, value in fields.items():
        args += [name, value]
    return bool(await redis.register_script(UPDATE_IF_EXISTS)(keys=[_key(job_id)], args=args))


async def mark_running(redis: Redis, job_id: str) -> None:
    """The worker started (or restarted, after a redelivery) the job."""
    await _update(redis, job_id, {"status": RUNNING, "started_at": time.time()}, increment="attempts")


async def set_progress(redis: Redis, job_id: str, fraction: float) -> None:
    """Report progress 0..1 of a running job."""
    await _update(redis, job_id, {"progress": min(1.0, max(0.0, float(fraction)))})


async def mark_retrying(redis: Redis, job_id: str, error: str) -> None:
    """The attempt failed and the broker will retry it."""
    await _update(redis, job_id, {"status": QUEUED, "error": error})


async def mark_requeued(redis: Redis, job_id: str) -> None:
    """An operator put the job's dead-lettered message back on its queue: queued again, no error."""
    await _update(redis, job_id, {"status": QUEUED, "error": "", "error_status": "", "finished_at": ""})


async def mark_finished(
    redis: Redis,
    job_id: str,
    *,
    result: Any = None,
    error: str | None = None,
    error_status: int | None = None,
    retry_after: int | None = None,
) -> None:
    """The job is over: done with a result, or failed with an error (and, for a 429, the seconds to wait).
    Wakes waiting requests."""
    fields: dict[str, Any] = {"finished_at": time.time()}
    if error is None:
        fields.update(status=DONE, progress=1, result=orjson.dumps(result).decode(), error="")
    else:
        fields.update(status=FAILED, error=error, error_status=error_status or 500)
        if retry_after is not None:
            fields["retry_after"] = retry_after
    await _update(redis, job_id, fields)
    # Even without a record: a request waiting for it then sees at once that it is gone.
    await redis.publish(CHANNEL_JOBS_DONE, job_id)


def _failures_key(org_id: int | None) -> str:
    return f"{RECENT_FAILURES_KEY}:{org_id}" if org_id is not None else RECENT_FAILURES_KEY


async def record_failure(redis: Redis, entry: dict[str, Any]) -> None:
    """Keep a dead-lettered message in the recent-failures lists (the dead-letter view):
    every org's, and its own org's, so a busy org cannot push another's out of view."""
    item = orjson.dumps({**entry, "at": _iso(time.time())}).decode()
    async with redis.pipeline(transaction=True) as pipe:
        for key in {RECENT_FAILURES_KEY, _failures_key(entry.get("org_id"))}:
            pipe.lpush(key, item)
            pipe.ltrim(key, 0, RECENT_FAILURES_KEPT - 1)
        await pipe.execute()


async def recent_failures(redis: Redis, org_id: int | None, limit: int = 50) -> list[dict[str, Any]]:
    """Newest dead-lettered messages of an org (None: of all orgs, for operators)."""
    raw = await redis.lrange(_failures_key(org_id), 0, limit - 1)
    return [orjson.loads(item) for item in raw]


async def get(redis: Redis, job_id: str) -> dict[str, Any] | None:
    """The job as the API shows it, or None."""
    raw = await redis.hgetall(_key(job_id))
    if not raw:
        return None
    return _public(raw)


def _public(raw: dict[str, str]) -> dict[str, Any]:
    result = raw.get("result")
    return {
        "job_id": raw["job_id"],
        "kind": raw.get("kind"),
        "status": raw.get("status", QUEUED),
        "progress": float(raw.get("progress") or 0),
        "result": orjson.loads(result) if result else None,
        "error": raw.get("error") or None,
        "created_at": _iso(float(raw["created_at"])) if raw.get("created_at") else None,
        "finished_at": _iso(float(raw["finished_at"])) if raw.get("finished_at") else None,
        "org_id": int(raw["org_id"]) if raw.get("org_id") else None,
        "error_status": int(raw["error_status"]) if raw.get("error_status") else None,
        "retry_after": int(raw["retry_after"]) if raw.get("retry_after") else None,
        "attempts": int(raw.get("attempts") or 0),
    }


async def org_jobs(redis: Redis, org_id: int | None, limit: int = 200) -> list[dict[str, Any]]:
    """The organisation's newest jobs (None: every organisation's)."""
    ids = await redis.zrevrange(_org_index(org_id), 0, limit - 1)
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hgetall(_key(job_id))
        rows = await pipe.execute()
    return [_public(row) for row in rows if row]


class JobWaiter:
    """Lets requests wait for jobs: woken by pub/sub, with polling as the safety net."""

    POLL_INTERVAL = 0.5

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}

    def notify(self, job_id: str) -> None:
        """Pub/sub handler for CHANNEL_JOBS_DONE."""
        for fut in self._waiting.pop(job_id, ()):
            if not fut.done():
                fut.set_result(None)

    async def wait(self, job_id: str, timeout: float) -> dict[str, Any] | None:
        """The job record once finished, or as it stands when the timeout runs out."""
        deadline = time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while True:
            # Register before reading, so a notification between the two is not lost.
            fut: asyncio.Future[None] = loop.create_future()
            self._waiting.setdefault(job_id, []).append(fut)
            try:
                job = await get(self._redis, job_id)
                remaining = deadline - time.monotonic()
                if job is None or job["status"] in FINISHED or remaining <= 0:
                    return job
                try:
                    await asyncio.wait_for(fut, min(remaining, self.POLL_INTERVAL))
                except TimeoutError:
                    pass
            finally:
                waiters = self._waiting.get(job_id)
                if waiters and fut in waiters:
                    waiters.remove(fut)
                    if not waiters:
                        del self._waiting[job_id]
