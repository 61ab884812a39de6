"""The synchronous client (httpx.Client), with an optional background sender thread."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import httpx

from vaimanasoft_sdk._core import (
    DEFAULT_BASE_URL,
    APIError,
    Core,
    Device,
    FlushResult,
    Outcome,
    bounded,
    check_android_id,
    error_message,
    read_json,
    register_body,
)


class Vaimanasoft(Core):
    """Vaimanasoft SDK client for servers and scripts.

    `track*` write to the queue and return at once; with `background=True` a thread sends the queue
    when `flush_at` events wait, every `flush_interval` seconds, and at retry times. Other calls
    (register, flags, profile) go to the server directly and raise APIError when refused."""

    def __init__(
        self,
        sdk_key: str,
        base_url: str = DEFAULT_BASE_URL,
        queue_path: str | os.PathLike[str] | None = None,
        *,
        background: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(sdk_key, base_url, queue_path, **options)
        self._http = httpx.Client(headers=self.headers, timeout=self.timeout)
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="vaimanasoft-sender", daemon=True)
            self._thread.start()

    def __enter__(self) -> Vaimanasoft:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def device(self, android_id: str) -> Device:
        return Device(self, android_id)

    # --- sending -------------------------------------------------------------------------------

    def flush(self, timeout: float | None = 30.0) -> FlushResult:
        """Send the queue in order; on a retryable failure wait (backoff, Retry-After) and go on
        until `timeout` seconds have passed (0: no waiting; None: until everything is sent)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        sent = dropped = 0
        with self._send_lock:
            while True:
                wait = self.next_attempt_at - time.monotonic()
                if wait > 0:
                    if deadline is not None and time.monotonic() + wait > deadline:
                        break
                    time.sleep(wait)
                pending = self._next()
                if pending is None:
                    break
                path, body = self._request(pending)
                try:
                    r = self._call("POST", path, json=body)
                    status, retry_after, detail = (
                        r.status_code,
                        r.headers.get("Retry-After"),
                        error_message(r),
                    )
                except APIError as exc:
                    status, retry_after, detail = None, None, str(exc)
                result = self._settle(pending, status, retry_after, detail)
                if result is Outcome.SENT:
                    sent += len(pending.seqs)
                elif result is Outcome.DROP:
                    dropped += len(pending.seqs)
        return FlushResult(sent, dropped, len(self.queue))

    def close(self, timeout: float | None = 10.0) -> FlushResult:
        """Stop the sender, send what is queued (within `timeout`), release the connection and file."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        try:
            return self.flush(timeout)
        finally:
            self._http.close()
            self.queue.close()

    def _queued(self) -> None:
        if len(self.queue) >= self.flush_at:
            self._wake.set()

    def _run(self) -> None:
        while not self._closed:
            backing_off = self.next_attempt_at - time.monotonic()
            wait = self.flush_interval
            if len(self.queue) and backing_off > 0:
                wait = min(wait, backing_off)  # wake for the retry
            self._wake.wait(wait)
            self._wake.clear()
            if not self._closed and len(self.queue):
                self.flush(timeout=0)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            with self._http.stream(method, self._url(path), **kwargs) as r:
                content = bounded(r.iter_bytes())
        except httpx.HTTPError as exc:
            raise APIError(None, f"no answer from {self.base_url}: {exc!r}") from exc
        return httpx.Response(r.status_code, headers=r.headers, content=content, request=r.request)

    # --- devices -------------------------------------------------------------------------------

    def register(self, android_id: str, **info: Any) -> dict[str, Any]:
        """Register or update the device (brand, model, android_version, app_version, fcm_token,
        country, install_type); returns {id, android_id, user_segment, created_at}."""
        return read_json(self._call("POST", "/devices/register", json=register_body(android_id, info)))[
            "device"
        ]

    def update_fcm_token(self, android_id: str, token: str) -> None:
        body = {"android_id": check_android_id(android_id), "fcm_token": token}
        read_json(self._call("POST", "/devices/fcm-token", json=body))

    # --- flags ---------------------------------------------------------------------------------

    def refresh_flags(self, android_id: str) -> dict[str, dict[str, Any]]:
        """Fetch the device's flags now (If-None-Match: unchanged flags answer 304); APIError if refused."""
        r = self._call(
            "GET",
            "/sdk/flags",
            params={"android_id": check_android_id(android_id)},
            headers=self._flags_headers(android_id),
        )
        return self._flags_result(android_id, r)

    def get_flags(self, android_id: str) -> dict[str, dict[str, Any]]:
        """The device's flags: cached for flags_ttl seconds, then fetched; offline, the last known ones."""
        cached = self.flags.fresh(android_id)
        if cached is not None:
            return cached
        try:
            return self.refresh_flags(android_id)
        except APIError as exc:
            return self._fallback_flags(android_id, exc)

    def is_enabled(self, android_id: str, flag_key: str, default: bool = False) -> bool:
        return self._is_enabled(self.get_flags(android_id), flag_key, default)

    def get_variant(self, android_id: str, flag_key: str, default: str | None = None) -> str | None:
        return self._variant(self.get_flags(android_id), flag_key, default)

    def get_value(self, android_id: str, flag_key: str, default: Any = None) -> Any:
        return self._value(self.get_flags(android_id), flag_key, default)

    # --- profile, experiments, cross-promotion -------------------------------------------------

    def get_profile(self, android_id: str) -> dict[str, Any]:
        params = {"android_id": check_android_id(android_id)}
        return read_json(self._call("GET", "/sdk/profile", params=params))["profile"]

    def get_ad_strategy(self, android_id: str) -> dict[str, Any]:
        return self.get_profile(android_id)["ad_strategy"]

    def profile_action(self, android_id: str, action: str, **params: Any) -> dict[str, Any]:
        """ad_watched, purchase_made (amount, product_id, currency), update_country (country),
        app_update (app_version) or session_start; returns {segment, ad_strategy}."""
        body = {"android_id": check_android_id(android_id), "action": action, **params}
        return read_json(self._call("POST", "/sdk/profile", json=body))

    def get_experiments(self, android_id: str) -> dict[str, dict[str, Any]]:
        params = {"android_id": check_android_id(android_id)}
        return read_json(self._call("GET", "/sdk/experiments", params=params))["experiments"]

    def get_crosspromo(self, android_id: str) -> dict[str, Any] | None:
        """The cross-promotion campaign to show the device, or None."""
        params = {"android_id": check_android_id(android_id)}
        return read_json(self._call("GET", "/sdk/crosspromo", params=params)).get("campaign")
