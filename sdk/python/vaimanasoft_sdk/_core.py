"""What the sync and async clients share: validation, events, the queue, backoff, request building
and response handling. No network I/O here; the clients send the requests this module builds."""

from __future__ import annotations

import enum
import json
import logging
import os
import random
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx

from vaimanasoft_sdk.flags import FlagCache, coerce
from vaimanasoft_sdk.queue import BATCH_PATH, DiskQueue, Pending

log = logging.getLogger("vaimanasoft_sdk")

VERSION = "4.0.0"
DEFAULT_BASE_URL = "https://vaimanasoft.com/api/v4"
EVENT_TYPE = re.compile(r"^[a-z0-9_.:-]{1,64}$")
ANDROID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_EVENTS = 50
MAX_EVENT_DATA = 8 * 1024
MAX_BATCH_BYTES = 200 * 1024  # below the server's 256 KiB for SDK routes, with room for the envelope
MAX_RESPONSE = 1024 * 1024
CROSSPROMO_EVENTS = ("impression", "click", "install")


class APIError(Exception):
    """The server refused a call (status) or could not be reached (status None)."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class FlushResult:
    """What a flush did: items sent (2xx), dropped (4xx other than 429), still queued."""

    sent: int
    dropped: int
    pending: int


class Outcome(enum.Enum):
    SENT = "sent"
    DROP = "drop"
    RETRY = "retry"


def outcome(status: int | None) -> Outcome:
    """2xx/304 sent; 429, 5xx, 3xx or no answer retried; any other 4xx dropped."""
    if status is not None and (200 <= status < 300 or status == 304):
        return Outcome.SENT
    if status is None or status == 429 or status >= 500 or status < 400:
        return Outcome.RETRY
    return Outcome.DROP


def iso(moment: datetime | float | None = None) -> str:
    """ISO-8601 UTC with milliseconds (`2026-03-20T14:30:00.123Z`)."""
    if moment is None or isinstance(moment, (int, float)):  # the common case, without datetime
        seconds = time.time() if moment is None else float(moment)
        return (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds * 1000) % 1000:03d}Z"
        )
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (
        moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def check_android_id(android_id: str) -> str:
    if not isinstance(android_id, str) or not ANDROID_ID.match(android_id):
        raise ValueError(f"android_id must be 1-128 of A-Z a-z 0-9 . _ : - (got {android_id!r})")
    return android_id


def make_event(
    android_id: str,
    name: str,
    props: Mapping[str, Any] | None = None,
    created_at: datetime | float | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One event as queued: validated here, so a bad one never makes the server refuse a batch."""
    check_android_id(android_id)
    if not isinstance(name, str) or not EVENT_TYPE.match(name):
        raise ValueError(f"event name must be 1-64 of a-z 0-9 _ . : - (got {name!r})")
    data = dict(props or {})
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode())
    if size > MAX_EVENT_DATA:
        raise ValueError(f"properties of {name} are {size} bytes of JSON; at most {MAX_EVENT_DATA}")
    return {
        "android_id": android_id,
        "event_type": name,
        "event_data": data,
        "created_at": iso(created_at),
        "event_id": event_id or str(uuid.uuid4()),
    }


class Backoff:
    """Exponential backoff with equal jitter (each delay in [d/2, d], d doubling up to `maximum`);
    a 429's Retry-After is waited out as given."""

    def __init__(self, base: float, maximum: float) -> None:
        self.base, self.maximum, self.failures = base, maximum, 0

    def delay(self, status: int | None, retry_after: str | None) -> float:
        if status == 429 and retry_after:
            try:
                return float(int(retry_after.strip())) + random.uniform(0, 0.25)
            except ValueError:
                pass  # an HTTP date: fall back to the exponential delay
        cap = min(self.maximum, self.base * 2 ** min(self.failures, 30))
        self.failures += 1
        return cap / 2 + random.uniform(0, cap / 2)

    def reset(self) -> None:
        self.failures = 0


def error_message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text[:200]


class Core:
    """State and request building shared by Vaimanasoft and AsyncVaimanasoft."""

    def __init__(
        self,
        sdk_key: str,
        base_url: str = DEFAULT_BASE_URL,
        queue_path: str | os.PathLike[str] | None = None,
        *,
        flush_at: int = MAX_EVENTS,
        flush_interval: float = 10.0,
        flags_ttl: float = 60.0,
        retry_base: float = 1.0,
        retry_max: float = 300.0,
        timeout: float = 10.0,
        max_queue: int = 100_000,
    ) -> None:
        if not sdk_key:
            raise ValueError("sdk_key is required")
        self.sdk_key = sdk_key
        self.base_url = base_url.rstrip("/")
        self.flush_at = max(1, min(MAX_EVENTS, flush_at))
        self.flush_interval = flush_interval
        self.timeout = timeout
        self.queue = DiskQueue(queue_path, max_queue)
        self.flags = FlagCache(flags_ttl)
        self.backoff = Backoff(retry_base, retry_max)
        self.next_attempt_at = 0.0  # time.monotonic() before which nothing is sent (backoff)
        self.headers = {"X-SDK-Key": sdk_key, "User-Agent": f"vaimanasoft-python/{VERSION}"}

    # --- events and queued calls ------------------------------------------------------------

    def track(
        self,
        android_id: str,
        name: str,
        props: Mapping[str, Any] | None = None,
        *,
        created_at: datetime | float | None = None,
        event_id: str | None = None,
    ) -> str:
        """Queue an event (written to the queue before this returns); returns its event_id."""
        event = make_event(android_id, name, props, created_at, event_id)
        self.queue.put([(BATCH_PATH, event)])
        self._queued()
        return event["event_id"]

    def track_many(self, events: Iterable[Mapping[str, Any]]) -> list[str]:
        """Queue events given as {android_id, name, props?, created_at?, event_id?} in one write."""
        made = [
            make_event(e["android_id"], e["name"], e.get("props"), e.get("created_at"), e.get("event_id"))
            for e in events
        ]
        self.queue.put([(BATCH_PATH, e) for e in made])
        self._queued()
        return [e["event_id"] for e in made]

    def track_purchase(self, android_id: str, product_id: str, amount: float, currency: str = "USD") -> str:
        return self.track(
            android_id, "purchase", {"product_id": product_id, "amount": amount, "currency": currency}
        )

    def track_ad_watched(self, android_id: str, props: Mapping[str, Any] | None = None) -> str:
        return self.track(android_id, "ad_watched", props)

    def track_feature_used(self, android_id: str, feature: str) -> str:
        return self.track(android_id, "feature_used", {"feature": feature})

    def track_page_view(self, android_id: str, page: str) -> str:
        return self.track(android_id, "page_view", {"page": page})

    def track_session_start(self, android_id: str) -> str:
        return self.track(android_id, "session_start")

    def track_session_end(self, android_id: str, duration_sec: int | None = None) -> str:
        return self.track(
            android_id, "session_end", None if duration_sec is None else {"duration_sec": duration_sec}
        )

    def track_ad_revenue(
        self,
        android_id: str,
        ad_type: str,
        revenue: float,
        *,
        ad_network: str | None = None,
        ecpm: float | None = None,
        geo_tier: str | None = None,
        country: str | None = None,
    ) -> None:
        """Queue one ad impression's revenue in USD (POST /sdk/revenue, sent in order with the events)."""
        body = {"android_id": check_android_id(android_id), "ad_type": ad_type, "revenue": revenue}
        extra = {"ad_network": ad_network, "ecpm": ecpm, "geo_tier": geo_tier, "country": country}
        body.update({k: v for k, v in extra.items() if v is not None})
        self.queue.put([("/sdk/revenue", body)])
        self._queued()

    def track_crosspromo(self, android_id: str, campaign_id: int, event: str) -> None:
        """Queue an impression, click or install of a cross-promotion campaign."""
        if event not in CROSSPROMO_EVENTS:
            raise ValueError(f"event must be one of {', '.join(CROSSPROMO_EVENTS)}")
        body = {"android_id": check_android_id(android_id), "campaign_id": campaign_id, "event": event}
        self.queue.put([("/sdk/crosspromo/track", body)])
        self._queued()

    def queue_size(self) -> int:
        """Events and calls waiting in the queue."""
        return len(self.queue)

    def _queued(self) -> None:
        """Hook: the clients wake their background sender here."""

    # --- sending -------------------------------------------------------------------------------

    def _next(self) -> Pending | None:
        return self.queue.next(self.flush_at, MAX_BATCH_BYTES)

    def _request(self, pending: Pending) -> tuple[str, dict[str, Any]]:
        body = pending.body
        if pending.path == BATCH_PATH:
            body = {**body, "sent_at": iso()}  # the device clock at this attempt (skew correction)
        return pending.path, body

    def _settle(self, pending: Pending, status: int | None, retry_after: str | None, detail: str) -> Outcome:
        """Book a send's result: remove sent or dropped items; schedule the retry of the others."""
        result = outcome(status)
        if result is Outcome.RETRY:
            delay = self.backoff.delay(status, retry_after)
            self.next_attempt_at = time.monotonic() + delay
            log.warning("send to %s failed (%s); retrying in %.1f s", pending.path, detail, delay)
            return result
        if result is Outcome.DROP:
            log.warning("dropped %d item(s) of %s: %s", len(pending.seqs), pending.path, detail)
        self.backoff.reset()
        self.queue.remove(pending.seqs)
        return result

    # --- flags ---------------------------------------------------------------------------------

    def _flags_headers(self, android_id: str) -> dict[str, str]:
        entry = self.flags.get(android_id)
        return {"If-None-Match": entry.etag} if entry is not None and entry.etag else {}

    def _flags_result(self, android_id: str, response: httpx.Response) -> dict[str, dict[str, Any]]:
        if response.status_code == 304 and self.flags.get(android_id) is not None:
            return self.flags.touch(android_id)
        if response.status_code != 200:
            raise APIError(response.status_code, error_message(response))
        flags = response.json()["flags"]
        self.flags.store(android_id, flags, response.headers.get("ETag"))
        return flags

    def _fallback_flags(self, android_id: str, error: Exception) -> dict[str, dict[str, Any]]:
        """Offline (or refused): the last flags known for the device, else none (defaults apply).
        Either counts as a fetch for flags_ttl seconds, so reads are not each held up by a retry."""
        entry = self.flags.get(android_id)
        log.warning(
            "flags of %s not refreshed (%s); using %s",
            android_id,
            error,
            "the cached ones" if entry else "defaults",
        )
        if entry is None:
            self.flags.store(android_id, {}, None)
            return {}
        return self.flags.touch(android_id)

    @staticmethod
    def _is_enabled(flags: dict[str, Any], key: str, default: bool) -> bool:
        flag = flags.get(key)
        return default if flag is None else bool(flag.get("enabled", default))

    @staticmethod
    def _variant(flags: dict[str, Any], key: str, default: str | None) -> str | None:
        flag = flags.get(key)
        if not flag or not flag.get("enabled") or flag.get("variant") is None:
            return default
        return flag["variant"]

    @staticmethod
    def _value(flags: dict[str, Any], key: str, default: Any) -> Any:
        flag = flags.get(key)
        if not flag or not flag.get("enabled") or flag.get("value") is None:
            return default
        return coerce(flag["value"], default)

    def _url(self, path: str) -> str:
        return self.base_url + path


def read_json(response: httpx.Response) -> Any:
    """The JSON body of a successful call, else APIError."""
    if not 200 <= response.status_code < 300:
        raise APIError(response.status_code, error_message(response))
    return response.json()


def bounded(chunks: Iterable[bytes]) -> bytes:
    """Join a response's chunks, refusing more than 1 MiB."""
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > MAX_RESPONSE:
            raise APIError(None, "response larger than 1 MiB")
    return bytes(data)


DEVICE_FIELDS = ("brand", "model", "android_version", "app_version", "fcm_token", "country", "install_type")


def register_body(android_id: str, info: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(info) - set(DEVICE_FIELDS)
    if unknown:
        raise ValueError(f"unknown device fields: {', '.join(sorted(unknown))}")
    return {"android_id": check_android_id(android_id), **{k: v for k, v in info.items() if v is not None}}


DEVICE_METHODS = frozenset(
    {
        "register",
        "track",
        "track_purchase",
        "track_ad_watched",
        "track_feature_used",
        "track_page_view",
        "track_session_start",
        "track_session_end",
        "track_ad_revenue",
        "track_crosspromo",
        "update_fcm_token",
        "get_flags",
        "refresh_flags",
        "is_enabled",
        "get_variant",
        "get_value",
        "get_profile",
        "get_ad_strategy",
        "profile_action",
        "get_experiments",
        "get_crosspromo",
    }
)


class Device:
    """One device's view of a client: the Android SDK's calls, without the android_id argument
    (`client.device("a1").track("level_up")`; on AsyncVaimanasoft the network calls are awaited)."""

    def __init__(self, client: Core, android_id: str) -> None:
        self.client = client
        self.android_id = check_android_id(android_id)

    def __getattr__(self, name: str) -> Any:
        if name not in DEVICE_METHODS:
            raise AttributeError(name)
        method = getattr(self.client, name)
        return lambda *args, **kwargs: method(self.android_id, *args, **kwargs)
