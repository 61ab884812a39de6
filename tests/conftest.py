"""Test services: the PostgreSQL/Redis named by DATABASE_URL/REDIS_URL, else embedded ones.

With URLs set, the suite creates a fresh database on that server (dropped at the
end) and flushes the Redis database of REDIS_URL. Each test starts with empty
tables. The platform runs as real processes: an API server and a Dramatiq worker.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import redis

from tests.support import TEST_SECRET, Client, Platform, with_redis_db


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        # The NL query's reader role of that database (migration 9): roles outlive databases.
        role = await conn.fetchval("SELECT 'vs_nlq_' || left(md5($1), 16)", name)
        await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await conn.close()


SESSION_CLAIM = "vs:test:session"
CLAIM_SECONDS = 4 * 3600


def _redis_databases(url: str) -> int:
    try:
        return int(redis.Redis.from_url(url).config_get("databases").get("databases", 16))
    except (redis.RedisError, ValueError):
        return 16


def _pid_alive(value: bytes | None) -> bool:
    try:
        os.kill(int(value or 0), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return int(value or 0) > 0


def _claim_redis_db(url: str) -> str:
    """A Redis database of its own for this test session, so that two sessions on one server (a
    developer's run beside CI's) never flush or consume each other's queues. Tests also use the
    next two databases (tests.support.with_redis_db), hence the steps of three. A claim whose
    process is gone (a killed session on this machine) is taken over."""
    numbers = range(0, _redis_databases(url) - 2, 3)
    for number in numbers:
        client = redis.Redis.from_url(with_redis_db(url, number))
        if client.set(SESSION_CLAIM, os.getpid(), nx=True, ex=CLAIM_SECONDS):
            return with_redis_db(url, number)
    for number in numbers:
        client = redis.Redis.from_url(with_redis_db(url, number))
        holder = client.get(SESSION_CLAIM)
        if (
            not _pid_alive(holder)
            and client.set(SESSION_CLAIM, os.getpid(), xx=True, ex=CLAIM_SECONDS, get=True) == holder
        ):
            return with_redis_db(url, number)
    pytest.exit(
        f"Every test Redis database ({', '.join(map(str, numbers))}) is claimed by another test session.",
        returncode=2,
    )


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(database_url, redis_url) of a migrated, empty test database and a flushed Redis."""
    from core import db

    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    embedded = None
    test_db = None
    if bool(database_url) != bool(redis_url):
        pytest.exit("Set both DATABASE_URL and REDIS_URL, or neither (embedded services).", returncode=2)
    if database_url and redis_url:
        test_db = f"vs_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        asyncio.run(_create_database(database_url, test_db))
        admin_url, database_url = database_url, _with_database(database_url, test_db)
        redis_url = _claim_redis_db(redis_url)
    else:
        from core.embedded import EmbeddedServices

        # Not under pytest's basetemp: another pytest session resets that to mode 0700,
        # which the embedded PostgreSQL (running as its own system user) could not traverse.
        embedded_dir = Path(tempfile.mkdtemp(prefix="vs-test-embedded-"))
        embedded = EmbeddedServices(embedded_dir)
        database_url, redis_url = embedded.start()
    redis.Redis.from_url(redis_url).flushdb()
    redis.Redis.from_url(redis_url).set(SESSION_CLAIM, os.getpid(), ex=CLAIM_SECONDS)
    asyncio.run(db.migrate(database_url))
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TEST_SECRET, ENV="test")
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        yield database_url, redis_url
    finally:
        if test_db:
            asyncio.run(_drop_database(admin_url, test_db))
            redis.Redis.from_url(redis_url).delete(SESSION_CLAIM)
        if embedded:
            embedded.stop()
            shutil.rmtree(embedded_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def platform(services: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Spawns platform processes against the test services; stops them all at the end."""
    root = tmp_path_factory.mktemp("platform")
    (root / "logs").mkdir()
    env = Platform(
        database_url=services[0], redis_url=services[1], data_dir=root / "data", logs=root / "logs"
    )
    yield env
    env.stop_all()


@pytest.fixture(scope="session")
def server(platform: Platform) -> str:
    """Base URL of the session's API server (PROXIES_COUNT=1, RATE_LIMIT_SCALE=1)."""
    _, base = platform.serve()
    return base


@pytest.fixture(scope="session")
def worker(platform: Platform) -> None:
    """A Dramatiq worker process for the session (`platform.session_worker`)."""
    platform.session_worker = platform.spawn("worker")


@pytest.fixture
async def client(server: str) -> AsyncIterator[Client]:
    """An HTTP client of the session server, with its own client IP."""
    c = Client(server)
    yield c
    await c.close()


@pytest.fixture(autouse=True)
async def clean_database(request: pytest.FixtureRequest) -> None:
    """Every test starts with empty tables (ids keep growing, so they never repeat across tests)."""
    if "services" not in request.fixturenames:
        return
    database_url = request.getfixturevalue("services")[0]
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'aerich'"
        )
        if tables:
            statement = "TRUNCATE " + ", ".join(f'"{t["tablename"]}"' for t in tables) + " CASCADE"
            for attempt in range(5):
                try:  # a worker may still be storing a batch of the previous test
                    await conn.execute(statement)
                    break
                except asyncpg.DeadlockDetectedError:
                    if attempt == 4:
                        raise
                    await asyncio.sleep(0.2)
    finally:
        await conn.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test database, for crafting data and checking what was stored."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()


@pytest.fixture
async def stranger(server: str) -> AsyncIterator[Client]:
    """A client of another organisation (its own IP)."""
    c = Client(server)
    yield c
    await c.close()


@pytest.fixture
def database_url(services: tuple[str, str]) -> str:
    return services[0]


@pytest.fixture
def redis_url(services: tuple[str, str]) -> str:
    return services[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that uses a running platform needs the services; make the autouse cleanup see them.
    for item in items:
        if any(name in getattr(item, "fixturenames", ()) for name in ("server", "client", "platform")):
            if "services" not in item.fixturenames:
                item.fixturenames.append("services")
