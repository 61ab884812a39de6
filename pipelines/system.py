"""Platform health, the job-path self-test, and the scheduler heartbeat."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import __version__, db

HEARTBEAT_KEY = "scheduler:last_tick"
TICKS_KEY = "scheduler:ticks"  # the newest ticks that reached a worker
TICKS_KEPT = 100
STARTED_AT = time.time()


async def selftest(
    redis: Redis, seconds: float, progress: Callable[[float], Awaitable[None]]
) -> dict[str, Any]:
    """Sleep `seconds` in steps (reporting progress), then time a DB and a Redis round trip."""
    steps = max(1, int(seconds * 4))
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        await progress((step + 1) / (steps + 1))
    t0 = time.perf_counter()
    await db.ping()
    t1 = time.perf_counter()
    await redis.ping()
    t2 = time.perf_counter()
    return {
        "slept_seconds": seconds,
        "db_ms": round((t1 - t0) * 1000, 3),
        "redis_ms": round((t2 - t1) * 1000, 3),
        "worker_pid": os.getpid(),
    }


async def record_heartbeat(redis: Redis, tick: str) -> None:
    """Remember the newest scheduled ticks a worker processed."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(HEARTBEAT_KEY, tick)
        pipe.lpush(TICKS_KEY, tick)
        pipe.ltrim(TICKS_KEY, 0, TICKS_KEPT - 1)
        await pipe.execute()


async def last_heartbeat(redis: Redis) -> str | None:
    """The newest scheduled tick a worker processed, or None."""
    try:
        return await redis.get(HEARTBEAT_KEY)
    except RedisError:
        return None


async def check_database() -> dict[str, Any]:
    """Database status and round-trip latency."""
    t0 = time.perf_counter()
    try:
        await asyncio.wait_for(db.ping(), timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return {"status": "down", "latency_ms": None, "error": type(exc).__name__}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - t0) * 1000, 2)}


async def check_redis(redis: Redis) -> dict[str, Any]:
    """Redis status."""
    try:
        await asyncio.wait_for(redis.ping(), timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok"}


def check_storage(data_dir: Path) -> dict[str, Any]:
    """Whether the data folder is writable, and its free space."""
    writable = False
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / f".health-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
        writable = True
    except OSError:
        pass
    try:
        free_gb = round(shutil.disk_usage(data_dir).free / 1024**3, 2)
    except OSError:
        free_gb = None
    return {"writable": writable, "free_gb": free_gb}


async def queue_snapshot(depths: Callable[[], dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """Ready, delayed and dead messages per queue (`depths` is the blocking broker query)."""
    return await asyncio.wait_for(asyncio.to_thread(depths), timeout=3)


async def check_queue(depths: Callable[[], dict[str, dict[str, int]]]) -> dict[str, Any]:
    """Messages waiting in the broker."""
    try:
        by_queue = await queue_snapshot(depths)
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "pending_jobs": None, "error": type(exc).__name__}
    pending = sum(q["ready"] + q["delayed"] for q in by_queue.values())
    return {"status": "ok", "pending_jobs": pending}


async def health(
    redis: Redis, data_dir: Path, depths: Callable[[], dict[str, dict[str, int]]]
) -> dict[str, Any]:
    """The health document of API.md section 12."""
    database, redis_status, queue = await asyncio.gather(
        check_database(), check_redis(redis), check_queue(depths)
    )
    storage = await asyncio.to_thread(check_storage, data_dir)
    ok = (
        database["status"] == "ok"
        and redis_status["status"] == "ok"
        and queue["status"] == "ok"
        and storage["writable"]
    )
    return {
        "status": "ok" if ok else "degraded",
        "database": database,
        "redis": redis_status,
        "storage": storage,
        "queue": queue,
        "python_version": platform.python_version(),
        "uptime_seconds": int(time.time() - STARTED_AT),
        "version": __version__,
    }
