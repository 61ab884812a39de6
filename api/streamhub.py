"""Live stream fan-out: one Redis subscription per API process, per app only while clients listen."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.logging import get_logger
from pipelines.stream import channel

log = get_logger(__name__)
QUEUE_SIZE = 256  # messages a slow client may fall behind before older ones are dropped


class StreamHub:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._clients: dict[int, set[asyncio.Queue[tuple[int, str]]]] = defaultdict(set)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscribed: set[int] = set()
        self.connected = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="stream-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def join(self, app_id: int) -> asyncio.Queue[tuple[int, str]]:
        """A queue of the app's messages as (highest event id, JSON array)."""
        queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(QUEUE_SIZE)
        self._clients[app_id].add(queue)
        self._changed.set()
        return queue

    def leave(self, app_id: int, queue: asyncio.Queue[tuple[int, str]]) -> None:
        self._clients[app_id].discard(queue)
        if not self._clients[app_id]:
            del self._clients[app_id]
        self._changed.set()

    async def wait_subscribed(self, app_id: int, timeout: float) -> bool:
        """True once this process listens to the app's channel."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if self.connected and app_id in self._subscribed:
                return True
            await asyncio.sleep(0.02)
        return False

    async def _run(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            self._subscribed = set()
            try:
                # A channel nobody publishes to keeps the connection in subscriber mode.
                await pubsub.subscribe("stream:idle")
                self.connected, delay = True, 0.1
                self._changed.set()  # a new connection: subscribe the listened apps' channels again
                while True:
                    await self._sync(pubsub)
                    message = await pubsub.get_message(timeout=0.1)
                    if message is not None:
                        self._deliver(message["channel"], message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                self.connected = False
                log.warning("stream_hub.disconnected", error=str(exc), retry_in=delay)
                try:
                    await pubsub.aclose()
                except (RedisError, OSError):
                    pass
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _sync(self, pubsub) -> None:  # type: ignore[no-untyped-def]
        if not self._changed.is_set():
            return
        self._changed.clear()
        wanted = set(self._clients)
        if add := wanted - self._subscribed:
            await pubsub.subscribe(*(channel(a) for a in add))
        if drop := self._subscribed - wanted:
            await pubsub.unsubscribe(*(channel(a) for a in drop))
        self._subscribed = wanted

    def _deliver(self, name: str, data: str) -> None:
        try:
            app_id = int(name.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return
        queues = self._clients.get(app_id, ())
        if not queues:
            return
        try:  # the highest id sent, where a fall back to polling the database resumes
            last_id = max((event["id"] for event in orjson.loads(data)), default=0)
        except (orjson.JSONDecodeError, TypeError, KeyError):
            last_id = 0
        for queue in queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait((last_id, data))
