"""CSV exports (API.md section 3): columns, quoting, the 30-day window, access, the export rate tier,
and memory that stays flat while a million events stream out."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Self

import asyncpg
import httpx
import pytest

from core.clock import iso
from tests.support import Client, Platform, Proc, add_member

DEVICE_COLUMNS = [
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
]
EVENT_COLUMNS = ["id", "android_id", "event_type", "event_data", "created_at", "received_at"]
AWKWARD_DATA = {
    "note": 'comma, "quotes" and\nnewlines\r\nhere',
    "city": "Zürich, Ελλάδα, 東京",
    "emoji": "🚀🎉",
    "formula": "=SUM(A1:A9)",
    "nested": {"list": [1, 2.5, None, True], "empty": ""},
}


async def _setup(client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
    owner = await client.register()
    return owner, await client.create_app(owner["token"])


async def _register_device(client: Client, app: dict[str, Any], android_id: str, **fields: Any) -> int:
    r = await client.request(
        "POST",
        "/devices/register",
        headers={"X-SDK-Key": app["sdk_key"]},
        json={"android_id": android_id, **fields},
    )
    assert r.status_code == 200, r.text
    return r.json()["device"]["id"]


async def _insert_event(
    db: asyncpg.Connection,
    app_id: int,
    device_id: int,
    event_type: str,
    data: dict[str, Any],
    created_at: datetime,
) -> int:
    return await db.fetchval(
        "INSERT INTO events (app_id, device_id, event_type, event_data, created_at, received_at, event_id) "
        "VALUES ($1, $2, $3, $4::jsonb, $5, $5::timestamptz + interval '2 seconds', $6) RETURNING id",
        app_id,
        device_id,
        event_type,
        json.dumps(data),
        created_at,
        uuid.uuid4(),
    )


def _rows(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(r.content.decode("utf-8"), newline="")))


async def _export(client: Client, kind: str, token: str | None, app_id: Any) -> httpx.Response:
    return await client.request("GET", f"/export/{kind}", token, params={"app_id": app_id})


# --- content ---------------------------------------------------------------------------------------------


async def test_export_devices__devices_of_the_app__header_then_one_row_each_round_trip(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app with a fully described device, a sparse one (nulls), and a device of another app
    owner, app = await _setup(client)
    full = await _register_device(
        client,
        app,
        "dev-full",
        brand="Acme, Inc.",
        model='Phone "Pro"\nMax',
        android_version="14",
        app_version="2.4.1",
        country="de",
        install_type="store",
    )
    sparse = await _register_device(client, app, "dev-sparse")
    other_app = await client.create_app((await client.register())["token"])
    await _register_device(client, other_app, "dev-elsewhere")
    stored = {r["id"]: r for r in await db.fetch("SELECT * FROM devices WHERE app_id = $1", app["id"])}
    # When the owner exports the app's devices
    rows = _rows(await _export(client, "devices", owner["token"], app["id"]))
    # Then the header comes first, then one row per device of the app, by id, values as stored
    assert rows[0] == DEVICE_COLUMNS
    assert rows[1:] == [
        [
            str(full),
            "dev-full",
            "Acme, Inc.",
            'Phone "Pro"\nMax',
            "14",
            "2.4.1",
            "DE",
            "store",
            stored[full]["user_segment"],
            iso(stored[full]["created_at"]),
            iso(stored[full]["last_seen_at"]),
        ],
        [
            str(sparse),
            "dev-sparse",
            "",
            "",
            "",
            "",
            "",
            "",
            stored[sparse]["user_segment"],
            iso(stored[sparse]["created_at"]),
            iso(stored[sparse]["last_seen_at"]),
        ],
    ]
    assert rows[1][9].endswith("Z") and datetime.fromisoformat(rows[1][9]).tzinfo == UTC


async def test_export_events__last_30_days__awkward_event_data_round_trips_through_csv(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given events of the last 30 days (one with commas, quotes, newlines, unicode and emoji in its data),
    # one older than 30 days, and an event of another app
    owner, app = await _setup(client)
    device = await _register_device(client, app, "dev-1")
    now = datetime.now(UTC).replace(microsecond=0)
    awkward = await _insert_event(db, app["id"], device, "purchase", AWKWARD_DATA, now - timedelta(days=29))
    plain = await _insert_event(db, app["id"], device, "session_start", {}, now - timedelta(minutes=5))
    await _insert_event(db, app["id"], device, "too_old", {"n": 1}, now - timedelta(days=31))
    other_app = await client.create_app((await client.register())["token"])
    other_device = await _register_device(client, other_app, "dev-elsewhere")
    await _insert_event(db, other_app["id"], other_device, "elsewhere", {}, now)
    # When the owner exports the app's events
    rows = _rows(await _export(client, "events", owner["token"], app["id"]))
    # Then the header comes first, then the app's events of the last 30 days by id, values intact
    assert rows[0] == EVENT_COLUMNS
    assert [row[:3] for row in rows[1:]] == [
        [str(awkward), "dev-1", "purchase"],
        [str(plain), "dev-1", "session_start"],
    ]
    assert json.loads(rows[1][3]) == AWKWARD_DATA
    assert json.loads(rows[2][3]) == {}
    assert rows[1][4:] == [iso(now - timedelta(days=29)), iso(now - timedelta(days=29, seconds=-2))]
    assert rows[2][4:] == [iso(now - timedelta(minutes=5)), iso(now - timedelta(minutes=5, seconds=-2))]


async def test_export__any_app__attachment_named_after_package_kind_and_utc_date(client: Client) -> None:
    # Given an app
    owner, app = await _setup(client)
    today = datetime.now(UTC).date().isoformat()
    for kind in ("devices", "events"):
        # When it is exported (no rows yet)
        r = await _export(client, kind, owner["token"], app["id"])
        # Then the file is an attachment named <package>-<kind>-<UTC date>.csv, holding the header only
        assert r.status_code == 200, r.text
        assert (
            r.headers["Content-Disposition"]
            == f'attachment; filename="{app["package_name"]}-{kind}-{today}.csv"'
        )
        assert len(_rows(r)) == 1
        assert r.headers["X-Request-Id"] and r.headers["X-RateLimit-Limit"] == "5"


# --- access ----------------------------------------------------------------------------------------------


async def test_export__viewer__allowed(client: Client, database_url: str) -> None:
    # Given a viewer of the app's organisation
    owner, app = await _setup(client)
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    await _register_device(client, app, "dev-1")
    # When the viewer exports / Then the export is served
    assert len(_rows(await _export(client, "devices", viewer["token"], app["id"]))) == 2
    assert len(_rows(await _export(client, "events", viewer["token"], app["id"]))) == 1


@pytest.mark.parametrize("kind", ["devices", "events"])
async def test_export__app_of_another_org__404(client: Client, stranger: Client, kind: str) -> None:
    # Given an app of one organisation, and a user of another
    _, app = await _setup(client)
    other = await stranger.register()
    # When the other organisation's user exports it / Then it is not found
    r = await _export(stranger, kind, other["token"], app["id"])
    assert r.status_code == 404, r.text
    assert r.json() == {"error": "App not found"}


@pytest.mark.parametrize("kind", ["devices", "events"])
async def test_export__no_token_or_no_app_id__401_and_400(client: Client, kind: str) -> None:
    owner, app = await _setup(client)
    r = await _export(client, kind, None, app["id"])
    assert r.status_code == 401 and set(r.json()) == {"error"}
    r = await client.request("GET", f"/export/{kind}", owner["token"])
    assert r.status_code == 400 and "app_id" in r.json()["details"]
    r = await _export(client, kind, owner["token"], "abc")
    assert r.status_code == 400 and "app_id" in r.json()["details"]


# --- rate limit ------------------------------------------------------------------------------------------


async def test_export__6th_export_of_an_org_within_an_hour_on_free__429_with_retry_after(
    client: Client, database_url: str
) -> None:
    # Given an organisation on the free plan (5 exports per hour), with a second member
    owner, app = await _setup(client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    # When its users make five exports, devices and events alike
    responses = [
        await _export(client, kind, token, app["id"])
        for kind, token in [
            ("devices", owner["token"]),
            ("events", owner["token"]),
            ("devices", admin["token"]),
            ("events", admin["token"]),
            ("events", owner["token"]),
        ]
    ]
    # Then they are served, counting down one budget of the organisation
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0"]
    # And a sixth, of either kind and by any member, is refused with Retry-After
    for kind, token in [("devices", owner["token"]), ("events", admin["token"])]:
        r = await _export(client, kind, token, app["id"])
        assert r.status_code == 429, r.text
        assert r.json() == {"error": "Rate limit exceeded"}
        assert 0 < int(r.headers["Retry-After"]) <= 3600
        assert (r.headers["X-RateLimit-Limit"], r.headers["X-RateLimit-Remaining"]) == ("5", "0")
    # While the API tier of the same users is untouched
    assert (await client.request("GET", "/apps", owner["token"])).status_code == 200


async def _insert_events(db: asyncpg.Connection, app_id: int, device_id: int, count: int) -> None:
    """`count` events of the last hour, straight into the table."""
    await db.execute(
        "INSERT INTO events (app_id, device_id, event_type, event_data, created_at, received_at, event_id) "
        "SELECT $1, $2, 'screen_view', jsonb_build_object('n', g, 'screen', 'home, \"main\"'), "
        "now() - interval '1 hour' + g * interval '1 millisecond', now(), gen_random_uuid() "
        "FROM generate_series(1, $3::int) g",
        app_id,
        device_id,
        count,
    )
    await db.execute("ANALYZE events")


async def test_export_events__client_leaves_mid_stream__database_connection_released(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app with more events than the socket buffers hold
    owner, app = await _setup(client)
    device = await _register_device(client, app, "dev-1")
    await _insert_events(db, app["id"], device, 200_000)
    open_cursors = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND query LIKE '%FROM events e%'"
    )
    # When a client reads the first chunk of the export (its cursor open meanwhile) and hangs up
    async with client.http.stream(
        "GET",
        "/export/events",
        params={"app_id": app["id"]},
        headers={"Authorization": f"Bearer {owner['token']}"},
    ) as r:
        assert r.status_code == 200
        async for _ in r.aiter_raw():
            assert await db.fetchval(open_cursors) == 1
            break
    # Then the server ends the cursor's transaction (the pooled connection is not left holding it)
    deadline = time.monotonic() + 10
    while await db.fetchval(open_cursors):
        assert time.monotonic() < deadline, "the export's transaction is still open"
        await asyncio.sleep(0.1)


# --- memory ----------------------------------------------------------------------------------------------

MILLION = 1_000_000
MAX_GROWTH_MB = 50  # megabytes of 10**6 bytes


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class RssSampler:
    """The largest RSS of a process, read every `interval` seconds on a thread of its own."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kb = self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, _rss_kb(self.pid))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, _rss_kb(self.pid))


@pytest.fixture
def export_server(platform: Platform) -> Iterator[tuple[Proc, str]]:
    """An API process of the test's own (one process: its pid is the one serving)."""
    proc, base = platform.serve(API_WORKERS="1")
    yield proc, base
    proc.stop()


@pytest.mark.slow
async def test_export_events__a_million_rows__streamed_with_flat_server_memory(
    export_server: tuple[Proc, str], db: asyncpg.Connection, record_property: pytest.RecordProperty
) -> None:
    # Given an app with a device and 1,000,000 events of the last hour
    proc, base = export_server
    client = Client(base)
    try:
        owner, app = await _setup(client)
        device = await _register_device(client, app, "dev-million", brand="Acme")
    finally:
        await client.close()
    await _insert_events(db, app["id"], device, MILLION)
    before_kb = _rss_kb(proc.pid)
    lines, first_line, received = 0, b"", 0
    started = time.monotonic()
    # When the events are exported, read as they arrive (never holding the body), RSS sampled every 100 ms
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=120) as http:
        with RssSampler(proc.pid) as sampler:
            async with http.stream(
                "GET",
                "/export/events",
                params={"app_id": app["id"]},
                headers={"Authorization": f"Bearer {owner['token']}"},
            ) as r:
                assert r.status_code == 200
                async for chunk in r.aiter_raw():
                    if not first_line:
                        first_line = chunk.split(b"\r\n", 1)[0]
                    lines += chunk.count(b"\n")
                    received += len(chunk)
    elapsed = time.monotonic() - started
    growth_mb = (sampler.peak_kb - before_kb) * 1024 / 10**6
    record_property("export_1m_growth_mb", round(growth_mb, 1))
    print(
        f"\nexported {MILLION} events ({received / 2**20:.0f} MiB) in {elapsed:.1f} s; server RSS "
        f"{before_kb / 1024:.0f} MiB -> peak {sampler.peak_kb / 1024:.0f} MiB (+{growth_mb:.1f} MB, "
        f"{sampler.samples} samples)"
    )
    # Then every event arrived after the header, and the server grew by at most 50 MB
    assert first_line == ",".join(EVENT_COLUMNS).encode()
    assert lines == MILLION + 1
    assert sampler.samples >= 5
    assert growth_mb <= MAX_GROWTH_MB
