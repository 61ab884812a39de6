"""Worker-side middleware: database and Redis for async actors, and job records."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import jobs
from core.appcache import AppCache
from core.db import close_db, init_db
from core.errors import VaimanasoftError
from core.logging import configure_logging, get_logger
from core.pubsub import CHANNEL_INVALIDATE, Bus
from core.redis import async_client
from core.settings import Settings

STATE_KEY = "jobref:{}"  # read by actors.fastsend.state

log = get_logger(__name__)


class _Runtime:
    """What async actors share inside one worker process (created in its event loop)."""

    settings: Settings | None = None
    redis: Redis | None = None
    bus: Bus | None = None


runtime = _Runtime()
_caches: list[AppCache[Any]] = []


def watch_invalidations(cache: AppCache[Any]) -> None:
    """Keep an in-process per-app cache of this worker current: it drops entries on the invalidations
    published through Redis (core.pubsub), and everything after a pub/sub reconnect."""
    _caches.append(cache)


def _run(coro: Any) -> Any:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("AsyncIO middleware is not installed")
    return thread.run_coroutine(coro)


class WorkerResources(Middleware):
    """Opens Tortoise and Redis in the worker's event loop thread; closes them at shutdown.

    Listed after AsyncIO, so the loop exists when before_worker_boot runs here.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        configure_logging(self.settings.LOG_LEVEL, process="worker")

        async def start() -> None:
            await init_db(self.settings)
            runtime.settings = self.settings
            runtime.redis = async_client(self.settings.REDIS_URL)
            runtime.bus = Bus(runtime.redis)
            for cache in _caches:
                runtime.bus.subscribe(CHANNEL_INVALIDATE, cache.on_invalidate)
                runtime.bus.on_reconnect(cache.clear)
            runtime.bus.start()

        _run(start())

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        async def stop() -> None:
            if runtime.bus is not None:
                await runtime.bus.stop()
            if runtime.redis is not None:
                await runtime.redis.aclose()
            await close_db()

        try:
            _run(stop())
        except RuntimeError:
            pass


def _redis() -> Redis | None:
    return runtime.redis


class JobStatus(Middleware):
    """Keeps the job record of a message (option `job_id`) current, and records dead letters."""

    @property
    def actor_options(self) -> set[str]:
        return {"job_id", "org_id", "job_ref"}

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        job_id = message.options.get("job_id")
        if job_id and (redis := _redis()) is not None:
            self._safely(jobs.mark_running(redis, job_id))

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: Any = None, exception: Any = None
    ) -> None:
        redis = _redis()
        if redis is None:
            return
        job_id = message.options.get("job_id")
        job_ref = message.options.get("job_ref")  # jobs of actors.fastsend: no record unless an attempt fails
        if exception is None:
            if job_id:
                self._safely(jobs.mark_finished(redis, job_id, result=result))
            if job_ref and message.options.get("retries"):
                self._safely(redis.delete(STATE_KEY.format(job_ref)))
            return
        # Internal errors stay in the worker log; clients see their kind only.
        error = (
            exception.message
            if isinstance(exception, VaimanasoftError)
            else f"Internal error ({type(exception).__name__})"
        )
        if job_ref:
            state = "failed" if message.failed else "queued"
            ttl = runtime.settings.JOB_TTL_SECONDS if runtime.settings else 86400
            self._safely(redis.set(STATE_KEY.format(job_ref), f"{state}:{error}", ex=ttl))
        if not message.failed:  # Retries re-enqueued it
            if job_id:
                self._safely(jobs.mark_retrying(redis, job_id, error))
            return
        status = exception.status if isinstance(exception, VaimanasoftError) else 500
        if job_id:
            retry_after = getattr(exception, "retry_after", None) if status == 429 else None
            self._safely(
                jobs.mark_finished(redis, job_id, error=error, error_status=status, retry_after=retry_after)
            )
        self._safely(
            jobs.record_failure(
                redis,
                {
                    "message_id": message.message_id,
                    "job_id": job_id,
                    "org_id": message.options.get("org_id"),
                    "actor": message.actor_name,
                    "queue": message.queue_name,
                    "error": error,
                    "error_kind": type(exception).__name__,
                    "retries": self._retries_done(broker, message),
                },
            )
        )

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        job_id = message.options.get("job_id")
        if job_id and (redis := _redis()) is not None:
            self._safely(
                jobs.mark_finished(
                    redis, job_id, error="Job expired before a worker took it", error_status=503
                )
            )

    @staticmethod
    def _retries_done(broker: dramatiq.Broker, message: dramatiq.Message) -> int:
        """How often a failed message was retried (Retries counts the final, refused attempt too)."""
        retries = message.options.get("retries", 0)
        actor_max = broker.get_actor(message.actor_name).options.get("max_retries")
        max_retries = message.options.get("max_retries", actor_max)
        return min(retries, max_retries) if max_retries is not None else retries

    @staticmethod
    def _safely(coro: Any) -> None:
        try:
            _run(coro)
        except (RedisError, OSError) as exc:
            log.warning("job_status.redis_unavailable", error=str(exc))
