"""GET /health (API.md section 12), and how the API answers when its database or Redis is down."""

from __future__ import annotations

import platform as python_platform
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from api.errors import database_down
from core import __version__
from tests.support import PASSWORD, Client, Platform, free_port, unique_email


@pytest.fixture(scope="module")
def database_down_server(platform: Platform) -> Iterator[str]:
    """An API process whose DATABASE_URL points at a port nothing listens on (its Redis is fine)."""
    proc, base = platform.serve(DATABASE_URL=f"postgres://postgres@127.0.0.1:{free_port()}/vaimanasoft")
    yield base
    proc.stop()


@pytest.fixture(scope="module")
def redis_down_server(platform: Platform) -> Iterator[str]:
    """An API process whose REDIS_URL points at a port nothing listens on (its database is fine)."""
    proc, base = platform.serve(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    yield base
    proc.stop()


@pytest.fixture
async def database_down_client(database_down_server: str) -> AsyncIterator[Client]:
    c = Client(database_down_server)
    yield c
    await c.close()


@pytest.fixture
async def redis_down_client(redis_down_server: str) -> AsyncIterator[Client]:
    c = Client(redis_down_server)
    yield c
    await c.close()


async def test_health__all_up__200_ok_with_every_check(client: Client) -> None:
    # When anyone (no credentials) asks for health
    r = await client.request("GET", "/health")
    # Then every check is reported in the documented shape
    assert r.status_code == 200
    assert r.headers["X-Request-Id"]
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {
        "status",
        "database",
        "redis",
        "storage",
        "queue",
        "python_version",
        "uptime_seconds",
        "version",
    }
    assert body["status"] == "ok"
    assert set(body["database"]) == {"status", "latency_ms"}
    assert body["database"]["status"] == "ok"
    assert isinstance(body["database"]["latency_ms"], (int, float)) and body["database"]["latency_ms"] >= 0
    assert body["redis"] == {"status": "ok"}
    assert set(body["storage"]) == {"writable", "free_gb"}
    assert body["storage"]["writable"] is True
    assert isinstance(body["storage"]["free_gb"], (int, float)) and body["storage"]["free_gb"] >= 0
    assert set(body["queue"]) == {"status", "pending_jobs"}
    assert body["queue"]["status"] == "ok"
    assert isinstance(body["queue"]["pending_jobs"], int) and body["queue"]["pending_jobs"] >= 0
    assert body["python_version"] == python_platform.python_version()
    assert isinstance(body["uptime_seconds"], int) and body["uptime_seconds"] >= 0
    assert body["version"] == __version__


async def test_health__request_id_sent__echoed(client: Client) -> None:
    r = await client.request("GET", "/health", headers={"X-Request-Id": "probe-123"})
    assert r.status_code == 200
    assert r.headers["X-Request-Id"] == "probe-123"


async def test_health__database_down__503_database_down(database_down_client: Client) -> None:
    # Given an API whose database does not answer (it still started)
    # When asking for health
    r = await database_down_client.request("GET", "/health")
    # Then it answers 503 with the database down and the rest still reported
    assert r.status_code == 503
    assert r.headers["X-Request-Id"]
    body = r.json()
    assert body["status"] == "degraded"
    assert body["database"]["status"] == "down"
    assert body["database"]["latency_ms"] is None
    assert body["redis"] == {"status": "ok"}
    assert body["version"] == __version__


async def test_auth_login__database_down__503_json(database_down_client: Client) -> None:
    # Given an API whose database does not answer (Redis is fine, so the rate limiter admits)
    # When a client logs in
    r = await database_down_client.request(
        "POST", "/auth/login", json={"email": unique_email(), "password": PASSWORD}
    )
    # Then it is told a dependency is down, not that the server failed
    assert r.status_code == 503
    assert r.json() == {"error": "Database unavailable"}
    assert r.headers["X-Request-Id"]


async def test_jwt_route__database_down__503_json(client: Client, database_down_client: Client) -> None:
    # Given a valid token (from the healthy server; both share the secret)
    account = await client.register()
    # When it is used on the API whose database is down
    r = await database_down_client.request("GET", "/apps", account["token"])
    # Then 503, not 500
    assert r.status_code == 503
    assert r.json() == {"error": "Database unavailable"}


async def test_health__redis_down__degraded_with_redis_down(redis_down_client: Client) -> None:
    # Given an API whose Redis does not answer (it still started)
    # When asking for health
    r = await redis_down_client.request("GET", "/health")
    # Then it is up (the database answers) but reports itself degraded, Redis down
    assert r.status_code == 200
    assert r.headers["X-Request-Id"]
    body = r.json()
    assert body["status"] == "degraded"
    assert body["redis"]["status"] == "down"
    assert body["database"]["status"] == "ok"
    assert body["queue"]["status"] == "down"
    assert body["queue"]["pending_jobs"] is None


async def test_database_down__driver_connection_refused__true() -> None:
    # Given the error asyncpg raises for a port nothing listens on
    with pytest.raises(OSError) as refused:
        await asyncpg.connect(f"postgres://postgres@127.0.0.1:{free_port()}/vaimanasoft", timeout=5)
    # Then it is a database outage (503)
    assert database_down(refused.value)


async def test_database_down__other_os_error__false(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Given an I/O failure outside the database driver
    with pytest.raises(OSError) as missing:
        (tmp_path / "missing").read_bytes()
    # Then it is not taken for a database outage (it stays a 500)
    assert not database_down(missing.value)
    assert not database_down(ConnectionRefusedError())
