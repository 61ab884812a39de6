"""POST /events/batch end to end: API validation -> broker -> ingest worker -> PostgreSQL (API.md section 1).

Batches are stored by the session's real Dramatiq worker; tests wait for their jobs
(GET /jobs/{id}) and then read the tables. "Nothing stored" is checked after a valid
marker batch sent later was stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import Client, Platform, free_port

BATCH = "/events/batch"


# --- helpers -------------------------------------------------------------------------------------


def sdk(app: dict[str, Any]) -> dict[str, str]:
    return {"X-SDK-Key": app["sdk_key"]}


def event(
    android_id: str,
    event_type: str,
    data: dict[str, Any] | None = None,
    at: datetime | str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One SDK event; `at` as a datetime is sent as ISO-8601 UTC."""
    doc: dict[str, Any] = {"android_id": android_id, "event_type": event_type}
    if data is not None:
        doc["event_data"] = data
    if at is not None:
        doc["created_at"] = (
            at if isinstance(at, str) else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        )
    if event_id is not None:
        doc["event_id"] = event_id
    return doc


async def send(
    client: Client, app: dict[str, Any], events: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    return await client.request("POST", BATCH, headers=sdk(app), json={"events": events, **extra})


async def wait_stored(
    client: Client, token: str, *responses: httpx.Response, timeout: float = 60
) -> list[str]:
    """Assert each response is a 202 and wait until the worker stored every batch (job "done")."""
    pending = []
    for r in responses:
        assert r.status_code == 202, r.text
        pending.append(r.json()["job_id"])
    job_ids = list(pending)
    deadline = time.monotonic() + timeout
    while pending:
        r = await client.request("GET", f"/jobs/{pending[0]}", token)
        if r.status_code == 429:  # the api tier of the polling user; wait for a slot
            await asyncio.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        assert r.status_code == 200, r.text
        job = r.json()
        assert job["status"] != "failed", job
        if job["status"] == "done":
            pending.pop(0)
            continue
        assert time.monotonic() < deadline, f"batch not stored after {timeout}s: {job}"
        await asyncio.sleep(0.2)
    return job_ids


async def setup_app(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    owner = await client.register()
    return owner, await client.create_app(owner["token"])


async def stored_events(db: asyncpg.Connection, app_id: int) -> list[dict[str, Any]]:
    """The app's events with their device's android_id (None for an event without its device)."""
    rows = await db.fetch(
        "SELECT d.android_id, e.event_type, e.event_data::text AS event_data, e.created_at, e.received_at, "
        "e.event_id::text AS event_id FROM events e LEFT JOIN devices d ON d.id = e.device_id "
        "WHERE e.app_id = $1 ORDER BY e.created_at, e.id",
        app_id,
    )
    return [dict(r) for r in rows]


async def android_ids(db: asyncpg.Connection, app_id: int) -> list[str]:
    return [
        r["android_id"]
        for r in await db.fetch(
            "SELECT android_id FROM devices WHERE app_id = $1 ORDER BY android_id", app_id
        )
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)


def month_start(day: date) -> date:
    return day.replace(day=1)


# --- accepted batches and their jobs -------------------------------------------------------------------


async def test_events_batch__valid__202_job_done_and_events_stored(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app
    owner, app = await setup_app(client)
    org_id = owner["user"]["org_id"]
    # When a batch of two events of an unknown device is sent
    r = await send(
        client,
        app,
        [event("dev-1", "app_open", {"screen": "home", "n": 1.5}), event("dev-1", "session_start")],
    )
    # Then it is accepted with a signed job id of the org
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["success"] is True and body["accepted"] == 2
    assert re.fullmatch(rf"ev\.{org_id}\.\d{{13}}\.[0-9a-f]{{32}}\.[0-9a-f]{{20}}", body["job_id"]), body
    # And the job reaches done
    await wait_stored(client, owner["token"], r)
    job = (await client.request("GET", f"/jobs/{body['job_id']}", owner["token"])).json()
    assert job["job_id"] == body["job_id"] and job["kind"] == "events.batch"
    assert job["status"] == "done" and job["progress"] == 1 and job["error"] is None
    assert job["created_at"].endswith("Z")
    # And both events are stored for the device created on the fly
    rows = await stored_events(db, app["id"])
    assert sorted((e["android_id"], e["event_type"]) for e in rows) == [
        ("dev-1", "app_open"),
        ("dev-1", "session_start"),
    ]
    data = {e["event_type"]: e["event_data"] for e in rows}
    assert data == {"app_open": '{"n": 1.5, "screen": "home"}', "session_start": "{}"}
    assert len({e["event_id"] for e in rows}) == 2
    assert await android_ids(db, app["id"]) == ["dev-1"]


async def test_job_of_batch__other_org_or_forged_id__404(client: Client, worker: None) -> None:
    # Given a stored batch of one org, and the owner of another org
    owner, app = await setup_app(client)
    r = await send(client, app, [event("dev-1", "app_open")])
    [job_id] = await wait_stored(client, owner["token"], r)
    stranger = await client.register()
    stranger_org = stranger["user"]["org_id"]
    # When the other org's owner asks for it, or ids are forged
    prefix, org, ms, ref, mac = job_id.split(".")
    forged = [
        f"{prefix}.{org}.{ms}.{ref}.{'0' if mac[0] != '0' else '1'}{mac[1:]}",  # wrong signature
        f"{prefix}.{stranger_org}.{ms}.{ref}.{mac}",  # another org, signature of the original
        f"{prefix}.{org}.{ms}.{uuid.uuid4().hex}.{mac}",  # another reference
        f"ev.{org}.{ms}.{ref}",  # no signature
        "ev.x.y.z.w",
    ]
    # Then it is 404 for the stranger, and every forged id is 404 for the owner
    assert (await client.request("GET", f"/jobs/{job_id}", stranger["token"])).status_code == 404
    for value in forged:
        assert (await client.request("GET", f"/jobs/{value}", owner["token"])).status_code == 404, value
    assert (await client.request("GET", f"/jobs/{job_id}", owner["token"])).status_code == 200


# --- validation: the whole batch is refused, nothing is stored ---------------------------------------


def _batch_with(bad: dict[str, Any], index: int = 2) -> dict[str, Any]:
    """A batch whose events are valid except the one at `index`."""
    events = [event(f"ok-{i}", "app_open", {"i": i}) for i in range(4)]
    events[index] = bad
    return {"events": events}


def _raw_batch_with(bad_event: bytes, index: int = 1) -> bytes:
    good = [b'{"android_id": "ok-%d", "event_type": "app_open"}' % i for i in range(3)]
    good[index] = bad_event
    return b'{"events": [' + b", ".join(good) + b"]}"


NINE_KIB = {"blob": "x" * (9 * 1024)}
INVALID_BATCHES: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("no events", {"events": []}, "events"),
    ("51 events", {"events": [event(f"d{i}", "app_open") for i in range(51)]}, "events"),
    ("events missing", {"sent_at": "2026-01-01T00:00:00Z"}, "events"),
    ("events not a list", {"events": {"android_id": "a", "event_type": "b"}}, "events"),
    ("android_id missing", _batch_with({"event_type": "app_open"}), "events.2.android_id"),
    ("event_type missing", _batch_with({"android_id": "ok-2"}, index=1), "events.1.event_type"),
    ("android_id empty", _batch_with(event("", "app_open")), "events.2.android_id"),
    ("android_id with a space", _batch_with(event("has space", "app_open"), index=3), "events.3.android_id"),
    ("android_id of 129 chars", _batch_with(event("a" * 129, "app_open"), index=0), "events.0.android_id"),
    (
        "android_id not a string",
        _batch_with({"android_id": 42, "event_type": "app_open"}),
        "events.2.android_id",
    ),
    ("android_id with a newline", _batch_with(event("ok\nid", "app_open")), "events.2.android_id"),
    ("android_id non-ASCII", _batch_with(event("d\u00e9v", "app_open")), "events.2.android_id"),
    ("event_type upper-case", _batch_with(event("ok-2", "AppOpen")), "events.2.event_type"),
    ("event_type of 65 chars", _batch_with(event("ok-2", "e" * 65)), "events.2.event_type"),
    ("event_type with a newline", _batch_with(event("ok-2", "app\nopen"), index=3), "events.3.event_type"),
    ("event_type with a space", _batch_with(event("ok-2", "app open")), "events.2.event_type"),
    ("event_data a list", _batch_with({**event("ok-2", "x"), "event_data": [1, 2]}), "events.2.event_data"),
    ("event_data a string", _batch_with({**event("ok-2", "x"), "event_data": "{}"}), "events.2.event_data"),
    ("event_data null", _batch_with({**event("ok-2", "x"), "event_data": None}), "events.2.event_data"),
    ("event_data over 8 KiB", _batch_with(event("ok-2", "x", NINE_KIB)), "events.2.event_data"),
    ("event_data with NUL", _batch_with(event("ok-2", "x", {"name": "a\u0000b"})), "events.2.event_data"),
    ("event_data key with NUL", _batch_with(event("ok-2", "x", {"a\u0000": 1})), "events.2.event_data"),
    ("created_at not a time", _batch_with(event("ok-2", "x", at="yesterday")), "events.2.created_at"),
    ("created_at month 13", _batch_with(event("ok-2", "x", at="2026-13-01 00:00:00")), "events.2.created_at"),
    (
        "created_at a number",
        _batch_with({**event("ok-2", "x"), "created_at": 1764400000}),
        "events.2.created_at",
    ),
    (
        "created_at before year 1 in UTC",
        _batch_with(event("ok-2", "x", at="0001-01-01T00:00:00+14:00")),
        "events.2.created_at",
    ),
    (
        "created_at before year 1 after skew correction",
        {**_batch_with(event("ok-2", "x", at="0001-01-02T00:00:00Z")), "sent_at": "9999-01-01T00:00:00Z"},
        "events.2.created_at",
    ),
    ("event_id not a UUID", _batch_with(event("ok-2", "x", event_id="not-a-uuid")), "events.2.event_id"),
    ("event_id a number", _batch_with({**event("ok-2", "x"), "event_id": 7}), "events.2.event_id"),
    ("sent_at not a time", {**_batch_with(event("ok-2", "x")), "sent_at": "soon"}, "sent_at"),
    (
        "event_data number beyond PostgreSQL's range",
        _raw_batch_with(b'{"android_id": "ok-1", "event_type": "x", "event_data": {"n": 1e200000}}'),
        "events.1.event_data",
    ),
    (
        "event_data number beyond a double",
        _raw_batch_with(b'{"android_id": "ok-1", "event_type": "x", "event_data": {"n": 1.8e308}}'),
        "events.1.event_data",
    ),
]
INVALID_JSON: list[tuple[str, bytes]] = [
    ("truncated", b'{"events": [{"android_id": "a", "event_type": "x"}'),
    ("empty body", b""),
    ("not JSON", b"events=1"),
    (
        "lone surrogate in event_data",
        _raw_batch_with(b'{"android_id": "ok-1", "event_type": "x", "event_data": {"k": "\\ud800"}}'),
    ),
    (
        "invalid UTF-8 in event_data",
        _raw_batch_with(b'{"android_id": "ok-1", "event_type": "x", "event_data": {"k": "\xff\xfe"}}'),
    ),
    (
        "event_data nested 3000 deep",
        _raw_batch_with(
            b'{"android_id": "ok-1", "event_type": "x", "event_data": {"k": '
            + b"[" * 3000
            + b"]" * 3000
            + b"}}"
        ),
    ),
]


async def _assert_only_marker_stored(
    client: Client, owner: dict[str, Any], app: dict[str, Any], db: asyncpg.Connection
) -> None:
    """Send a valid marker batch, wait until it is stored, then the app holds the marker's rows only."""
    marker = await send(client, app, [event("marker", "marker")])
    await wait_stored(client, owner["token"], marker)
    assert [(e["android_id"], e["event_type"]) for e in await stored_events(db, app["id"])] == [
        ("marker", "marker")
    ]
    assert await android_ids(db, app["id"]) == ["marker"]
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 1
    assert (
        await db.fetchval("SELECT coalesce(sum(events), 0) FROM app_daily WHERE app_id = $1", app["id"]) == 1
    )


async def test_events_batch__each_invalid_field__400_naming_index_and_field_nothing_stored(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app
    owner, app = await setup_app(client)
    # When each invalid batch is sent (its other events valid)
    for name, body, field in INVALID_BATCHES:
        kwargs: dict[str, Any] = (
            {"content": body, "headers": {**sdk(app), "Content-Type": "application/json"}}
            if isinstance(body, bytes)
            else {"json": body, "headers": sdk(app)}
        )
        r = await client.request("POST", BATCH, **kwargs)
        # Then it is refused whole, naming the event's index and field
        assert r.status_code == 400, (name, r.status_code, r.text)
        refused = r.json()
        assert refused["error"], name
        assert list(refused.get("details") or {}) == [field], (name, refused)
    # And nothing of them was stored
    await _assert_only_marker_stored(client, owner, app, db)


async def test_events_batch__invalid_json__400_nothing_stored(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    owner, app = await setup_app(client)
    for name, body in INVALID_JSON:
        r = await client.request(
            "POST", BATCH, content=body, headers={**sdk(app), "Content-Type": "application/json"}
        )
        assert r.status_code == 400, (name, r.status_code, r.text)
        assert r.json()["error"], name
    await _assert_only_marker_stored(client, owner, app, db)


async def test_events_batch__body_over_256_kib__413_nothing_stored(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app / When a batch of 40 events of 7 KiB each (280 KiB, each event valid on its own) is sent
    owner, app = await setup_app(client)
    r = await send(client, app, [event(f"d{i}", "x", {"blob": "y" * (7 * 1024)}) for i in range(40)])
    # Then it is 413 and nothing is stored
    assert r.status_code == 413, r.text
    assert r.json()["error"].startswith("Request body too large")
    await _assert_only_marker_stored(client, owner, app, db)


async def test_events_batch__at_each_limit__accepted_one_past__400(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app / When 50 events are sent: one with exactly 8 KiB of event_data, an android_id of 128
    # chars and an event_type of 64, the others using every allowed character
    owner, app = await setup_app(client)

    def data_of(size: int) -> bytes:
        return b'{"b":"' + b"z" * (size - 8) + b'"}'

    first = b'{"android_id": "' + b"a" * 128 + b'", "event_type": "' + b"e" * 64 + b'", "event_data": '
    others = [b'{"android_id": "Dev.%d_x:y-Z", "event_type": "a.b_c:d-9"}' % i for i in range(49)]
    headers = {**sdk(app), "Content-Type": "application/json"}
    over = await client.request(
        "POST", BATCH, headers=headers, content=b'{"events": [' + first + data_of(8 * 1024 + 1) + b"}]}"
    )
    r = await client.request(
        "POST",
        BATCH,
        headers=headers,
        content=b'{"events": [' + b",".join([first + data_of(8 * 1024) + b"}", *others]) + b"]}",
    )
    # Then one byte over is refused, and all 50 at the limits are accepted and stored
    assert over.status_code == 400 and list(over.json()["details"]) == ["events.0.event_data"], over.text
    await wait_stored(client, owner["token"], r)
    assert r.json()["accepted"] == 50
    rows = await stored_events(db, app["id"])
    assert len(rows) == 50
    [big] = [e for e in rows if e["android_id"] == "a" * 128]
    assert big["event_type"] == "e" * 64 and json.loads(big["event_data"]) == {"b": "z" * (8 * 1024 - 8)}


async def test_events_batch__event_data_numbers_with_long_exponents__stored_as_doubles(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given numbers PostgreSQL's numeric cannot hold (1e-20000) or can (1.5e300), and a string that looks like one
    owner, app = await setup_app(client)
    r = await client.request(
        "POST",
        BATCH,
        headers={**sdk(app), "Content-Type": "application/json"},
        content=(
            b'{"events": [{"android_id": "d", "event_type": "tiny", "event_data": {"n": 1e-20000}},'
            b' {"android_id": "d", "event_type": "big", "event_data": {"n": 1.5e300, "s": "v2e100"}}]}'
        ),
    )
    # Then the batch is stored, the tiny number as the double it rounds to
    await wait_stored(client, owner["token"], r)
    rows = {
        e["event_type"]: json.loads(e["event_data"], parse_float=Decimal, parse_int=Decimal)
        for e in await stored_events(db, app["id"])
    }
    assert rows == {"tiny": {"n": 0}, "big": {"n": Decimal("1.5e300"), "s": "v2e100"}}


# --- idempotency ---------------------------------------------------------------------------------------


async def test_events_batch__same_batch_with_event_ids_sent_3_times_then_3_concurrently__stored_once(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a batch whose events carry event ids
    owner, app = await setup_app(client)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    events = [
        event("dev-1", "session_start", event_id=ids[0]),
        event("dev-1", "purchase", {"amount": 2.5}, event_id=ids[1]),
        event("dev-2", "app_open", event_id=ids[2]),
    ]
    # When it is sent 3 times in a row, then 3 times at once
    sequential = [await send(client, app, events) for _ in range(3)]
    concurrent = await asyncio.gather(*[send(client, app, events) for _ in range(3)])
    await wait_stored(client, owner["token"], *sequential, *concurrent)
    # Then each event is stored once, and counted once
    rows = await stored_events(db, app["id"])
    assert sorted(e["event_id"] for e in rows) == sorted(ids)
    devices = {
        r["android_id"]: dict(r)
        for r in await db.fetch(
            "SELECT android_id, sessions_count, purchases, purchase_revenue FROM devices WHERE app_id = $1",
            app["id"],
        )
    }
    assert devices["dev-1"] == {
        "android_id": "dev-1",
        "sessions_count": 1,
        "purchases": 1,
        "purchase_revenue": Decimal("2.5"),
    }
    assert await db.fetchval("SELECT sum(events) FROM app_daily WHERE app_id = $1", app["id"]) == 3
    assert await db.fetchval("SELECT sum(count) FROM app_daily_events WHERE app_id = $1", app["id"]) == 3
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 2


async def test_events_batch__without_event_ids_sent_3_times__stored_each_time(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a batch without event ids
    owner, app = await setup_app(client)
    events = [event("dev-1", "session_start"), event("dev-1", "app_open")]
    # When it is sent 3 times in a row, then 3 times at once
    sequential = [await send(client, app, events) for _ in range(3)]
    concurrent = await asyncio.gather(*[send(client, app, events) for _ in range(3)])
    await wait_stored(client, owner["token"], *sequential, *concurrent)
    # Then every copy is stored (the server cannot tell a resend from new events) and counted
    rows = await stored_events(db, app["id"])
    assert len(rows) == 12 and len({e["event_id"] for e in rows}) == 12
    assert await db.fetchval("SELECT sessions_count FROM devices WHERE app_id = $1", app["id"]) == 6
    assert await db.fetchval("SELECT sum(events) FROM app_daily WHERE app_id = $1", app["id"]) == 12


async def test_events_batch__duplicate_event_id_inside_one_batch__stored_once(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given one event id used twice in a batch, and once more in another spelling (upper case, no hyphens)
    owner, app = await setup_app(client)
    same = uuid.uuid4()
    r = await send(
        client,
        app,
        [
            event("dev-1", "session_start", event_id=str(same)),
            event("dev-1", "session_start", event_id=str(same)),
            event("dev-1", "app_open"),
        ],
    )
    again = await send(client, app, [event("dev-1", "session_start", event_id=same.hex.upper())])
    await wait_stored(client, owner["token"], r, again)
    # Then it is stored and counted once
    assert r.json()["accepted"] == 3
    rows = await stored_events(db, app["id"])
    assert sorted(e["event_type"] for e in rows) == ["app_open", "session_start"]
    assert [e["event_id"] for e in rows if e["event_type"] == "session_start"] == [str(same)]
    assert await db.fetchval("SELECT sessions_count FROM devices WHERE app_id = $1", app["id"]) == 1
    assert await db.fetchval("SELECT sum(events) FROM app_daily WHERE app_id = $1", app["id"]) == 2


# --- time: clock skew, clamping, formats --------------------------------------------------------------


async def test_events_batch__device_clock_1_hour_behind__created_at_shifted_forward(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a device whose clock is one hour behind: an event 10 minutes ago by its clock
    owner, app = await setup_app(client)
    device_now = utc_now() - timedelta(hours=1)
    created = device_now - timedelta(minutes=10)
    # When the batch is sent with sent_at
    before = utc_now()
    r = await send(
        client,
        app,
        [event("dev-1", "app_open", at=created)],
        sent_at=device_now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    after = utc_now()
    await wait_stored(client, owner["token"], r)
    # Then created_at is corrected by the skew (receive time - sent_at): about 10 minutes ago by the server
    [row] = await stored_events(db, app["id"])
    low = created + (before - device_now) - timedelta(seconds=1)
    high = created + (after - device_now) + timedelta(seconds=1)
    assert low <= row["created_at"] <= high, (low, row["created_at"], high)
    assert before - timedelta(seconds=1) <= row["received_at"] <= after + timedelta(seconds=1)
    assert row["event_data"] == "{}"


async def test_events_batch__device_clock_72_hours_ahead__future_event_corrected_not_clamped(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a device clock 72 h ahead: an event 48 h in the (server's) future is 24 h ago once corrected
    owner, app = await setup_app(client)
    device_now = utc_now() + timedelta(hours=72)
    r = await send(
        client,
        app,
        [event("dev-1", "app_open", at=device_now - timedelta(hours=24))],
        sent_at=device_now.isoformat(),
    )
    await wait_stored(client, owner["token"], r)
    [row] = await stored_events(db, app["id"])
    assert abs(row["created_at"] - (utc_now() - timedelta(hours=24))) < timedelta(minutes=1)
    assert row["event_data"] == "{}"


async def test_events_batch__created_at_over_24h_in_future__clamped_to_receive_time_and_flagged(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given events 48 h (clamped), 23 h (kept) and ~year 9999 (clamped, even with a skew correction) ahead
    owner, app = await setup_app(client)
    far = (utc_now() + timedelta(hours=48)).replace(microsecond=0)
    near = (utc_now() + timedelta(hours=23)).replace(microsecond=0)
    before = utc_now()
    r = await send(
        client,
        app,
        [
            event("dev-1", "far", {"k": 1}, at=far.strftime("%Y-%m-%dT%H:%M:%SZ")),
            event("dev-1", "near", at=near),
        ],
    )
    extreme = await send(
        client, app, [event("dev-1", "extreme", at="9999-12-31T23:59:59Z")], sent_at="2000-01-01T00:00:00Z"
    )
    after = utc_now()
    await wait_stored(client, owner["token"], r, extreme)
    rows = {e["event_type"]: e for e in await stored_events(db, app["id"])}
    # Then the far one is at its receive time and says where it was clamped from
    clamped = rows["far"]
    assert before - timedelta(seconds=1) <= clamped["created_at"] <= after + timedelta(seconds=1)
    assert clamped["created_at"] == clamped["received_at"]
    data = json.loads(clamped["event_data"])
    assert data["k"] == 1
    assert datetime.fromisoformat(data["_clamped_from"]) == far
    # And the near one is kept as sent
    assert rows["near"]["created_at"] == near
    assert "_clamped_from" not in rows["near"]["event_data"]
    assert "_clamped_from" in rows["extreme"]["event_data"]
    assert rows["extreme"]["created_at"] == rows["extreme"]["received_at"]
    # And the device was last seen at its latest stored time (the kept event)
    last_seen = await db.fetchval("SELECT last_seen_at FROM devices WHERE app_id = $1", app["id"])
    assert last_seen == near


async def test_events_batch__created_at_formats__space_separated_is_utc(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    owner, app = await setup_app(client)
    r = await send(
        client,
        app,
        [
            event("dev-1", "plain", at="2026-03-20 14:30:00"),
            event("dev-1", "iso_z", at="2026-03-20T14:31:00Z"),
            event("dev-1", "iso_offset", at="2026-03-20T16:32:00+02:00"),
            event("dev-1", "iso_naive", at="2026-03-20T14:33:00.250"),
        ],
    )
    await wait_stored(client, owner["token"], r)
    rows = {e["event_type"]: e["created_at"] for e in await stored_events(db, app["id"])}
    assert rows == {
        "plain": datetime(2026, 3, 20, 14, 30, tzinfo=UTC),
        "iso_z": datetime(2026, 3, 20, 14, 31, tzinfo=UTC),
        "iso_offset": datetime(2026, 3, 20, 14, 32, tzinfo=UTC),
        "iso_naive": datetime(2026, 3, 20, 14, 33, 0, 250000, tzinfo=UTC),
    }


# --- counters and rollups ------------------------------------------------------------------------------


DIRECT_DEVICES = """
SELECT d.android_id,
    count(*) FILTER (WHERE e.event_type = 'session_start') AS sessions_count,
    count(*) FILTER (WHERE e.event_type = 'ad_watched') AS ad_watches,
    count(*) FILTER (WHERE e.event_type = 'purchase') AS purchases,
    coalesce(sum(CASE WHEN e.event_type = 'purchase' AND jsonb_typeof(e.event_data -> 'amount') = 'number'
                 THEN (e.event_data ->> 'amount')::numeric END), 0) AS purchase_revenue,
    min(e.created_at) AS first_event, max(e.created_at) AS last_event
FROM devices d JOIN events e ON e.device_id = d.id WHERE d.app_id = $1 GROUP BY d.android_id
"""
DIRECT_DAILY = """
SELECT (e.created_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT e.device_id) AS active_devices,
    count(*) AS events,
    count(*) FILTER (WHERE e.event_type = 'session_start') AS sessions,
    count(*) FILTER (WHERE e.event_type = 'ad_watched') AS ad_watches,
    count(*) FILTER (WHERE e.event_type = 'purchase') AS purchases,
    coalesce(sum(CASE WHEN e.event_type = 'purchase' AND jsonb_typeof(e.event_data -> 'amount') = 'number'
                 THEN (e.event_data ->> 'amount')::numeric END), 0) AS purchase_revenue
FROM events e WHERE e.app_id = $1 GROUP BY 1
"""


async def test_events_batch__counters_and_rollups__equal_a_direct_computation_over_stored_events(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app with a device registered now, and events over the 3 previous UTC days
    owner, app = await setup_app(client)
    token, app_id, org_id = owner["token"], app["id"], owner["user"]["org_id"]
    registered = await client.request(
        "POST", "/devices/register", headers=sdk(app), json={"android_id": "reg"}
    )
    assert registered.status_code == 200, registered.text
    today = utc_now().date()
    day = {n: datetime.combine(today - timedelta(days=n), datetime.min.time(), UTC) for n in (1, 2, 3)}

    def ev(
        android_id: str, event_type: str, at: datetime, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return event(android_id, event_type, data, at=at, event_id=str(uuid.uuid4()))

    first = [
        ev("d1", "session_start", day[3] + timedelta(hours=10)),
        ev("d1", "ad_watched", day[3] + timedelta(hours=10, minutes=5)),
        ev(
            "d1",
            "purchase",
            day[3] + timedelta(hours=10, minutes=10),
            {"amount": 4.99, "currency": "USD", "product_id": "gems"},
        ),
        ev("d2", "session_start", day[2] + timedelta(hours=11)),
        ev("d2", "level_up", day[2] + timedelta(hours=11, minutes=1), {"level": 2}),
    ]
    second = [
        ev("d1", "session_start", day[1] + timedelta(hours=9)),
        ev("d1", "purchase", day[1] + timedelta(hours=9, minutes=30), {"amount": 0.99, "currency": "USD"}),
        ev("d1", "purchase", day[1] + timedelta(hours=9, minutes=31), {"product_id": "no-amount"}),
        ev("d2", "ad_watched", day[2] + timedelta(hours=12)),
        ev("d2", "ad_watched", day[1] + timedelta(hours=12)),
        ev("d3", "level_up", day[1] + timedelta(hours=23, minutes=59, seconds=59), {"level": 1}),
    ]
    # When they arrive in batches, one device's events arrive before earlier ones of it,
    await wait_stored(client, token, await send(client, app, first), await send(client, app, second))
    older = [
        ev("d3", "session_start", day[3] + timedelta(hours=1)),  # before d3's first sighting (day 1)
        ev("reg", "session_start", day[2] + timedelta(hours=8)),  # before "reg"'s registration (today)
        ev("d4", "purchase", day[2] + timedelta(hours=13), {"amount": 1000, "currency": "USD"}),
    ]
    # and the first two batches are sent again, twice at once (duplicates)
    repeats = await asyncio.gather(
        send(client, app, first),
        send(client, app, second),
        send(client, app, older),
        send(client, app, first),
    )
    await wait_stored(client, token, *repeats)

    # Then the stored events are the 14 distinct ones
    rows = await stored_events(db, app_id)
    assert len(rows) == len(first) + len(second) + len(older) == 14
    # And each device's counters equal a direct computation over its events
    direct = {r["android_id"]: dict(r) for r in await db.fetch(DIRECT_DEVICES, app_id)}
    devices = {
        r["android_id"]: dict(r)
        for r in await db.fetch(
            "SELECT android_id, sessions_count, ad_watches, purchases, purchase_revenue, first_seen_at, last_seen_at, "
            "created_at FROM devices WHERE app_id = $1",
            app_id,
        )
    }
    assert set(devices) == {"reg", "d1", "d2", "d3", "d4"}
    registered_at = devices["reg"]["created_at"]
    for android_id, counted in devices.items():
        d = direct[android_id]
        assert {k: counted[k] for k in ("sessions_count", "ad_watches", "purchases", "purchase_revenue")} == {
            k: d[k] for k in ("sessions_count", "ad_watches", "purchases", "purchase_revenue")
        }, android_id
        first_seen = min(d["first_event"], registered_at) if android_id == "reg" else d["first_event"]
        last_seen = max(d["last_event"], registered_at) if android_id == "reg" else d["last_event"]
        assert counted["first_seen_at"] == first_seen, android_id
        assert counted["last_seen_at"] == last_seen, android_id
    assert direct["d1"]["purchases"] == 3 and direct["d1"]["purchase_revenue"] == Decimal("5.98")
    assert direct["d4"]["purchase_revenue"] == Decimal(1000)

    # And app_daily equals the direct computation per UTC day (new devices by their first_seen_at day)
    expected_daily = {r["day"]: {**dict(r), "new_devices": 0} for r in await db.fetch(DIRECT_DAILY, app_id)}
    for counted in devices.values():
        first_day = counted["first_seen_at"].astimezone(UTC).date()
        expected_daily.setdefault(
            first_day,
            {
                "day": first_day,
                "active_devices": 0,
                "events": 0,
                "sessions": 0,
                "ad_watches": 0,
                "purchases": 0,
                "purchase_revenue": 0,
                "new_devices": 0,
            },
        )["new_devices"] += 1
    daily = {
        r["day"]: dict(r)
        for r in await db.fetch(
            "SELECT day, active_devices, new_devices, events, sessions, ad_watches, purchases, purchase_revenue "
            "FROM app_daily WHERE app_id = $1",
            app_id,
        )
    }
    nonzero = {d: row for d, row in daily.items() if any(v for k, v in row.items() if k != "day")}
    assert nonzero == expected_daily
    assert {d: r["new_devices"] for d, r in expected_daily.items() if r["new_devices"]} == {
        today - timedelta(days=3): 2,
        today - timedelta(days=2): 3,
    }  # d1, d3 / d2, reg, d4
    assert expected_daily[today - timedelta(days=1)]["active_devices"] == 3  # d1, d2, d3

    # And app_daily_events counts each type per day
    expected_types = {
        (r["day"], r["event_type"]): r["n"]
        for r in await db.fetch(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, event_type, count(*) AS n FROM events "
            "WHERE app_id = $1 GROUP BY 1, 2",
            app_id,
        )
    }
    types = {
        (r["day"], r["event_type"]): r["count"]
        for r in await db.fetch(
            "SELECT day, event_type, count FROM app_daily_events WHERE app_id = $1 AND count <> 0", app_id
        )
    }
    assert types == expected_types

    # And the org's usage counts the stored events toward the month they were received in
    usage = {
        r["month"]: r["events"]
        for r in await db.fetch(
            "SELECT month, events FROM org_usage WHERE org_id = $1 AND events <> 0", org_id
        )
    }
    assert usage == {month_start(today): 14}
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 5


async def test_events_batch__backdated_to_last_month__counts_toward_this_months_quota(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app / When events dated 40 days ago (an earlier month) are sent now
    owner, app = await setup_app(client)
    long_ago = utc_now() - timedelta(days=40)
    r = await send(
        client, app, [event("dev-1", "app_open", at=long_ago), event("dev-1", "app_open", at=long_ago)]
    )
    await wait_stored(client, owner["token"], r)
    # Then they count toward this month's events (the quota the API checks), not the month they name
    usage = {
        r["month"]: r["events"]
        for r in await db.fetch(
            "SELECT month, events FROM org_usage WHERE org_id = $1 AND events <> 0", owner["user"]["org_id"]
        )
    }
    assert usage == {month_start(utc_now().date()): 2}
    # while the daily rollups keep the day the events happened
    assert (
        await db.fetchval(
            "SELECT events FROM app_daily WHERE app_id = $1 AND day = $2", app["id"], long_ago.date()
        )
        == 2
    )


async def test_events_batch__app_deleted_before_its_batch_was_stored__dropped_others_stored(
    client: Client, worker: None, platform: Platform, db: asyncpg.Connection
) -> None:
    # Given two apps, and the session's worker paused (so batches wait in the queue)
    owner, doomed_app = await setup_app(client)
    other_owner, other_app = await setup_app(client)
    await wait_stored(client, owner["token"], await send(client, doomed_app, [event("warm-up", "x")]))
    session_worker = platform.session_worker
    assert session_worker is not None and session_worker.alive()
    os.killpg(session_worker.pid, signal.SIGSTOP)
    try:
        # When a batch of each is accepted, then the first app is deleted before the worker runs
        doomed = await send(client, doomed_app, [event("dev-1", "app_open")])
        kept = await send(client, other_app, [event("dev-2", "app_open")])
        assert doomed.status_code == kept.status_code == 202
        deleted = await client.request("DELETE", f"/apps/{doomed_app['id']}", owner["token"])
        assert deleted.status_code == 200, deleted.text
    finally:
        os.killpg(session_worker.pid, signal.SIGCONT)
    # Then the other app's batch is stored, and the deleted app's is done with nothing stored (not retried)
    await wait_stored(client, other_owner["token"], kept, timeout=20)
    await wait_stored(client, owner["token"], doomed, timeout=20)
    assert await stored_events(db, doomed_app["id"]) == []
    assert await android_ids(db, doomed_app["id"]) == []
    assert [e["android_id"] for e in await stored_events(db, other_app["id"])] == ["dev-2"]


# --- devices and plan limits ---------------------------------------------------------------------------


async def test_events_batch__unknown_android_id__device_created_and_counted_once(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    owner, app = await setup_app(client)
    at = (utc_now() - timedelta(hours=2)).replace(microsecond=0)
    r1 = await send(client, app, [event("new-dev", "app_open", at=at)])
    await wait_stored(client, owner["token"], r1)
    r2 = await send(client, app, [event("new-dev", "app_open")])
    await wait_stored(client, owner["token"], r2)
    device = await db.fetchrow(
        "SELECT android_id, user_segment, first_seen_at FROM devices WHERE app_id = $1", app["id"]
    )
    assert dict(device) == {"android_id": "new-dev", "user_segment": "new", "first_seen_at": at}
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 1
    # and the device can be registered afterwards without taking another slot
    registered = await client.request(
        "POST", "/devices/register", headers=sdk(app), json={"android_id": "new-dev"}
    )
    assert registered.status_code == 200 and registered.json()["device"]["user_segment"] == "new"
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 1


async def test_events_batch__device_quota_spent__new_device_403_known_devices_accepted(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an org on the free plan with a known device and its 1,000 device slots used
    owner, app = await setup_app(client)
    org_id = owner["user"]["org_id"]
    known = await client.request("POST", "/devices/register", headers=sdk(app), json={"android_id": "known"})
    assert known.status_code == 200
    await db.execute("UPDATE orgs SET device_count = 1000 WHERE id = $1", org_id)
    # When a batch would create a device
    refused = await send(client, app, [event("known", "app_open"), event("brand-new", "app_open")])
    # Then it is refused whole
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"].startswith("Plan limit reached")
    # And a batch of known devices is accepted and stored
    accepted = await send(client, app, [event("known", "session_start")])
    await wait_stored(client, owner["token"], accepted)
    assert [(e["android_id"], e["event_type"]) for e in await stored_events(db, app["id"])] == [
        ("known", "session_start")
    ]
    assert await android_ids(db, app["id"]) == ["known"]
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 1000


async def test_events_batch__monthly_events_quota_spent__403_nothing_stored(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a free org with 99,999 of its 100,000 events of this month used
    owner, app = await setup_app(client)
    org_id = owner["user"]["org_id"]
    await db.execute(
        "INSERT INTO org_usage (org_id, month, events) VALUES ($1, $2, 99999)",
        org_id,
        month_start(utc_now().date()),
    )
    # When a batch of 2 events is sent, then one of 1
    refused = await send(client, app, [event("dev-1", "a"), event("dev-1", "b")])
    accepted = await send(client, app, [event("dev-1", "c")])
    # Then the first is refused whole and the second stored
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"].startswith("Plan limit reached")
    await wait_stored(client, owner["token"], accepted)
    assert [e["event_type"] for e in await stored_events(db, app["id"])] == ["c"]
    # And once at the limit, even one more event is refused (a fresh org: the API reads its counters now)
    other_owner, other_app = await setup_app(client)
    await db.execute(
        "INSERT INTO org_usage (org_id, month, events) VALUES ($1, $2, 100000)",
        other_owner["user"]["org_id"],
        month_start(utc_now().date()),
    )
    at_limit = await send(client, other_app, [event("dev-1", "a")])
    assert at_limit.status_code == 403 and at_limit.json()["error"].startswith("Plan limit reached")


# --- broker down, rate limits --------------------------------------------------------------------------


async def test_events_batch__broker_unreachable__503_never_2xx(
    platform: Platform, db: asyncpg.Connection
) -> None:
    # Given an API whose broker is a Redis port where nothing listens (its own Redis works)
    proc, base = platform.serve(BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    c = Client(base)
    try:
        _, app = await setup_app(c)
        # When batches are sent
        for _ in range(3):
            r = await send(c, app, [event("dev-1", "app_open")])
            # Then each is 503 (the SDK keeps the events and retries)
            assert r.status_code == 503, r.text
            assert r.json()["error"]
        assert await stored_events(db, app["id"]) == []
    finally:
        await c.close()
        proc.stop()


async def test_events_batch__202__carries_sdk_tier_rate_limit_headers(client: Client, worker: None) -> None:
    owner, app = await setup_app(client)
    before = time.time()
    r = await send(client, app, [event("dev-1", "app_open")])
    assert r.status_code == 202
    assert r.headers["X-RateLimit-Limit"] == "200"
    assert r.headers["X-RateLimit-Remaining"] == "199"
    assert before < int(r.headers["X-RateLimit-Reset"]) <= before + 61
    assert r.headers["X-Request-Id"]
    await wait_stored(
        client, owner["token"], r
    )  # no test leaves a batch in flight for the next one's cleanup


@pytest.fixture
async def small_limit_client(platform: Platform) -> AsyncIterator[Client]:
    """A client of an API with RATE_LIMIT_SCALE=0.02: the sdk tier of a free app admits 4 a minute."""
    proc, base = platform.serve(RATE_LIMIT_SCALE="0.02")
    c = Client(base)
    yield c
    await c.close()
    proc.stop()


async def test_events_batch__over_the_sdk_limit__429_and_not_stored(
    client: Client, small_limit_client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given an app (set up through the session's API: the scaled one admits 1 registration in 5 minutes
    # and 2 dashboard requests a minute), sending to an API whose sdk tier admits 4 batches a minute
    c = small_limit_client
    owner, app = await setup_app(client)
    # When 5 batches are sent
    admitted = [await send(c, app, [event("dev-1", "app_open", {"i": i})]) for i in range(4)]
    refused = await send(c, app, [event("dev-1", "app_open", {"i": 4})])
    # Then 4 are accepted, counting down, and the 5th is 429 with Retry-After
    assert [r.status_code for r in admitted] == [202] * 4
    assert [r.headers["X-RateLimit-Remaining"] for r in admitted] == ["3", "2", "1", "0"]
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded"}
    assert refused.headers["X-RateLimit-Limit"] == "4" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1
    # And only the 4 admitted are stored
    await wait_stored(client, owner["token"], *admitted)
    assert sorted(e["event_data"] for e in await stored_events(db, app["id"])) == [
        '{"i": 0}',
        '{"i": 1}',
        '{"i": 2}',
        '{"i": 3}',
    ]


async def test_events_batch__refused_batches_spend_the_sdk_budget_too(
    client: Client, small_limit_client: Client
) -> None:
    # Given an app, sending to an API whose sdk tier admits 4 requests a minute
    c = small_limit_client
    _, app = await setup_app(client)
    # When 4 invalid batches are sent
    for remaining in ("3", "2", "1", "0"):
        r = await send(c, app, [event("bad id", "app_open")])
        # Then each is 400 and counted
        assert r.status_code == 400, r.text
        assert r.headers["X-RateLimit-Remaining"] == remaining
    # And a 5th request, even a valid one, is over the limit
    r = await send(c, app, [event("dev-1", "app_open")])
    assert r.status_code == 429, r.text
