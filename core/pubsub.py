"""One Redis pub/sub subscription per process, fanned out to in-process handlers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.logging import get_logger

log = get_logger(__name__)
Handler = Callable[[str], Awaitable[None] | None]

CHANNEL_INVALIDATE = "vs:invalidate"
CHANNEL_JOBS_DONE = "vs:jobs:done"


class Bus:
    """Subscribes to a fixed set of channels and calls their handlers with each message.

    Reconnects with backoff; `on_reconnect` handlers run after a gap, because
    messages published while disconnected are lost (caches must drop everything).
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._reconnect_handlers: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def subscribe(self, channel: str, handler: Handler) -> None:
        self._handlers[channel].append(handler)

    def on_reconnect(self, handler: Callable[[], None]) -> None:
        self._reconnect_handlers.append(handler)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pubsub-bus")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self._handlers.keys())
                self.connected.set()
                if not first:
                    for handler in self._reconnect_handlers:
                        handler()
                first, delay = False, 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    await self._dispatch(message["channel"], message["data"])
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                self.connected.clear()
                log.warning("pubsub.disconnected", error=str(exc), retry_in=delay)
                try:
                    await pubsub.aclose()
                except (RedisError, OSError):
                    pass
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _dispatch(self, channel: str, data: str) -> None:
        for handler in self._handlers.get(channel, ()):
            try:
                result = handler(data)
                if result is not None:
                    await result
            except Exception:  # noqa: BLE001 - one bad handler must not stop the bus
                log.exception("pubsub.handler_failed", channel=channel)


async def publish(redis: Redis, channel: str, message: str) -> None:
    """Publish, ignoring a Redis outage (caches also expire by TTL)."""
    try:
        await redis.publish(channel, message)
    except RedisError as exc:
        log.warning("pubsub.publish_failed", channel=channel, error=str(exc))


async def invalidate(redis: Redis, scope: str, object_id: int) -> None:
    """Tell every process to drop cached data of an app ("app") or organisation ("org")."""
    await publish(redis, CHANNEL_INVALIDATE, f"{scope}:{object_id}")
