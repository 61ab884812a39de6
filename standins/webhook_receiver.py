"""A webhook receiver for trying webhooks and for tests: records each POST, checks its signatures, and
answers what it is told (a status, a redirect, a hang, a huge body or huge headers).

    vaimanasoft standin webhook_receiver --port 9200 --secret whsec_...

then create a webhook on `http://127.0.0.1:9200/hook` (with WEBHOOK_ALLOW_PRIVATE_TARGETS=true, since
the receiver is on loopback). Each delivery is printed with whether its `X-Vaimanasoft-Signature` and
Standard Webhooks signature verify. Control while it runs:
    GET  /_standin/received           {"count", "requests": [{path, headers, body, valid, at}...]}
    POST /_standin/config {"status": 500, "hang_seconds": 0, "huge_body": false, "huge_headers": false,
                           "secret": "whsec_..."}
    POST /_standin/reset              forget what was received
A 3xx status answers with `Location: /moved` (a request to /moved is recorded too, so a test can tell
that a redirect was never followed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.response import json as json_response


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # listen backlog: the platform opens many connections at once
    daemon_threads = True


HUGE = 8 * 1024 * 1024  # bytes of a huge body; huge headers send 64 header lines of 4 KiB each


def vaimanasoft_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The v4 reference's check: `sha256=` + hex HMAC-SHA256 of the raw body, keyed by the secret string."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("x-vaimanasoft-signature", "").encode(), expected.encode())


def standard_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: base64 HMAC-SHA256 of `id.timestamp.body`, keyed by base64-decoding after whsec_."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers.get('webhook-id', '')}.{headers.get('webhook-timestamp', '')}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(s.removeprefix("v1,").encode(), expected.encode())
        for s in headers.get("webhook-signature", "").split()
        if s.startswith("v1,")
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    valid: bool | None  # both signatures verify (None without a secret)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The receiver's state and behaviour; `start()` serves it on a thread of this process (tests), `main`
    in a process of its own (a Sanic app, `build_app`)."""

    host: str = "127.0.0.1"
    port: int = 0
    status: int = 200
    statuses: list[int] = field(default_factory=list)  # answered in turn before `status`
    hang_seconds: float = 0.0
    huge_body: bool = False
    huge_headers: bool = False
    secret: str | None = None
    keep: int = 100_000
    received: list[Received] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.server: _Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_address[1]}"

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.count = 0
            self.statuses.clear()
        self.status, self.hang_seconds, self.huge_body, self.huge_headers = 200, 0.0, False, False

    def configure(self, options: dict[str, Any]) -> None:
        for key in ("status", "hang_seconds", "huge_body", "huge_headers", "secret"):
            if key in options:
                setattr(self, key, options[key])

    def _record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        valid = None
        if self.secret:
            valid = vaimanasoft_valid(self.secret, headers, body) and standard_valid(
                self.secret, headers, body
            )
        with self._lock:
            self.count += 1
            if len(self.received) < self.keep:
                self.received.append(Received(path, headers, body, time.time(), valid))
            return self.statuses.pop(0) if self.statuses else self.status

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the platform pools connections to plain-http targets

            def _answer(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    for name, value in (extra or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the caller gave up (a timeout under test)
                    self.close_connection = True

            def do_GET(self) -> None:
                if self.path.startswith("/_standin/received"):
                    with receiver._lock:
                        items = [
                            {
                                "path": r.path,
                                "headers": r.headers,
                                "body": r.body.decode(errors="replace"),
                                "valid": r.valid,
                                "at": r.at,
                            }
                            for r in receiver.received
                        ]
                    self._answer(200, json.dumps({"count": receiver.count, "requests": items}).encode())
                else:
                    receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, b"")
                    self._answer(200, b"{}")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/_standin/config":
                    receiver.configure(json.loads(body or b"{}"))
                    return self._answer(200, b"{}")
                if self.path == "/_standin/reset":
                    receiver.reset()
                    return self._answer(200, b"{}")
                status = receiver._record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                if receiver.hang_seconds:
                    time.sleep(receiver.hang_seconds)
                extra = {"Location": "/moved"} if 300 <= status < 400 else {}
                if receiver.huge_headers:
                    extra.update({f"X-Filler-{i}": "x" * 4096 for i in range(64)})
                if receiver.huge_body:
                    self.send_response(status)
                    self.send_header("Content-Length", str(HUGE))
                    self.end_headers()
                    chunk = b"y" * 65536
                    try:
                        for _ in range(HUGE // len(chunk)):
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    return
                self._answer(status, json.dumps({"received": True}).encode(), extra)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> Receiver:
        """Serve on a background thread (returns at once)."""
        self.server = _Server((self.host, self.port), self.handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def build_app(receiver: Receiver) -> Any:
    """The same receiver as a Sanic application (its own process: `main`), fast enough for the bench."""
    app = Sanic("webhook_receiver", configure_logging=False)
    app.config.update(ACCESS_LOG=False, MOTD=False, KEEP_ALIVE_TIMEOUT=60)

    @app.get("/_standin/received")
    async def listed(request: Request) -> HTTPResponse:
        items = [
            {
                "path": r.path,
                "headers": r.headers,
                "body": r.body.decode(errors="replace"),
                "valid": r.valid,
                "at": r.at,
            }
            for r in receiver.received
        ]
        return json_response({"count": receiver.count, "requests": items})

    @app.post("/_standin/config")
    async def config(request: Request) -> HTTPResponse:
        receiver.configure(request.json or {})
        return json_response({})

    @app.post("/_standin/reset")
    async def reset(request: Request) -> HTTPResponse:
        receiver.reset()
        return json_response({})

    @app.route("/<path:path>", methods=["GET", "POST"])
    async def hook(request: Request, path: str) -> HTTPResponse:
        status = receiver._record(
            "/" + path, {k.lower(): v for k, v in request.headers.items()}, request.body
        )
        if receiver.hang_seconds:
            await asyncio.sleep(receiver.hang_seconds)
        headers = {"Location": "/moved"} if 300 <= status < 400 else {}
        if receiver.huge_headers:
            headers.update({f"X-Filler-{i}": "x" * 4096 for i in range(64)})
        body = b"y" * HUGE if receiver.huge_body else b'{"received": true}'
        return HTTPResponse(body, status=status, headers=headers, content_type="application/json")

    return app


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="vaimanasoft standin webhook_receiver",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--secret", default=None, help="the webhook's whsec_ secret, to check signatures")
    parser.add_argument("--status", type=int, default=200, help="the status to answer")
    parser.add_argument("--keep", type=int, default=100_000, help="requests kept for /_standin/received")
    args = parser.parse_args(argv)
    receiver = Receiver(
        host=args.host, port=args.port, status=args.status, secret=args.secret, keep=args.keep
    )
    print(
        f"webhook receiver on http://{args.host}:{args.port}/hook "
        "(set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to use a loopback URL)",
        flush=True,
    )
    build_app(receiver).run(host=args.host, port=args.port, single_process=True, access_log=False)
