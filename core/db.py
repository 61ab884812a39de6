"""PostgreSQL through Tortoise: configuration, start-up, raw connections, migrations."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from tortoise import Tortoise

from core.settings import Settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK_ID = 0x7653_0001  # pg_advisory_lock key: one migrator at a time


def tortoise_config(database_url: str, pool_max: int = 20) -> dict[str, Any]:
    """Tortoise configuration for a postgres:// URL."""
    url = urlsplit(database_url)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    credentials: dict[str, Any] = {
        "host": query.pop("host", None) or url.hostname or "127.0.0.1",
        "port": url.port or int(query.pop("port", 5432)),
        "user": unquote(url.username or "postgres"),
        "password": unquote(url.password or ""),
        "database": (url.path or "/postgres").lstrip("/") or "postgres",
        "minsize": 1,
        "maxsize": pool_max,
        "command_timeout": 60,
        # Timestamps rendered by the database (e.g. inside jsonb) are in UTC.
        "server_settings": {"timezone": "UTC"},
    }
    return {
        "connections": {"default": {"engine": "tortoise.backends.asyncpg", "credentials": credentials}},
        "apps": {"models": {"models": ["core.models", "aerich.models"], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(settings: Settings) -> None:
    """Open the Tortoise connection pool for this process."""
    await Tortoise.init(
        config=tortoise_config(settings.DATABASE_URL, settings.DB_POOL_MAX), _enable_global_fallback=True
    )


async def close_db() -> None:
    """Close every connection of this process."""
    await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def raw_connection() -> AsyncIterator[asyncpg.Connection]:
    """An asyncpg connection from Tortoise's pool, for COPY and hand-written SQL."""
    async with Tortoise.get_connection("default").acquire_connection() as conn:
        yield conn


async def ping() -> None:
    """One round trip to the database."""
    async with raw_connection() as conn:
        await conn.fetchval("SELECT 1")


async def migrate(database_url: str) -> list[str]:
    """Apply pending aerich migrations; safe to run from several processes at once."""
    from aerich import Command

    lock = await asyncpg.connect(database_url)
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        command = Command(tortoise_config(database_url, 2), app="models", location=str(MIGRATIONS_DIR))
        await command.init()
        try:
            return await command.upgrade(run_in_transaction=True)
        finally:
            await Tortoise.close_connections()
    finally:
        await lock.close()


def __getattr__(name: str) -> Any:
    # `aerich` (developer CLI, see pyproject) reads core.db.TORTOISE_ORM.
    if name == "TORTOISE_ORM":
        from core.settings import get_settings

        return tortoise_config(get_settings().DATABASE_URL or "postgres://postgres@127.0.0.1:5432/postgres")
    raise AttributeError(name)
