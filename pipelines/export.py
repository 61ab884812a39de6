"""CSV exports of an app's devices and recent events (API.md section 3), streamed in chunks.

Rows come from a server-side cursor, CHUNK_ROWS at a time, so memory stays flat whatever the
row count. Values are written verbatim (no formula-injection prefixing): the file round-trips
through any CSV reader.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from core.db import raw_connection

Kind = Literal["devices", "events"]
CHUNK_ROWS = 2000
EVENTS_DAYS = 30
CONTENT_TYPE = "text/csv; charset=utf-8"


def _utc(column: str) -> str:
    """SQL rendering `column` as `2026-03-20T14:30:00Z` (as core.clock.iso; cheaper in the database)."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


@dataclass(frozen=True)
class Export:
    """One export: its CSV header and the query selecting those columns for an app (`$1`)."""

    columns: tuple[str, ...]
    sql: str


EXPORTS: dict[Kind, Export] = {
    "devices": Export(
        (
            "id",
            "android_id",
            "brand",
            "model",
            "android_version",
            "app_version",
            "country",
            "install_type",
            "user_segment",
            "created_at",
            "last_seen_at",
        ),
        "SELECT id, android_id, brand, model, android_version, app_version, country, install_type, user_segment, "
        f"{_utc('created_at')}, {_utc('last_seen_at')} FROM devices WHERE app_id = $1 ORDER BY id",
    ),
    "events": Export(
        ("id", "android_id", "event_type", "event_data", "created_at", "received_at"),
        # Events carry no foreign key (written by COPY): a device gone since leaves android_id empty.
        f"SELECT e.id, d.android_id, e.event_type, e.event_data::text, {_utc('e.created_at')}, "
        f"{_utc('e.received_at')} FROM events e LEFT JOIN devices d ON d.id = e.device_id "
        f"WHERE e.app_id = $1 AND e.created_at >= now() - interval '{EVENTS_DAYS} days' ORDER BY e.id",
    ),
}


def filename(package_name: str, kind: Kind, today: date) -> str:
    """`<package_name>-<kind>-YYYY-MM-DD.csv`, with anything but `[A-Za-z0-9._-]` replaced by `_`."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", package_name).lstrip(".") or "app"
    return f"{safe}-{kind}-{today.isoformat()}.csv"


def _csv(rows: Sequence[Sequence[Any]]) -> bytes:
    """`rows` as CSV (RFC 4180 quoting; None as an empty field), UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


async def csv_chunks(app_id: int, kind: Kind) -> AsyncIterator[bytes]:
    """The app's export as CSV byte chunks: the header row with the first CHUNK_ROWS rows, then
    CHUNK_ROWS rows per chunk, ordered by id. Close it (`aclosing`) if not read to the end."""
    export = EXPORTS[kind]
    async with raw_connection() as conn, conn.transaction(readonly=True):  # cursors need a transaction
        # The export reads every row: plan for the whole result, not for the first rows.
        await conn.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor = await conn.cursor(export.sql, app_id)
        rows = await cursor.fetch(CHUNK_ROWS)
        yield _csv([export.columns, *rows])
        while len(rows) == CHUNK_ROWS:
            rows = await cursor.fetch(CHUNK_ROWS)
            if rows:
                yield _csv(rows)
