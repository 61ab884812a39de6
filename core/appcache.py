"""In-process caches of per-app configuration (flag sets, running experiments), invalidated
through Redis pub/sub (`core.pubsub.invalidate(redis, scope, app_id)`) with a TTL as a safety net."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

TTL_SECONDS = 30.0


class AppCache(Generic[T]):
    """app_id -> what `loader` returns; an invalidation of `scope:<app_id>` or `app:<app_id>` drops it.

    A load racing an invalidation is not stored (each app's generation moves on invalidation), so a
    change is never hidden behind a copy read just before it."""

    def __init__(self, scope: str, loader: Callable[[int], Awaitable[T]], ttl: float = TTL_SECONDS) -> None:
        self.scope = scope
        self._loader = loader
        self._ttl = ttl
        self._entries: dict[int, tuple[T, float]] = {}
        self._generation: dict[int, int] = {}
        self._epoch = 0  # moves on clear()

    async def get(self, app_id: int) -> T:
        entry = self._entries.get(app_id)
        now = time.monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        generation, epoch = self._generation.get(app_id, 0), self._epoch
        value = await self._loader(app_id)
        if self._generation.get(app_id, 0) == generation and self._epoch == epoch:
            self._entries[app_id] = (value, now + self._ttl)
        return value

    def on_invalidate(self, message: str) -> None:
        """Pub/sub handler for "<scope>:<app_id>" and "app:<app_id>"."""
        scope, _, raw_id = message.partition(":")
        if scope not in (self.scope, "app") or not raw_id.isdigit():
            return
        app_id = int(raw_id)
        self._entries.pop(app_id, None)
        self._generation[app_id] = self._generation.get(app_id, 0) + 1

    def clear(self) -> None:
        self._entries.clear()
        self._epoch += 1
