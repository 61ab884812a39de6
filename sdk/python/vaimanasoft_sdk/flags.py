"""Feature flags on the client: the platform's evaluation (API.md section 6) and the per-device cache."""

from __future__ import annotations

import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


def crc32(text: str) -> int:
    """CRC-32 of the UTF-8 text (the hash of flag evaluation)."""
    return zlib.crc32(text.encode("utf-8"))


def bucket(flag_key: str, android_id: str) -> int:
    """crc32(utf8(flag_key + ":" + android_id)) % 100: the device's rollout bucket."""
    return crc32(f"{flag_key}:{android_id}") % 100


def variant_pick(flag_key: str, android_id: str, total_weight: int) -> int:
    """crc32(utf8(flag_key + ":" + android_id + ":variant")) % total_weight."""
    return crc32(f"{flag_key}:{android_id}:variant") % total_weight


def evaluate_flag(
    flag_key: str,
    android_id: str,
    is_enabled: bool,
    rollout_pct: int,
    variants: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What the server answers for one flag, given whether it is on and its targeting matches
    (is_enabled), its rollout and its variants [{key, value, weight}] (none: a boolean flag).
    For previewing a rollout; the client itself reads the server's evaluation."""
    kind = "multivariate" if variants else "boolean"
    on = is_enabled and rollout_pct > 0 and bucket(flag_key, android_id) < rollout_pct
    result: dict[str, Any] = {"enabled": on, "type": kind}
    if on and variants:
        pick = variant_pick(flag_key, android_id, sum(int(v["weight"]) for v in variants))
        edge = 0
        for v in variants:
            edge += int(v["weight"])
            if edge > pick:
                result.update(variant=v["key"], value=v.get("value"))
                break
    return result


def coerce(value: Any, default: Any) -> Any:
    """`value` when it has the default's type (ints for an int default, any number for a float), else
    the default; any value when the default is None."""
    if default is None:
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        return value if isinstance(value, bool) and isinstance(default, bool) else default
    if isinstance(default, float):
        return float(value) if isinstance(value, (int, float)) else default
    if isinstance(default, int):
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return int(value)
        return default
    return value if isinstance(value, type(default)) else default


@dataclass
class Entry:
    flags: dict[str, dict[str, Any]]
    etag: str | None
    fetched_at: float = field(default_factory=time.monotonic)


class FlagCache:
    """Evaluated flags per android_id with their ETag (the least recently used dropped past max_devices)."""

    def __init__(self, ttl: float, max_devices: int = 10_000) -> None:
        self.ttl = ttl
        self.max_devices = max_devices
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, android_id: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(android_id)
            if entry is not None:
                self._entries.move_to_end(android_id)
            return entry

    def fresh(self, android_id: str) -> dict[str, dict[str, Any]] | None:
        entry = self.get(android_id)
        if entry is None or time.monotonic() - entry.fetched_at >= self.ttl:
            return None
        return entry.flags

    def store(self, android_id: str, flags: dict[str, dict[str, Any]], etag: str | None) -> None:
        with self._lock:
            self._entries[android_id] = Entry(flags, etag)
            self._entries.move_to_end(android_id)
            while len(self._entries) > self.max_devices:
                self._entries.popitem(last=False)

    def touch(self, android_id: str) -> dict[str, dict[str, Any]]:
        """A 304: the cached flags are current again."""
        with self._lock:
            entry = self._entries[android_id]
            entry.fetched_at = time.monotonic()
            return entry.flags
