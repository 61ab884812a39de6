"""A local stand-in for Anthropic's Messages API (`POST /v1/messages`), for tests and for trying the AI routes.

    vaimanasoft standin anthropic --port 9300
    ANTHROPIC_BASE_URL=http://127.0.0.1:9300 ANTHROPIC_API_KEY=anything vaimanasoft up

It speaks the wire format the official SDK expects: a `message` object with `text` and `tool_use` content
blocks, `stop_reason`, `usage` tokens; errors as `{"type": "error", "error": {"type", "message"}}` with
the status Anthropic uses (401 without `x-api-key`, 400 for a malformed body, 429 `rate_limit_error`
with `retry-after`). Replies are scripted: POST a list to `/_standin/replies`, each one of

    {"text": "..."}                                         a text reply
    {"tool_use": {"name": "run_sql", "input": {...}}}       a tool call (optionally with "text" before it)
    {"content": [blocks], "stop_reason": "end_turn"}        the content blocks as given
    {"error": {"status": 429, "type": "rate_limit_error", "message": "...", "retry_after": 2}}

with optional `"match": "substring"` (used only for a request whose system prompt or messages contain
it), `"times": n` (served n times, default 1), `"usage": {"input_tokens", "output_tokens"}`. The first
queued reply that matches is served; with none, a default reply is made up (a forced tool gets a
plausible input, e.g. `SELECT count(*) AS devices FROM devices` for a `sql` property; otherwise a text
that quotes the request). `GET /_standin/requests` lists the requests received (the API key left out);
`POST /_standin/reset` forgets replies and requests.
"""

from __future__ import annotations

import argparse
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 8 * 1024 * 1024
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


class Script:
    """Queued replies and the requests received (shared by the server's threads and its owner)."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._replies: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []

    def add(self, replies: list[dict[str, Any]]) -> None:
        with self._lock:
            self._replies.extend({**r, "times": int(r.get("times", 1))} for r in replies)

    def reset(self) -> None:
        with self._lock:
            self._replies.clear()
            self._requests.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def pending(self) -> int:
        with self._lock:
            return sum(r["times"] for r in self._replies)

    def record(self, headers: dict[str, str], body: Any) -> None:
        with self._lock:
            self._requests.append({"headers": headers, "body": body})

    def take(self, text: str) -> dict[str, Any] | None:
        """The first queued reply whose `match` (if any) is in `text`, consumed once."""
        with self._lock:
            for i, reply in enumerate(self._replies):
                if reply.get("match") is None or str(reply["match"]) in text:
                    reply["times"] -= 1
                    if reply["times"] <= 0:
                        del self._replies[i]
                    return reply
        return None


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def _request_text(body: dict[str, Any]) -> str:
    return json.dumps({"system": body.get("system"), "messages": body.get("messages")}, ensure_ascii=False)


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    str(b.get("text") or b.get("content") or "") for b in content if isinstance(b, dict)
                )
    return ""


def _sample(schema: dict[str, Any], name: str) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _sample(v, k) for k, v in props.items() if k in schema.get("required", list(props))}
    if kind == "array":
        return [_sample(schema.get("items", {}), name)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return True
    if name == "sql":
        return "SELECT count(*) AS devices FROM devices"
    return "stand-in"


def default_reply(body: dict[str, Any]) -> dict[str, Any]:
    """What the stand-in answers when nothing scripted matches."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    if tools and choice.get("type") in ("tool", "any"):
        tool = next((t for t in tools if t.get("name") == choice.get("name")), tools[0])
        return {"tool_use": {"name": tool["name"], "input": _sample(tool.get("input_schema", {}), "")}}
    said = _last_user_text(body.get("messages") or [])
    return {"text": f"(Anthropic stand-in) You wrote {len(said)} characters. They begin: {said[:400]}"}


def build_message(reply: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A Messages API `message` object for a scripted (or default) reply."""
    content: list[dict[str, Any]] = list(reply.get("content") or [])
    if not content:
        if reply.get("text"):
            content.append({"type": "text", "text": str(reply["text"])})
        if reply.get("tool_use"):
            call = reply["tool_use"]
            content.append(
                {
                    "type": "tool_use",
                    "id": call.get("id") or f"toolu_{uuid.uuid4().hex[:24]}",
                    "name": call["name"],
                    "input": call.get("input", {}),
                }
            )
    has_tool = any(b.get("type") == "tool_use" for b in content)
    usage = reply.get("usage") or {
        "input_tokens": max(1, len(_request_text(body)) // 4),
        "output_tokens": max(1, len(json.dumps(content)) // 4),
    }
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": reply.get("model") or body.get("model"),
        "content": content,
        "stop_reason": reply.get("stop_reason") or ("tool_use" if has_tool else "end_turn"),
        "stop_sequence": None,
        "usage": usage,
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "anthropic-standin/1"
    script: Script  # set on the class made by make_server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the recorded requests
        return

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("request-id", f"req_standin_{uuid.uuid4().hex[:16]}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request too large")
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw or b"null")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/_standin/requests":
            self._send(200, {"requests": self.script.requests()})
        else:
            self._send(404, _error("not_found_error", f"Not found: {self.path}"))

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self._body()
        except (ValueError, json.JSONDecodeError):
            self._send(400, _error("invalid_request_error", "Request body is not valid JSON"))
            return
        if self.path == "/_standin/replies":
            replies = body.get("replies") if isinstance(body, dict) else body
            self.script.add(list(replies or []))
            self._send(200, {"queued": self.script.pending()})
        elif self.path == "/_standin/reset":
            self.script.reset()
            self._send(200, {"reset": True})
        elif self.path.split("?")[0] == "/v1/messages":
            self._messages(body)
        else:
            self._send(404, _error("not_found_error", f"Not found: {self.path}"))

    def _messages(self, body: Any) -> None:
        # The SDK sends the key as x-api-key or (newer versions) as a bearer token.
        bearer = self.headers.get("authorization", "")
        key = self.headers.get("x-api-key") or (bearer[7:] if bearer.lower().startswith("bearer ") else None)
        secret = {"x-api-key", "authorization"}
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() not in secret}
        self.script.record({**headers, "api_key_present": str(bool(key)).lower()}, body)
        if not key or (self.script.api_key is not None and key != self.script.api_key):
            self._send(401, _error("authentication_error", "invalid x-api-key"))
            return
        if not self.headers.get("anthropic-version"):
            self._send(400, _error("invalid_request_error", "anthropic-version: header is required"))
            return
        problem = _invalid(body)
        if problem:
            self._send(400, _error("invalid_request_error", problem))
            return
        reply = self.script.take(_request_text(body)) or default_reply(body)
        if reply.get("error"):
            err = reply["error"]
            kind = err.get("type", "api_error")
            extra = {"retry-after": str(err["retry_after"])} if "retry_after" in err else {}
            if kind == "rate_limit_error":
                extra.setdefault("retry-after", "1")
            status = int(err.get("status") or ERROR_STATUS.get(kind, 500))
            self._send(status, _error(kind, err.get("message", kind)), extra)
            return
        self._send(200, build_message(reply, body))


def _invalid(body: Any) -> str | None:
    """What Anthropic would say about a malformed Messages request (None when it looks right)."""
    if not isinstance(body, dict):
        return "body: Input should be an object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if i > 0 and message["role"] == messages[i - 1].get("role"):
            return f"messages.{i}: roles must alternate between 'user' and 'assistant'"
    if messages[0].get("role") != "user":
        return "messages.0.role: the first message must use the 'user' role"
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict) or not tool.get("name") or "input_schema" not in tool:
            return "tools: each tool needs a name and an input_schema"
    return None


class StandIn:
    """The stand-in served from a thread of this process (tests), on 127.0.0.1 and a free port by default."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None) -> None:
        self.script = Script(api_key)
        handler = type("BoundHandler", (Handler,), {"script": self.script})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply(self, *replies: dict[str, Any]) -> None:
        """Queue scripted replies."""
        self.script.add(list(replies))

    def requests(self) -> list[dict[str, Any]]:
        """Bodies and headers of the Messages requests received so far."""
        return self.script.requests()

    def reset(self) -> None:
        self.script.reset()


def main(argv: list[str]) -> None:
    """Serve the stand-in until interrupted."""
    parser = argparse.ArgumentParser(prog="vaimanasoft standin anthropic")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9300)
    parser.add_argument("--api-key", default=None, help="accept only this x-api-key (default: any)")
    args = parser.parse_args(argv)
    standin = StandIn(args.host, args.port, args.api_key)
    print(
        f"Anthropic stand-in on {standin.url}: start the platform with ANTHROPIC_BASE_URL={standin.url} "
        f"ANTHROPIC_API_KEY={args.api_key or 'any-value'}; script replies by POSTing to "
        f"{standin.url}/_standin/replies",
        flush=True,
    )
    try:
        standin.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin.server.server_close()
