"""DevOps (API.md section 12): the install's status at a glance, and the configured deploy command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import psutil
from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from core import db
from core.errors import BadRequest, Conflict, ServiceUnavailable
from core.logging import get_logger
from core.settings import Settings
from pipelines import install, procs, system

log = get_logger(__name__)

TARGETS = ("dev", "production")
DEPLOY_OUTPUT = 64 * 1024  # of stdout and of stderr, kept in the job
DEPLOY_LOCK = "devops:deploy"
EXACT_COUNT_MAX_BYTES = 64 * 1024 * 1024  # tables larger than this show pg_class's estimate
COUNT_TIMEOUT_MS = 2000
SAMPLES_KEPT = 120
RATE_WINDOW = 60.0  # seconds: rates compare with the newest sample at least this old


# --- deploy -------------------------------------------------------------------------------------------


def deploy_argv(command: str, target: str) -> list[str]:
    """DEPLOY_COMMAND split into words the way a POSIX shell would (shlex), `{target}` replaced inside
    each word, so the target is always part of one argument; nothing is ever run by a shell."""
    if target not in TARGETS:
        raise BadRequest("Invalid deploy target", {"target": f"must be one of {', '.join(TARGETS)}"})
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise ServiceUnavailable(f"DEPLOY_COMMAND cannot be split into words: {exc}") from None
    if not words:
        raise ServiceUnavailable("No deploy command configured (set DEPLOY_COMMAND)")
    return [word.replace("{target}", target) for word in words]


async def deploy(redis: Redis, settings: Settings, target: str) -> dict[str, Any]:
    """Run the deploy command for `target` (one at a time): exit code, and stdout/stderr cut to 64 KiB."""
    argv = deploy_argv(settings.DEPLOY_COMMAND, target)
    timeout = settings.DEPLOY_TIMEOUT_SECONDS
    lock = redis.lock(DEPLOY_LOCK, timeout=timeout + 60, blocking=False)
    if not await lock.acquire():
        raise Conflict("A deploy is already running")
    try:
        log.info("devops.deploy_started", target=target, program=argv[0])
        result = await procs.run(argv, timeout=timeout, max_output=DEPLOY_OUTPUT, cwd=install.source_root())
    finally:
        with contextlib.suppress(LockError):  # expired meanwhile: nothing to release
            await lock.release()
    log.info("devops.deploy_finished", target=target, exit_code=result.exit_code, timed_out=result.timed_out)
    return {
        "target": target,
        "command": argv,
        "exit_code": result.exit_code,
        "succeeded": result.exit_code == 0,
        "timed_out": result.timed_out,
        "stdout": result.text("stdout"),
        "stderr": result.text("stderr"),
        "stdout_truncated": result.stdout_truncated,
        "stderr_truncated": result.stderr_truncated,
        "duration_ms": result.duration_ms,
    }


# --- status -------------------------------------------------------------------------------------------

TABLES = """
SELECT c.relname AS name, c.reltuples::bigint AS estimate, pg_relation_size(c.oid) AS bytes,
       pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname
"""


async def table_counts() -> list[dict[str, Any]]:
    """Rows per table: counted for tables up to 64 MiB, else pg_class's estimate (from the last
    ANALYZE; null when never analysed)."""
    out = []
    async with db.raw_connection() as conn:
        for row in await conn.fetch(TABLES):
            rows, estimated = row["estimate"], True
            if row["bytes"] <= EXACT_COUNT_MAX_BYTES:
                try:
                    async with conn.transaction(readonly=True):
                        await conn.execute(f"SET LOCAL statement_timeout = {COUNT_TIMEOUT_MS}")
                        # The name comes from pg_class, quoted as an identifier.
                        quoted = row["name"].replace('"', '""')
                        rows = await conn.fetchval(f'SELECT count(*) FROM "{quoted}"')
                    estimated = False
                except Exception as exc:  # noqa: BLE001 - a slow count falls back to the estimate
                    log.warning("devops.count_failed", table=row["name"], error=type(exc).__name__)
            out.append(
                {
                    "name": row["name"],
                    "rows": rows if rows is None or rows >= 0 else None,
                    "estimated": estimated,
                    "total_bytes": row["total_bytes"],
                }
            )
    return out


async def api_rates(redis: Redis, source: str, totals: dict[str, float]) -> dict[str, Any]:
    """Requests, client errors (4xx) and server errors (5xx) per minute of this API server (all its
    processes): the counters now against a sample kept in Redis at least a minute old, else against the
    server's start."""
    now = time.time()
    sample = {"t": now, **totals}
    key = f"devops:api_samples:{source}"
    baseline: dict[str, float] | None = None
    try:
        for raw in await redis.lrange(key, 0, SAMPLES_KEPT - 1):
            old = orjson.loads(raw)
            if now - old["t"] >= RATE_WINDOW:
                baseline = old
                break
        async with redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, orjson.dumps(sample))
            pipe.ltrim(key, 0, SAMPLES_KEPT - 1)
            pipe.expire(key, 3600)
            await pipe.execute()
    except RedisError:
        baseline = None
    if baseline is None or any(totals[k] < baseline.get(k, 0) for k in totals):  # none yet, or restarted
        baseline = {"t": system.STARTED_AT, **{k: 0.0 for k in totals}}
    window = max(now - baseline["t"], 1.0)
    rate = {k: round((totals[k] - baseline.get(k, 0)) / window * 60, 2) for k in totals}
    return {
        "requests_total": int(totals["requests"]),
        "client_errors_total": int(totals["client_errors"]),
        "errors_total": int(totals["errors"]),
        "requests_per_minute": rate["requests"],
        "client_errors_per_minute": rate["client_errors"],
        "errors_per_minute": rate["errors"],
        "window_seconds": round(window, 1),
    }


def host_resources(data_dir: Path) -> dict[str, Any]:
    """Disk of the data folder, the machine's memory and load, this process's memory (psutil)."""
    path = data_dir
    while not path.exists() and path != path.parent:
        path = path.parent
    disk = psutil.disk_usage(str(path))
    memory = psutil.virtual_memory()
    process = psutil.Process()
    mib = 1024 * 1024
    return {
        "disk": {
            "path": str(data_dir),
            "total_gb": round(disk.total / 1024**3, 2),
            "used_gb": round(disk.used / 1024**3, 2),
            "free_gb": round(disk.free / 1024**3, 2),
            "percent": disk.percent,
        },
        "memory": {
            "total_mb": round(memory.total / mib),
            "available_mb": round(memory.available / mib),
            "percent": memory.percent,
            "process_rss_mb": round(process.memory_info().rss / mib, 1),
        },
        "cpu": {"count": psutil.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
    }


async def bridge_agents_last_seen() -> list[dict[str, Any]]:
    """Agents of the agent bridge (API.md section 10) and when each last polled it. The bridge is another
    issue's (16): until it is merged this is empty; the integrator wires it to pipelines.bridge here."""
    return []


async def app_storage() -> list[dict[str, Any]]:
    """Raw event storage per app. The data-lifecycle work measures it: until it is merged this is empty;
    the integrator wires it here."""
    return []


async def status(
    redis: Redis,
    settings: Settings,
    totals: dict[str, float],
    metrics_source: str,
    depths: Callable[[], dict[str, dict[str, int]]],
) -> dict[str, Any]:
    """The DevOps status document: revision, database, Redis, queue, tables, bridge agents, API rates,
    host resources."""
    revision, database, redis_status, queue, tables, agents, storage, rates = await asyncio.gather(
        install.revision(),
        system.check_database(),
        system.check_redis(redis),
        system.check_queue(depths),
        table_counts(),
        bridge_agents_last_seen(),
        app_storage(),
        api_rates(redis, metrics_source, totals),
    )
    resources = await asyncio.to_thread(host_resources, settings.DATA_DIR)
    return {
        "version": revision["version"],
        "source": revision,
        "database": database,
        "redis": redis_status,
        "queue": queue,
        "tables": tables,
        "bridge_agents": agents,
        "app_storage": storage,
        "api": rates,
        **resources,
        "deploy_configured": bool(settings.DEPLOY_COMMAND.strip()),
        "python_version": platform.python_version(),
        "uptime_seconds": int(time.time() - system.STARTED_AT),
    }
