"""The ingest actor: one message per SDK batch, stored in group commits of many batches, one group
commit per device partition (pipelines.ingest.PARTITIONS)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg

from actors import webhooks
from actors.base import actor
from actors.middleware import runtime
from core.db import raw_connection
from core.logging import get_logger
from pipelines import devicecache, ingest, stream, usage

log = get_logger(__name__)
MAX_GROUP = 400  # batches per transaction (20,000 events)
DEADLOCK_RETRIES = 3
STATS_AFTER = 20_000
STATS_TABLES = ("devices", "device_days", "events", "app_daily", "app_daily_events")


class GroupCommit:
    """Batches arriving while a flush runs are stored together by the next one (group commit).

    Each batch's message is acknowledged only after the transaction holding it committed.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[dict[str, Any], asyncio.Future[int]]] = []
        self._running = False
        self._stored = 0  # events this process stored, until it refreshed the tables' statistics

    async def submit(self, batch: dict[str, Any]) -> int:
        """Store one batch; returns how many events its flush stored."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((batch, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                group, self._pending = self._pending[:MAX_GROUP], self._pending[MAX_GROUP:]
                try:
                    result = await self._flush([batch for batch, _ in group])
                except Exception as exc:  # noqa: BLE001 - retried below batch by batch
                    log.warning("ingest.flush_failed", batches=len(group), error=repr(exc))
                    if len(group) == 1:
                        _settle(group[0][1], exc)
                        continue
                    # One bad batch must not sink the others: store each alone, so only it fails
                    # (and is retried by the broker).
                    for batch, future in group:
                        try:
                            _settle(future, (await self._flush([batch])).stored)
                        except Exception as single:  # noqa: BLE001 - this batch's own failure
                            _settle(future, single)
                    continue
                for _, future in group:
                    _settle(future, result.stored)
        finally:
            self._running = False

    async def _flush(self, batches: list[dict[str, Any]]) -> ingest.FlushResult:
        started = time.perf_counter()
        listened = set()
        if runtime.redis is not None:
            listened = await stream.listened_apps(runtime.redis, {b["app_id"] for b in batches})
        for attempt in range(DEADLOCK_RETRIES):
            try:
                async with raw_connection() as conn:
                    result = await ingest.store_batches(conn, batches, want_rows=bool(listened))
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == DEADLOCK_RETRIES - 1:
                    raise
        stored_at = time.perf_counter()
        await self._refresh_statistics(result.stored)
        if listened and runtime.redis is not None:
            await stream.publish_stored(
                runtime.redis, [b for b in batches if b["app_id"] in listened], result.inserted
            )
        if result.moved and runtime.redis is not None:  # flag targeting reads segments from this cache
            await devicecache.drop(runtime.redis, result.moved)
        if result.orgs and runtime.redis is not None:  # the API refuses new devices of orgs marked full
            await usage.mark_device_quotas(runtime.redis, result.orgs)
        await webhooks.after_flush(batches, result.created)  # one message, only for apps with webhooks
        log.info(
            "ingest.flushed",
            batches=len(batches),
            events=sum(len(b["events"]) for b in batches),
            stored=result.stored,
            db_ms=round((stored_at - started) * 1000, 1),
            publish_ms=round((time.perf_counter() - stored_at) * 1000, 1),
        )
        return result

    async def _refresh_statistics(self, stored: int) -> None:
        """Once per process, ANALYZE the tables ingest reads after its first STATS_AFTER events. A
        new install's tables have empty-table statistics until autovacuum's first ANALYZE (a minute or
        more), and plans made from them read every device of the app per lookup: flushes slow down
        as the tables grow (measured: from 80 ms to 1.5 s per 1,600 events within a minute)."""
        if self._stored < 0:
            return
        self._stored += stored
        if self._stored < STATS_AFTER:
            return
        self._stored = -1
        try:
            async with raw_connection() as conn:
                await conn.execute(f"ANALYZE {', '.join(STATS_TABLES)}")
        except asyncpg.PostgresError as exc:  # e.g. not the tables' owner: autovacuum will do it
            log.warning("ingest.analyze_failed", error=str(exc))


def _settle(future: asyncio.Future[int], outcome: int | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


# One group commit per device partition: flushes of different partitions run side by side (each on its
# own connection), a batch always joins its first device's partition.
_lanes = [GroupCommit() for _ in range(ingest.PARTITIONS)]


@actor(queue_name="ingest", max_retries=20, time_limit_ms=300_000)
async def ingest_batch(batch: dict[str, Any]) -> None:
    """Store one SDK event batch (idempotent: a redelivered batch adds nothing)."""
    events = batch["events"]
    await _lanes[ingest.partition(events[0][0]) if events else 0].submit(batch)
