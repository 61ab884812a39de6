"""Messages being processed right now, per queue, for any broker (RabbitMQ does not tell over AMQP).

Each worker process counts its running messages in memory (no Redis call per message: ingest is a hot
path) and a thread publishes the counts every second to a Redis hash that expires when the process dies;
pipelines.queueview.in_progress adds them up.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from redis.exceptions import RedisError

from core.logging import get_logger
from core.redis import sync_client
from core.settings import Settings
from pipelines.queueview import INFLIGHT_STALE_SECONDS, INFLIGHT_WORKERS

PUBLISH_SECONDS = 1.0

log = get_logger(__name__)


def _canonical(queue: str) -> str:
    return queue.removesuffix(".DQ").removesuffix(".XQ")


class InFlight(Middleware):
    """Counts the messages this process is running, by queue, and publishes them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.running: dict[str, str] = {}  # message id -> queue
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.key = ""

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not self.settings.REDIS_URL:
            return
        self.key = f"inflight:{socket.gethostname()}:{os.getpid()}"
        self.stop.clear()
        self.thread = threading.Thread(target=self._publish_loop, name="inflight-publisher", daemon=True)
        self.thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=3)

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        with self.lock:
            self.running[message.message_id] = _canonical(message.queue_name)

    def after_process_message(
        self, broker: dramatiq.Broker, message: dramatiq.Message, *, result: Any = None, exception: Any = None
    ) -> None:
        self._done(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._done(message)

    def _done(self, message: dramatiq.Message) -> None:
        # By id: a message another middleware skipped before this one counted it is not uncounted.
        with self.lock:
            self.running.pop(message.message_id, None)

    def _publish_loop(self) -> None:
        client = sync_client(self.settings.REDIS_URL)
        try:
            while not self.stop.wait(PUBLISH_SECONDS):
                with self.lock:
                    counts = dict(Counter(self.running.values()))
                try:
                    with client.pipeline(transaction=True) as pipe:
                        pipe.delete(self.key)
                        if counts:
                            pipe.hset(self.key, mapping=counts)
                        pipe.expire(self.key, int(INFLIGHT_STALE_SECONDS))
                        pipe.zadd(INFLIGHT_WORKERS, {self.key: time.time()})
                        pipe.execute()
                except (RedisError, OSError) as exc:
                    log.debug("inflight.publish_failed", error=str(exc))
            try:
                client.delete(self.key)
                client.zrem(INFLIGHT_WORKERS, self.key)
            except (RedisError, OSError):
                pass
        finally:
            client.close()
