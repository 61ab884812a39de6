"""The queue view (GET /system/queue): per queue pending, delayed, in progress and dead-lettered messages,
jobs and failures scoped to an organisation (operators: all), and an operator's dead-letter retry/drop.

The broker itself is read by actors.queues (blocking calls, passed in here as functions); messages in
progress are counted by the workers (actors.inflight) under the keys below.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import jobs
from core.errors import NotFound, ServiceUnavailable
from pipelines import activity, system

INFLIGHT_WORKERS = "inflight:workers"  # sorted set: a worker process's hash key -> when it last published
INFLIGHT_STALE_SECONDS = 10.0  # a worker silent this long is gone: its counts no longer count
BROKER_TIMEOUT = 10.0
INTERNAL_KIND = re.compile(r"^Internal error \((\w+)\)$")

Counts = Callable[[], dict[str, dict[str, int]]]
Letters = Callable[[], list[dict[str, Any]]]
Letter = Callable[[], dict[str, Any] | None]


async def in_progress(redis: Redis) -> dict[str, int]:
    """Messages being processed now by all live worker processes, per queue."""
    await redis.zremrangebyscore(INFLIGHT_WORKERS, "-inf", time.time() - INFLIGHT_STALE_SECONDS)
    keys = await redis.zrange(INFLIGHT_WORKERS, 0, -1)
    totals: Counter[str] = Counter()
    if keys:
        async with redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            for counts in await pipe.execute():
                for queue, n in counts.items():
                    totals[queue] += int(n)
    return dict(totals)


def _error_kind(failure: dict[str, Any]) -> str | None:
    """The exception class of a failure (recorded since this view shows it; read from the message before)."""
    if failure.get("error_kind"):
        return failure["error_kind"]
    match = INTERNAL_KIND.match(failure.get("error") or "")
    return match.group(1) if match else None


async def _broker(call: Callable[[], Any], what: str) -> Any:
    try:
        return await asyncio.wait_for(asyncio.to_thread(call), BROKER_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the view cannot be built
        raise ServiceUnavailable(f"Queue broker unavailable ({what})") from exc


async def queue_view(
    redis: Redis, org_id: int | None, broker: str, counts: Counts, dead_letters: Letters
) -> dict[str, Any]:
    """The view for one organisation's owners and admins (`org_id`), or for operators (None: everything).
    Queue counts are the shared broker's; jobs, failures and dead letters are the organisation's own."""
    # Letters first: a message dead-lettered meanwhile is then in the counts too, never listed but uncounted.
    letters = await _broker(dead_letters, "dead letters")
    by_queue = await _broker(counts, "counts")
    try:
        running = await in_progress(redis)
        recent = await jobs.org_jobs(redis, org_id)
        failures = await jobs.recent_failures(redis, org_id)
        last_tick = await system.last_heartbeat(redis)
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Redis unavailable") from exc
    queues = {
        name: {
            "pending": c["pending"],
            "delayed": c["delayed"],
            "in_progress": running.get(name, 0),
            "dead": c["dead"],
        }
        for name, c in by_queue.items()
    }
    job_counts = {status: 0 for status in (jobs.QUEUED, jobs.RUNNING, jobs.DONE, jobs.FAILED)}
    for job in recent:
        job_counts[job["status"]] = job_counts.get(job["status"], 0) + 1
    failures = [{**f, "error_kind": _error_kind(f)} for f in failures]
    errors = {f.get("message_id"): f for f in failures}
    if org_id is not None:
        letters = [d for d in letters if d["org_id"] == org_id]
    for letter in letters:
        failure = errors.get(letter["message_id"]) or {}
        letter.update(error=failure.get("error"), error_kind=failure.get("error_kind"))
    return {
        "broker": broker,
        "scope": "all" if org_id is None else "org",
        "queues": queues,
        "jobs": job_counts,
        "recent_jobs": [
            {k: j[k] for k in ("job_id", "kind", "status", "created_at", "finished_at", "error")}
            for j in recent[:50]
        ],
        "recent_failures": failures,
        "dead_letters": letters,
        "scheduler_last_tick": last_tick,
    }


async def retry_dead_letter(
    redis: Redis, message_id: str, retry: Callable[[Callable[[dict[str, Any]], None]], dict[str, Any] | None]
) -> dict[str, Any]:
    """Put a dead-lettered message back on its queue (full retry budget). `retry(before)` finds and requeues
    it, calling `before(letter)` first: its job shows queued again before any worker can take it."""
    loop = asyncio.get_running_loop()
    requeued: list[str] = []

    def before(letter: dict[str, Any]) -> None:
        if letter.get("job_id"):  # called in the broker's thread: the record is written by this event loop
            asyncio.run_coroutine_threadsafe(jobs.mark_requeued(redis, letter["job_id"]), loop).result(10)
            requeued.append(letter["job_id"])

    try:
        letter = await _broker(lambda: retry(before), "retry")
    except ServiceUnavailable:
        for job_id in requeued:  # the broker failed after the record was changed: it is still dead
            await jobs.mark_finished(redis, job_id, error="Dead-lettered (a retry could not requeue it)")
        raise
    if letter is None:
        raise NotFound("Dead letter not found")
    await activity.record_change(None, message_id, {"queue": letter["queue"], "actor": letter["actor"]})
    return {**letter, "status": "requeued"}


async def drop_dead_letter(message_id: str, drop: Letter) -> dict[str, Any]:
    """Delete a dead-lettered message for good (its job stays failed)."""
    letter = await _broker(drop, "drop")
    if letter is None:
        raise NotFound("Dead letter not found")
    await activity.record_change(None, message_id, {"queue": letter["queue"], "actor": letter["actor"]})
    return {**letter, "status": "dropped"}
