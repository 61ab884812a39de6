"""In-process cache of credentials -> (app, org, plan), invalidated through Redis pub/sub."""

from __future__ import annotations

import time
from dataclasses import dataclass

from core.models import App
from pipelines.usage import current_usage

TTL_SECONDS = 60.0  # safety net if an invalidation message is lost
NEGATIVE_TTL_SECONDS = 5.0
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class AppKey:
    app_id: int
    org_id: int
    plan: str


class SdkKeyCache:
    """sdk_key -> AppKey; a miss costs one query, a hit none."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[AppKey | None, float]] = {}

    async def get(self, sdk_key: str) -> AppKey | None:
        entry = self._entries.get(sdk_key)
        now = time.monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {k: v for k, v in self._entries.items() if v[1] > now}
            if len(self._entries) >= MAX_ENTRIES:  # all live: start over rather than grow
                self._entries.clear()
        app = await App.get_or_none(sdk_key=sdk_key).select_related("org")
        value = AppKey(app.id, app.org_id, app.org.plan) if app else None  # type: ignore[attr-defined]
        self._entries[sdk_key] = (value, now + (TTL_SECONDS if value else NEGATIVE_TTL_SECONDS))
        return value

    def on_invalidate(self, message: str) -> None:
        """Pub/sub handler: "app:<id>" or "org:<id>" drops the matching entries."""
        scope, _, raw_id = message.partition(":")
        try:
            object_id = int(raw_id)
        except ValueError:
            return
        attr = {"app": "app_id", "org": "org_id"}.get(scope)
        if attr is None:
            return
        for key, (value, _) in list(self._entries.items()):
            if value is not None and getattr(value, attr) == object_id:
                self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


QUOTA_TTL_SECONDS = 5.0  # how stale the usage behind a quota check may be


@dataclass(frozen=True)
class Usage:
    devices: int
    events_this_month: int


class UsageCache:
    """org_id -> usage counters, re-read every few seconds, so quota checks on the SDK hot
    path cost no query (the counters themselves are kept exact by the write paths)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[Usage, float]] = {}

    async def get(self, org_id: int) -> Usage:
        entry = self._entries.get(org_id)
        now = time.monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        devices, events = await current_usage(org_id)
        value = Usage(devices, events)
        self._entries[org_id] = (value, now + QUOTA_TTL_SECONDS)
        return value
