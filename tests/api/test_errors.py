"""Cross-cutting response rules (API.md section 0): error bodies, X-Request-Id, body limits, logs without secrets."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import structlog
from sanic import Request, Sanic
from sanic.compat import Header
from sanic.exceptions import ServerError

from api.errors import JsonErrorHandler
from core.errors import ConfigurationError
from tests.support import Client, Platform, unique_email

MIB = 1024 * 1024
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
SDK_KEY = re.compile(r"\bsk_[0-9a-f]{16}\b")
ORG_KEY = re.compile(r"\bok_[0-9a-f]{32}\b")


def _assert_error_body(response: httpx.Response) -> dict[str, Any]:
    """The response is `{"error": "<message>"}` JSON, with `details` an object when present."""
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"error", "details"}
    assert isinstance(body["error"], str) and body["error"]
    if "details" in body:
        assert isinstance(body["details"], dict)
    return body


async def _app_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM apps")
    finally:
        await conn.close()


# --- X-Request-Id and error bodies -----------------------------------------------------------------------


async def test_request_id__ok_response__present(client: Client) -> None:
    r = await client.request("GET", "/health")
    assert r.status_code == 200
    assert GENERATED_ID.match(r.headers["X-Request-Id"])


async def test_request_id__each_request__a_new_id(client: Client) -> None:
    ids = {(await client.request("GET", "/health")).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


async def test_request_id__bad_request__present_with_error_body(client: Client) -> None:
    r = await client.request(
        "POST", "/auth/login", content=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["X-Request-Id"]
    _assert_error_body(r)


async def test_request_id__validation_error__details_object(client: Client) -> None:
    r = await client.request("POST", "/auth/login", json={"email": 5})
    assert r.status_code == 400
    assert r.headers["X-Request-Id"]
    assert {"email", "password"} <= set(_assert_error_body(r)["details"])


async def test_request_id__unauthorized__present_with_error_body(client: Client) -> None:
    r = await client.request("GET", "/auth/me")
    assert r.status_code == 401
    assert r.headers["X-Request-Id"]
    _assert_error_body(r)


@pytest.mark.parametrize("path", ["/api/v4/no-such-route", "/api/v4/apps/1/nothing", "/nope", "/"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_unknown_route__any_method__404_json_with_request_id(
    server: str, method: str, path: str
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        r = await http.request(method, path)
    assert r.status_code == 404
    assert r.headers["X-Request-Id"]
    assert _assert_error_body(r) == {"error": "Not found"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/auth/login", {"POST"}),
        ("DELETE", "/auth/me", {"GET"}),
        ("PATCH", "/apps", {"GET", "POST"}),
        ("PATCH", "/apps/1", {"GET", "PUT", "DELETE"}),
        ("POST", "/health", {"GET"}),
    ],
)
async def test_known_path__wrong_method__405_json_with_allow(
    client: Client, method: str, path: str, allowed: set[str]
) -> None:
    r = await client.request(method, path)
    assert r.status_code == 405
    assert r.headers["X-Request-Id"]
    _assert_error_body(r)
    assert allowed <= {m.strip() for m in r.headers["Allow"].split(",")}


async def test_body_over_1_mib__json_route__413_with_request_id_and_nothing_stored(
    client: Client, database_url: str
) -> None:
    # Given an owner / When posting an app whose body is just over 1 MiB
    owner = await client.register()
    padding = "x" * (MIB + 1 - len('{"name":"","package_name":"com.acme.big"}'))
    content = json.dumps({"name": padding, "package_name": "com.acme.big"}, separators=(",", ":")).encode()
    assert len(content) == MIB + 1
    r = await client.request(
        "POST", "/apps", owner["token"], content=content, headers={"Content-Type": "application/json"}
    )
    # Then 413 as JSON, and no app
    assert r.status_code == 413
    assert r.headers["X-Request-Id"]
    _assert_error_body(r)
    assert await _app_count(database_url) == 0


async def test_body_over_1_mib__chunked_without_length__413(client: Client, database_url: str) -> None:
    owner = await client.register()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name":"'
        for _ in range(17):
            yield b"x" * 65536
        yield b'","package_name":"com.acme.big"}'

    r = await client.request(
        "POST", "/apps", owner["token"], content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert r.headers["X-Request-Id"]
    _assert_error_body(r)
    assert await _app_count(database_url) == 0


async def test_body_just_under_1_mib__json_route__not_413(client: Client) -> None:
    # A body within the limit reaches validation (the name is too long: 400, not 413).
    owner = await client.register()
    content = json.dumps({"name": "x" * (MIB - 100), "package_name": "com.acme.big"}).encode()
    assert len(content) < MIB
    r = await client.request(
        "POST", "/apps", owner["token"], content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert "name" in r.json()["details"]


@pytest.mark.parametrize("incoming", ["abc-123", "A.b_C-9", "x" * 64, uuid.uuid4().hex])
async def test_request_id__valid_incoming__echoed(client: Client, incoming: str) -> None:
    ok = await client.request("GET", "/health", headers={"X-Request-Id": incoming})
    assert ok.headers["X-Request-Id"] == incoming
    error = await client.request("GET", "/auth/me", headers={"X-Request-Id": incoming})
    assert error.status_code == 401
    assert error.headers["X-Request-Id"] == incoming


@pytest.mark.parametrize("incoming", ["x" * 65, "has space", "semi;colon", 'quote"d', "", "tab\there"])
async def test_request_id__invalid_incoming__replaced_by_a_fresh_id(client: Client, incoming: str) -> None:
    r = await client.request("GET", "/health", headers={"X-Request-Id": incoming})
    assert GENERATED_ID.match(r.headers["X-Request-Id"])


async def test_request_id__unknown_route__echoed(server: str) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        r = await http.get("/api/v4/missing", headers={"X-Request-Id": "trace-404"})
    assert r.status_code == 404
    assert r.headers["X-Request-Id"] == "trace-404"


# --- 500s: the error handler itself ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bare_app() -> Iterator[Sanic]:
    """A Sanic app only to give requests an `app` (the handler under test needs none of ours)."""
    app = Sanic(f"errors_unit_{uuid.uuid4().hex[:8]}")
    yield app
    Sanic.unregister_app(app)


def _request(app: Sanic, path: str = "/api/v4/apps?token=secret-in-query") -> Request:
    return Request(path.encode(), Header({"host": "127.0.0.1"}), "1.1", "GET", None, app)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "exception",
    [
        RuntimeError("boom at /srv/app.py line 3"),
        ServerError("sanic internal detail"),
        ConfigurationError("DATABASE_URL=postgres://user:pw@db/x is unusable"),
        ZeroDivisionError("division by zero"),
    ],
    ids=["RuntimeError", "SanicServerError", "Status500DomainError", "ZeroDivisionError"],
)
def test_error_handler__unexpected_exception__500_without_trace(
    bare_app: Sanic, exception: Exception
) -> None:
    # Given a request whose handler raised something unexpected
    request = _request(bare_app)
    # When the error handler answers it
    with structlog.testing.capture_logs() as logs:
        response = JsonErrorHandler().default(request, exception)
    # Then the client sees a generic 500 with only the request id to quote
    assert response.status == 500
    assert response.content_type == "application/json"
    body = json.loads(response.body)
    assert set(body) <= {"error", "details"}
    assert body["error"] == "Internal server error"
    rid = response.headers["X-Request-Id"]
    assert body.get("details", {}) in ({}, {"request_id": rid})
    text = response.body.decode()
    for leak in ("Traceback", type(exception).__name__, str(exception), 'File "', ".py"):
        assert leak not in text
    # and the failure is logged with the same request id
    errors = [e for e in logs if e.get("log_level") == "error"]
    assert errors and errors[0].get("request_id") == rid


def test_error_handler__exception_with_traceback__500_without_trace(bare_app: Sanic) -> None:
    try:
        {}["missing"]  # a real exception, with a traceback attached
    except KeyError as exc:
        caught = exc
    response = JsonErrorHandler().default(_request(bare_app), caught)
    assert response.status == 500
    assert set(json.loads(response.body)) <= {"error", "details"}
    assert b"Traceback" not in response.body and b"missing" not in response.body


# --- logs ------------------------------------------------------------------------------------------------


def _json_lines(output: str) -> list[dict[str, Any]]:
    lines = [line for line in output.splitlines() if line.strip()]
    records = []
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert isinstance(record, dict), line
        records.append(record)
    return records


async def _wait_for_log(proc: Any, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while needle not in proc.output():
        assert time.monotonic() < deadline, f"{needle!r} never logged:\n{proc.output()[-3000:]}"
        await asyncio.sleep(0.05)
    return proc.output()


async def test_server_log__after_auth_and_app_traffic__json_lines_without_secrets(platform: Platform) -> None:
    # Given a server of its own, so its log holds only this test's traffic
    proc, base = platform.serve()
    client = Client(base)
    password = f"pw-{uuid.uuid4().hex}"
    secrets: list[str] = [password]
    seen_ids: list[str] = []
    try:
        # When a user registers, logs in (right and wrong), refreshes, creates an app, rotates keys
        email = unique_email("logs")
        account = await client.register(email=email, password=password)
        secrets.append(account["token"])
        wrong = await client.request(
            "POST", "/auth/login", json={"email": email, "password": password + "-wrong"}
        )
        assert wrong.status_code == 401
        secrets.append(password + "-wrong")
        login = await client.request("POST", "/auth/login", json={"email": email, "password": password})
        token = login.json()["token"]
        secrets.append(token)
        refreshed = await client.request("POST", "/auth/refresh", token)
        secrets.append(refreshed.json()["token"])
        me = await client.request("GET", "/auth/me", token, params={"token": token, "password": password})
        assert me.status_code == 200
        app = await client.create_app(token)
        secrets.append(app["sdk_key"])
        rotated = await client.request("POST", f"/apps/{app['id']}/rotate-key", token)
        secrets.append(rotated.json()["sdk_key"])
        key = await client.request("GET", "/org/api-key", token)
        secrets.append(key.json()["api_key"])
        new_key = await client.request("POST", "/org/api-key/rotate", token)
        secrets.append(new_key.json()["api_key"])
        bad_sdk = await client.request(
            "POST",
            "/devices/register",
            headers={"X-SDK-Key": rotated.json()["sdk_key"]},
            json={"device_id": "d1"},
        )
        bad_token = await client.request("GET", "/auth/me", token[:-3] + "abc")
        assert bad_token.status_code == 401
        for response in (wrong, login, refreshed, me, rotated, key, new_key, bad_sdk, bad_token):
            seen_ids.append(response.headers["X-Request-Id"])
        final = await client.request("GET", "/health", headers={"X-Request-Id": "logs-final-marker"})
        assert final.status_code == 200
        output = await _wait_for_log(proc, "logs-final-marker")
    finally:
        await client.close()
        proc.stop()
    # Then no credential appears anywhere in the log
    for secret in secrets:
        assert secret not in output
    assert not JWT.search(output)
    assert not SDK_KEY.search(output)
    assert not ORG_KEY.search(output)
    # and every line is a JSON object; each request has a line with its request id
    records = _json_lines(output)
    requests = {r["request_id"]: r for r in records if r.get("event") == "request"}
    for rid in seen_ids + ["logs-final-marker"]:
        assert rid in requests
        line = requests[rid]
        assert {"method", "path", "status"} <= set(line)
        assert "?" not in line["path"]
    assert requests["logs-final-marker"]["status"] == 200
    assert requests[wrong.headers["X-Request-Id"]]["status"] == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/alerts"),
        ("POST", "/dashboards"),
        ("POST", "/flags"),
        ("POST", "/segments"),
        ("POST", "/experiments"),
        ("POST", "/analytics/funnel"),
        ("POST", "/analytics/paths"),
    ],
)
@pytest.mark.parametrize("app_id", [2**31, 2**40, 0, -1])
async def test_body_app_id_outside_the_key_range__400_naming_it_not_500(
    client: Client, method: str, path: str, app_id: int
) -> None:
    owner = await client.register()
    r = await client.request(method, path, owner["token"], json={"app_id": app_id})
    assert r.status_code == 400, r.text
    assert "app_id" in r.json()["details"]
