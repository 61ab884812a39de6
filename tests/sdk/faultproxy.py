"""A recording HTTP proxy between an SDK and the platform, that can answer some requests itself.

The SDKs under test talk to the real platform through it. Every exchange is recorded (time,
method, path, headers, JSON body, status) so tests can assert on what the SDK sent and when. An
injected rule answers matching requests with a given status instead of the platform (a 429 with
Retry-After, a 503, a 400), or forwards them and replaces the answer (the platform stored the
batch but the SDK never heard so: a lost response)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Exchange:
    at: float  # time.monotonic() when the request arrived
    method: str
    path: str  # without the query
    query: str
    headers: httpx.Headers  # case-insensitive
    body: Any  # parsed JSON, or None
    status: int = 0
    response_headers: httpx.Headers = field(default_factory=httpx.Headers)
    injected: bool = False


@dataclass
class Rule:
    path: str
    status: int
    times: int
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    forward: bool = False


class FaultProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.exchanges: list[Exchange] = []
        self.rules: list[Rule] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API base the SDK is given (ends in /api/v4)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v4"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def inject(
        self,
        path: str,
        status: int,
        times: int = 1,
        *,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        forward: bool = False,
    ) -> None:
        """Answer the next `times` requests to `path` (e.g. "/api/v4/events/batch") with `status`."""
        with self._lock:
            self.rules.append(Rule(path, status, times, method, dict(headers or {}), forward))

    def requests(self, path: str, method: str | None = None) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.path == path and (method is None or e.method == method)]

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Exchange]:
        """Wait until `count` answered requests to `path` were seen; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            seen = [e for e in self.requests(path) if e.status]
            if len(seen) >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.02)

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.times > 0 and rule.path == path and rule.method in (None, method):
                    rule.times -= 1
                    return rule
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                exchange = Exchange(
                    time.monotonic(),
                    self.command,
                    parts.path,
                    parts.query,
                    httpx.Headers(self.headers.items()),
                    body,
                )
                with proxy._lock:
                    proxy.exchanges.append(exchange)
                rule = proxy._rule_for(self.command, parts.path)
                status, headers, content = 0, {}, b""
                if rule is None or rule.forward:
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    try:
                        r = proxy._http.request(
                            self.command, proxy.target + self.path, content=raw, headers=forwarded
                        )
                        status, content = r.status_code, r.content
                        headers = {k: v for k, v in r.headers.items() if k.lower() not in HOP_BY_HOP}
                    except httpx.HTTPError:
                        status, content = 502, b'{"error": "the platform did not answer the proxy"}'
                if rule is not None:
                    exchange.injected = True
                    status, headers = rule.status, dict(rule.headers)
                    content = b"" if status == 304 else json.dumps({"error": f"injected {status}"}).encode()
                    headers["Content-Type"] = "application/json"
                exchange.status, exchange.response_headers = status, httpx.Headers(headers)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler
