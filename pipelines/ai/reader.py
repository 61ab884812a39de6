"""Runs a natural-language query's SQL where it can only read one app's rows and change nothing.

The boundary is the database's, not the SQL check's (pipelines.ai.sqlcheck):
- a connection of its own, logged in as the reader role migration 9 created for this database (the
  session user itself is restricted: there is no privileged role to SET ROLE or RESET ROLE back to);
  the role may SELECT the views of schema `nlq` and nothing else, and defaults to read-only
  transactions and a 30 s statement timeout;
- the app is bound to that connection's backend by a row the platform's own connection writes for its pid
  (nlq_private.sessions); the views filter on nlq.current_app(), which reads that row as its owner, so the
  reader can neither see nor change the binding (a GUC, which any role may set, would not hold);
- one statement (an extended-protocol prepare takes exactly one), in BEGIN READ ONLY with SET LOCAL
  statement_timeout, at most `max_rows` rows fetched, and the transaction is always rolled back;
- the connection is closed after the one statement, and the binding deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

from core.db import raw_connection, tortoise_config
from core.errors import BadRequest, ServiceUnavailable
from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)

CONNECT_TIMEOUT = 10
UNAVAILABLE = (
    "The natural-language query is unavailable: {reason}. Its restricted database role is created by "
    "the migration, which needs a database user with CREATEROLE (or a superuser); after granting it, run "
    "`vaimanasoft nlq-role`."
)
BIND = """
WITH stale AS (
    DELETE FROM nlq_private.sessions WHERE pid NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)
)
INSERT INTO nlq_private.sessions (pid, app_id, bound_at) VALUES ($1, $2, now())
ON CONFLICT (pid) DO UPDATE SET app_id = EXCLUDED.app_id, bound_at = now()
"""


@dataclass(frozen=True)
class Rows:
    """What a query returned: column names in order, rows as objects, and whether more were cut off."""

    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


async def credentials() -> tuple[str, str]:
    """(role, password) of this database's reader role; ServiceUnavailable with the reason when missing."""
    async with raw_connection() as conn:
        try:
            row = await conn.fetchrow(
                "SELECT role_name, password, error FROM nlq_private.reader WHERE id = 1"
            )
        except asyncpg.UndefinedTableError:
            row = None
    if row is None:
        raise ServiceUnavailable(UNAVAILABLE.format(reason="its database role was never set up"))
    if row["password"] is None:
        reason = f"the database user could not create its role ({row['error'] or 'unknown error'})"
        raise ServiceUnavailable(UNAVAILABLE.format(reason=reason))
    return row["role_name"], row["password"]


async def ensure_role() -> str | None:
    """Create or refresh the reader role now (`vaimanasoft nlq-role`); the error text when not allowed."""
    async with raw_connection() as conn:
        return await conn.fetchval("SELECT nlq_private.ensure_reader()")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


async def _connect(settings: Settings) -> asyncpg.Connection:
    role, password = await credentials()
    target = tortoise_config(settings.DATABASE_URL)["connections"]["default"]["credentials"]
    try:
        conn = await asyncpg.connect(
            host=target["host"],
            port=target["port"],
            database=target["database"],
            user=role,
            password=password,
            timeout=CONNECT_TIMEOUT,
            statement_cache_size=0,
            server_settings={
                "application_name": "vaimanasoft-nlq",
                "search_path": "nlq",
                "timezone": "UTC",
                "default_transaction_read_only": "on",
            },
        )
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        log.warning("nlq.reader_connect_failed", error=repr(exc)[:300])
        raise ServiceUnavailable(f"The natural-language query cannot reach the database as {role}") from exc
    await conn.set_type_codec("jsonb", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog")
    await conn.set_type_codec("json", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog")
    return conn


async def _statement(conn: asyncpg.Connection, sql: str, timeout_ms: int, max_rows: int) -> Rows:
    transaction = conn.transaction(readonly=True)
    await transaction.start()
    try:
        await conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        prepared = await conn.prepare(sql)
        columns = _unique([a.name for a in prepared.get_attributes()])
        records = await (await prepared.cursor()).fetch(max_rows + 1)
    finally:
        try:
            await transaction.rollback()  # never commit: whatever slipped past read-only is undone
        except (asyncpg.PostgresError, asyncpg.InterfaceError):
            pass
    rows = [dict(zip(columns, (_jsonable(v) for v in record.values()))) for record in records[:max_rows]]
    return Rows(columns, rows, len(records) > max_rows)


async def run(settings: Settings, app_id: int, sql: str, timeout_ms: int, max_rows: int = 1000) -> Rows:
    """The rows of `sql` read as the reader role bound to `app_id` (BadRequest when the database refuses it)."""
    conn = await _connect(settings)
    pid = conn.get_server_pid()
    try:
        async with raw_connection() as own:
            await own.execute(BIND, pid, app_id)
        try:
            return await _statement(conn, sql, timeout_ms, max_rows)
        except asyncpg.QueryCanceledError:
            raise BadRequest(f"The query ran longer than {timeout_ms} ms and was cancelled") from None
        except asyncpg.PostgresError as exc:
            raise BadRequest(f"The database refused the query: {str(exc)[:300]}") from None
        except asyncpg.InterfaceError as exc:
            raise BadRequest(f"The query could not be run: {str(exc)[:300]}") from None
        finally:
            async with raw_connection() as own:
                await own.execute("DELETE FROM nlq_private.sessions WHERE pid = $1", pid)
    finally:
        conn.terminate()
