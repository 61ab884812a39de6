"""Security headers on every response, and the code agent's check of them (issue 17, item 5)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import httpx
import pytest

from pipelines.codeagent import headers as header_check
from tests.support import Client, Platform

BASE_CSP = {
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}


def _csp(response: httpx.Response) -> set[str]:
    return {part.strip() for part in response.headers.get("content-security-policy", "").split(";")}


def _assert_protected(response: httpx.Response) -> None:
    assert response.headers.get("x-content-type-options") == "nosniff", response.headers
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("referrer-policy") == "no-referrer"
    assert response.headers.get("cross-origin-opener-policy") == "same-origin"
    assert "frame-ancestors 'none'" in _csp(response)
    assert "access-control-allow-origin" not in response.headers
    assert "strict-transport-security" not in response.headers  # not an https install


@pytest.fixture(scope="module")
def bare_server(platform: Platform) -> Iterator[str]:
    """A server with the headers turned off and CORS open to any origin: what the check must catch."""
    proc, base = platform.serve(SECURITY_HEADERS="false", CORS_ORIGINS="*")
    yield base
    proc.stop()


@pytest.fixture(scope="module")
def https_server(platform: Platform) -> Iterator[str]:
    """A server that knows it is reached over https (behind a TLS proxy)."""
    proc, base = platform.serve(PUBLIC_URL="https://analytics.example.com")
    yield base
    proc.stop()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v4/health", 200),
        ("GET", "/api/v4/auth/me", 401),
        ("GET", "/api/v4/no-such-route", 404),
        ("DELETE", "/api/v4/health", 405),
        ("POST", "/api/v4/auth/login", 400),
        ("GET", "/metrics", 200),
        ("GET", "/api/v4/openapi.json", 200),
        ("GET", "/", 404),
    ],
)
async def test_security_headers__every_kind_of_response__present(
    server: str, method: str, path: str, status: int
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.request(method, f"{server}{path}", content=b"not json" if method == "POST" else None)
    assert r.status_code == status, r.text
    _assert_protected(r)
    assert BASE_CSP <= _csp(r)


async def test_security_headers__docs_page__swagger_cdn_and_its_inline_script_allowed_by_hash(
    server: str,
) -> None:
    # Given the Swagger UI page
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(f"{server}/docs", follow_redirects=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _assert_protected(r)
    csp = {d.split(" ", 1)[0]: d for d in _csp(r)}
    # Then its scripts may come from the CDN it loads them from, and its inline script runs by its hash
    cdn_scripts = re.findall(r'<script src="(https://[^/"]+)/', r.text)
    assert cdn_scripts, r.text
    assert all(origin in csp["script-src"] for origin in cdn_scripts)
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert cdn_scripts[0] in csp["style-src"]


async def test_security_headers__event_stream__present_and_stream_works(client: Client) -> None:
    # Given an app and its owner's token
    owner = await client.register()
    app = await client.create_app(owner["token"])
    # When the live stream is opened
    async with client.http.stream(
        "GET", "/stream", params={"app_id": app["id"], "token": owner["token"]}, timeout=10
    ) as response:
        # Then it is an event stream with the headers, and the first event arrives
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        _assert_protected(response)
        first = await anext(response.aiter_lines())
        assert first == ": connected"


async def test_security_headers__https_public_url__strict_transport_security(https_server: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(f"{https_server}/api/v4/health")
    assert r.headers["strict-transport-security"] == "max-age=31536000"


async def test_header_check__default_install__nothing_missing(server: str) -> None:
    # When the code agent's header check reads the default install's responses
    findings, warnings = await header_check.check(server)
    # Then it could read them all and nothing is missing
    assert warnings == []
    assert findings == []


async def test_header_check__headers_off_and_cors_open__each_problem_found(bare_server: str) -> None:
    # Given a server without the headers and with CORS open to any origin
    findings, warnings = await header_check.check(bare_server)
    assert warnings == []
    # Then the check names each missing header and the permissive CORS, on the JSON route and the docs
    rules = {(f.path, f.rule) for f in findings}
    for path in ("GET /api/v4/health", "GET /docs"):
        for rule in (
            "missing-x-content-type-options",
            "missing-referrer-policy",
            "missing-content-security-policy",
            "missing-clickjacking-protection",
        ):
            assert (path, rule) in rules, sorted(rules)
        # sanic-ext answers CORS_ORIGINS=* by echoing the caller's origin: permissive either way
        assert {(path, "permissive-cors-any-origin"), (path, "permissive-cors-reflected-origin")} & rules
    assert all(f.tool == "headers" and f.severity in {"low", "medium", "high"} for f in findings)


def test_header_check__https_without_hsts_and_reflected_origin__found() -> None:
    seen = header_check.Observed(
        "GET /",
        200,
        httpx.Headers(
            {
                "x-content-type-options": "nosniff",
                "referrer-policy": "unsafe-url",
                "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
                "access-control-allow-origin": header_check.PROBE_ORIGIN,
                "access-control-allow-credentials": "true",
                "server": "nginx/1.25.3",
            }
        ),
    )
    rules = {f.rule: f for f in header_check.judge(seen, https=True)}
    assert set(rules) == {
        "missing-referrer-policy",
        "permissive-cors-reflected-origin",
        "missing-strict-transport-security",
        "version-disclosed",
    }
    assert rules["permissive-cors-reflected-origin"].severity == "high"
