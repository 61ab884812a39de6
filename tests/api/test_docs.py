"""The published API description: OpenAPI document, docs UI, Prometheus metrics, and the contract's routes."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from tests.support import Client

CONTRACT_ROUTES_TOOL = "/work/shared/tools/contract-routes"
# API.md routes this part of the platform implements (path shapes as the tool prints them).
OWNED_CONTRACT_ROUTES = {
    ("POST", "/api/v4/auth/register"),
    ("POST", "/api/v4/auth/login"),
    ("POST", "/api/v4/auth/refresh"),
    ("POST", "/api/v4/auth/logout"),
    ("GET", "/api/v4/auth/me"),
    ("GET", "/api/v4/apps"),
    ("POST", "/api/v4/apps"),
    ("GET", "/api/v4/apps/{}"),
    ("PUT", "/api/v4/apps/{}"),
    ("DELETE", "/api/v4/apps/{}"),
    ("POST", "/api/v4/apps/{}/rotate-key"),
    ("GET", "/api/v4/org/api-key"),
    ("POST", "/api/v4/org/api-key/rotate"),
    ("GET", "/api/v4/jobs/{}"),
    ("GET", "/api/v4/health"),
    ("GET", "/api/v4/system/queue"),
    ("GET", "/api/v4/webhooks"),
    ("POST", "/api/v4/webhooks"),
    ("PUT", "/api/v4/webhooks/{}"),
    ("DELETE", "/api/v4/webhooks/{}"),
    ("POST", "/api/v4/webhooks/{}/test"),
    ("GET", "/api/v4/webhooks/{}/deliveries"),
    ("POST", "/api/v4/notifications/send"),
    ("GET", "/api/v4/notifications"),
    ("DELETE", "/api/v4/notifications/{}"),
    ("GET", "/api/v4/codeagent/status"),
    ("POST", "/api/v4/codeagent/lint"),
    ("POST", "/api/v4/codeagent/security-scan"),
    ("GET", "/api/v4/devops/status"),
    ("POST", "/api/v4/devops/deploy"),
    ("GET", "/api/v4/blog/posts"),
    ("POST", "/api/v4/blog/posts"),
    ("PUT", "/api/v4/blog/posts/{}"),
    ("POST", "/api/v4/blog/generate"),
}
HTTP_METHODS = {"get", "post", "put", "delete", "patch"}


def _openapi_path(sanic_uri: str) -> str:
    """`/api/v4/apps/<app_id:int>` as OpenAPI writes it: `/api/v4/apps/{app_id}`."""
    return re.sub(r"<([^:>]+)(?::[^>]*)?>", r"{\1}", "/" + sanic_uri.lstrip("/"))


@pytest.fixture(scope="module")
def local_routes(services: tuple[str, str]) -> Iterator[set[tuple[str, str]]]:
    """(method, OpenAPI path) of every /api/v4 route an app built here registers."""
    from sanic import Sanic

    from api.app import create_app

    # create_app configures logging for a server process; give the test process its own back afterwards.
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    app = create_app()
    try:
        routes = {
            (method.upper(), _openapi_path(route.path))
            for route in app.router.routes
            for method in route.methods
            if method.upper() not in ("HEAD", "OPTIONS")
        }
    finally:
        Sanic.unregister_app(app)
        root.handlers[:], root.level = saved_handlers, saved_level
        structlog.configure(**saved_structlog)
        structlog.contextvars.clear_contextvars()
    yield {(m, p) for m, p in routes if p.startswith("/api/v4/") and p != "/api/v4/openapi.json"}


@pytest.fixture(scope="module")
def spec(server: str) -> dict[str, Any]:
    r = httpx.get(f"{server}/api/v4/openapi.json", timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its top-level `$ref` followed (and checked to exist)."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/components/schemas/"), ref
    name = ref.rsplit("/", 1)[1]
    assert name in spec.get("components", {}).get("schemas", {}), f"dangling {ref}"
    return spec["components"]["schemas"][name]


def test_openapi__document__is_openapi_3_with_paths(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert spec["paths"]


def test_openapi__routes__every_registered_api_route_is_documented(
    spec: dict[str, Any], local_routes: set[tuple[str, str]]
) -> None:
    # Given the routes an app built from the same code registers
    documented = {(method, path) for method, path, _ in _operations(spec)}
    # Then the served document lists each of them under /api/v4, and nothing that does not exist
    assert local_routes, "no routes found in the locally built app"
    assert sorted(local_routes - documented) == []
    assert sorted(documented - local_routes) == []
    assert all(path.startswith("/api/v4/") for _, path, _ in _operations(spec))


def test_openapi__operations_with_a_body__declare_a_json_request_schema(spec: dict[str, Any]) -> None:
    from api.routing import ROUTES

    with_body = {(r.method, _openapi_path(r.path)) for r in ROUTES if r.body is not None}
    assert ("POST", "/api/v4/apps") in with_body and ("PUT", "/api/v4/apps/{app_id}") in with_body
    operations = {(method, path): op for method, path, op in _operations(spec)}
    for key in sorted(with_body):
        request_body = operations[key].get("requestBody")
        assert request_body, f"{key} has no requestBody"
        schema = _resolve(spec, request_body["content"]["application/json"]["schema"])
        assert schema.get("type") == "object" and schema.get("properties"), key


def test_openapi__app_create_schema__names_the_contract_fields(spec: dict[str, Any]) -> None:
    op = spec["paths"]["/api/v4/apps"]["post"]
    schema = _resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
    assert {"name", "package_name"} <= set(schema["required"])
    created = _resolve(spec, op["responses"]["201"]["content"]["application/json"]["schema"])
    assert {"id", "name", "package_name", "sdk_key", "created_at"} <= set(created["properties"])


def test_openapi__every_operation__has_a_2xx_response_with_a_schema(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        successes = {status: r for status, r in operation["responses"].items() if str(status).startswith("2")}
        assert successes, f"{method} {path} documents no 2xx response"
        for status, response in successes.items():
            content = response.get("content") or {}
            assert content, f"{method} {path} {status} has no content"
            for media_type, media in content.items():
                assert media.get("schema"), f"{method} {path} {status} {media_type} has no schema"
                _resolve(spec, media["schema"])


def test_openapi__every_operation__documents_json_errors(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        # 4xx only: a 503 may carry the route's own report (GET /health's checks).
        errors = {
            str(status): r for status, r in operation["responses"].items() if str(status).startswith("4")
        }
        assert "400" in errors, f"{method} {path}"
        for response in errors.values():
            schema = _resolve(spec, response["content"]["application/json"]["schema"])
            assert "error" in schema["properties"], f"{method} {path}"


def test_openapi__path_parameters__declared_for_every_placeholder(spec: dict[str, Any]) -> None:
    for method, path, operation in _operations(spec):
        placeholders = set(re.findall(r"\{([^}]+)\}", path))
        declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
        assert placeholders == declared, f"{method} {path}"


def test_openapi__parameters__scalar_types(spec: dict[str, Any]) -> None:
    # Generated clients build URLs from these: an id must be an integer, a query number a number, not an object.
    for method, path, operation in _operations(spec):
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in ("path", "query"), f"{method} {path} {parameter}"
            assert parameter["schema"].get("type") in ("integer", "number", "boolean", "string"), (
                f"{method} {path} {parameter}"
            )
    wait = spec["paths"]["/api/v4/system/selftest"]["post"]["parameters"]
    assert [p["schema"]["type"] for p in wait if p["name"] == "wait"] == ["number"]
    app_id = spec["paths"]["/api/v4/apps/{app_id}"]["get"]["parameters"]
    assert [p["schema"]["type"] for p in app_id if p["name"] == "app_id"] == ["integer"]


def test_openapi__secured_operations__name_a_declared_scheme(spec: dict[str, Any]) -> None:
    schemes = set(spec["components"]["securitySchemes"])
    assert {"bearer", "sdkKey", "apiKey", "adminToken"} <= schemes
    for method, path, operation in _operations(spec):
        for requirement in operation.get("security", []):
            assert set(requirement) <= schemes, f"{method} {path}"
    assert spec["paths"]["/api/v4/apps"]["get"]["security"] == [{"bearer": []}]


def test_docs__browser__html(server: str) -> None:
    r = httpx.get(f"{server}/docs", follow_redirects=True, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()


async def test_metrics__after_requests__prometheus_text_with_request_counter(
    client: Client, server: str
) -> None:
    # Given some traffic: a success, an auth failure and an unknown route
    assert (await client.request("GET", "/health")).status_code == 200
    assert (await client.request("GET", "/auth/me")).status_code == 401
    assert (await client.request("GET", "/no-such-route")).status_code == 404
    # When scraping the metrics
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.get(f"{server}/metrics")
    # Then they are Prometheus text exposition with the request counter per route and status
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE vaimanasoft_http_requests_total counter" in text
    assert re.search(
        r'^vaimanasoft_http_requests_total\{[^}]*status="200"[^}]*\} [0-9.e+]+$', text, re.MULTILINE
    )
    assert re.search(
        r'^vaimanasoft_http_requests_total\{[^}]*route="vaimanasoft\.auth\.me"[^}]*status="401"[^}]*\}',
        text,
        re.MULTILINE,
    )
    assert re.search(
        r'^vaimanasoft_http_requests_total\{[^}]*route="unmatched"[^}]*status="404"[^}]*\}',
        text,
        re.MULTILINE,
    )
    assert "vaimanasoft_http_request_duration_seconds_bucket" in text


def test_contract_routes__owned_routes__none_missing(server: str) -> None:
    # The shared tool compares API.md with the served document; other issues' routes may still be missing.
    result = subprocess.run(
        [sys.executable, CONTRACT_ROUTES_TOOL, server],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    missing = set()
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "missing":
            missing.add((parts[1], parts[2]))
    assert "contract routes published" in result.stdout
    assert sorted(OWNED_CONTRACT_ROUTES & missing) == []
