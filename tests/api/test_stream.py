"""The live event stream, GET /stream?app_id=&token= (API.md section 3; issue 4), end to end.

SSE clients are real HTTP connections to real API processes; batches go through POST /events/batch,
the Redis broker and a real worker, which publishes what it stored on Redis pub/sub after commit.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
import pytest
import redis

from tests.support import TEST_SECRET, Client, Platform, RedisServer, add_member

CONNECTED, HEARTBEAT = ": connected", ": heartbeat"


# --- Helpers ------------------------------------------------------------------------------------------


class SseClient:
    """One open GET /stream connection; every line is kept with the monotonic time it arrived."""

    def __init__(self, client: Client, app_id: int, token: str | None) -> None:
        params: dict[str, Any] = {"app_id": app_id}
        if token is not None:
            params["token"] = token
        self._client, self._params = client, params
        self.lines: list[tuple[float, str]] = []
        self._new = asyncio.Event()
        self.response: httpx.Response | None = None
        self.body = b""
        self.closed = False
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        timeout = httpx.Timeout(10, read=60)
        try:
            async with self._client.http.stream("GET", "/stream", params=self._params, timeout=timeout) as r:
                self.response = r
                if r.status_code != 200:
                    self.body = await r.aread()
                    self._opened.set_result(None)
                    return
                self._opened.set_result(None)
                async for line in r.aiter_lines():
                    self.lines.append((time.monotonic(), line))
                    self._new.set()
        except Exception as exc:  # noqa: BLE001 - surfaced to the test through `opened`/`closed`
            if not self._opened.done():
                self._opened.set_exception(exc)
        finally:
            self.closed = True
            self._new.set()

    async def opened(self) -> httpx.Response:
        await asyncio.wait_for(self._opened, 15)
        assert self.response is not None
        return self.response

    async def wait_for(
        self, predicate: Callable[[str], bool], timeout: float, start: int = 0
    ) -> tuple[float, str]:
        """The first line from index `start` on that matches (waiting up to `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            for at, line in self.lines[start:]:
                if predicate(line):
                    return at, line
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
                raise AssertionError(f"no matching line within {timeout}s; got {self.lines[start:]!r}")
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass

    async def connected(self) -> None:
        """Wait for the stream's first line: `: connected` (from then on, stored batches are sent)."""
        r = await self.opened()
        assert r.status_code == 200, self.body
        _, line = await self.wait_for(lambda s: s != "", 10)
        assert line == CONNECTED, self.lines

    def data(self) -> list[list[dict[str, Any]]]:
        """Every `data:` message so far, decoded."""
        return [orjson.loads(line[len("data: ") :]) for _, line in self.lines if line.startswith("data: ")]

    def events(self) -> list[dict[str, Any]]:
        return [event for message in self.data() for event in message]

    async def close(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


@asynccontextmanager
async def sse(client: Client, app_id: int, token: str | None) -> AsyncIterator[SseClient]:
    stream = SseClient(client, app_id, token)
    try:
        yield stream
    finally:
        await stream.close()


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float, what: str, interval: float = 0.05
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


def iso_ms(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)


async def post_batch(client: Client, sdk_key: str, events: list[dict[str, Any]]) -> httpx.Response:
    return await client.request(
        "POST", "/events/batch", headers={"X-SDK-Key": sdk_key}, json={"events": events}
    )


async def accepted(client: Client, sdk_key: str, events: list[dict[str, Any]]) -> float:
    """POST the batch; asserts the 202 and returns when it came (monotonic)."""
    r = await post_batch(client, sdk_key, events)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == len(events)
    return time.monotonic()


async def stored_at(database_url: str, app_id: int, count: int, timeout: float = 30) -> float:
    """When the app's events table first holds `count` rows (polled every 10 ms; monotonic time)."""
    conn = await asyncpg.connect(database_url)
    try:

        async def rows() -> bool:
            return await conn.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id) >= count

        await eventually(rows, timeout, f"{count} stored events of app {app_id}", interval=0.01)
        return time.monotonic()
    finally:
        await conn.close()


async def stored_events(database_url: str, app_id: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT e.id, e.device_id, d.android_id, e.event_type, e.event_data::text AS event_data, e.created_at, "
            "e.event_id::text AS event_id FROM events e JOIN devices d ON d.id = e.device_id "
            "WHERE e.app_id = $1 ORDER BY e.id",
            app_id,
        )
    finally:
        await conn.close()


def as_streamed(row: asyncpg.Record) -> dict[str, Any]:
    """A stored event as the stream should show it."""
    return {
        "id": row["id"],
        "device_id": row["device_id"],
        "android_id": row["android_id"],
        "event_type": row["event_type"],
        "event_data": orjson.loads(row["event_data"]),
        "created_at": iso_ms(row["created_at"]),
        "event_id": row["event_id"],
    }


async def org_with_app(client: Client, name: str) -> dict[str, Any]:
    owner = await client.register(org=name)
    app = await client.create_app(owner["token"], name=f"{name} app")
    return {
        "owner": owner,
        "token": owner["token"],
        "org_id": owner["user"]["org_id"],
        "app": app,
        "app_id": app["id"],
        "sdk_key": app["sdk_key"],
    }


def channel_listeners(redis_url: str, app_id: int) -> int:
    """How many connections listen to the app's stream channel (one per API process with clients)."""
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        return dict(client.pubsub_numsub(f"stream:app:{app_id}")).get(f"stream:app:{app_id}", 0)


# --- Delivery through Redis pub/sub ---------------------------------------------------------------------


async def test_stream__batch_stored__arrives_within_a_second_and_never_on_another_apps_stream(
    client: Client, worker: None, database_url: str
) -> None:
    # Given two orgs A and B, each with an app, and an SSE client on each app's stream
    a, b = await org_with_app(client, "Org A"), await org_with_app(client, "Org B")
    async with (
        sse(client, a["app_id"], a["token"]) as stream_a,
        sse(client, b["app_id"], b["token"]) as stream_b,
    ):
        await stream_a.connected()
        await stream_b.connected()
        r = await stream_a.opened()
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers.get("x-request-id")

        # When B's app stores a batch first (seen on B's stream)
        await accepted(
            client,
            b["sdk_key"],
            [{"android_id": "b-device", "event_type": "b_only", "event_data": {"org": "B"}}],
        )
        await stream_b.wait_for(lambda s: s.startswith("data: "), 10)

        # And then A's app stores a batch (explicit created_at and event_id, and neither)
        created = datetime.now(UTC).replace(microsecond=123000) - timedelta(minutes=5)
        explicit_id = str(uuid.uuid4())
        events = [
            {
                "android_id": "a-device-1",
                "event_type": "level_up",
                "event_data": {"level": 3, "tags": ["x", "y"], "nested": {"ok": True, "n": None}},
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "event_id": explicit_id,
            },
            {"android_id": "a-device-2", "event_type": "session_start"},
        ]
        before = datetime.now(UTC)
        seen_lines = len(stream_a.lines)
        sent = time.monotonic()
        arrival = asyncio.create_task(
            stream_a.wait_for(lambda s: s.startswith("data: "), 30, start=seen_lines)
        )
        stored_task = asyncio.create_task(stored_at(database_url, a["app_id"], 2))
        acked = await accepted(client, a["sdk_key"], events)
        after = datetime.now(UTC)
        stored = await stored_task
        arrived, line = await arrival

        # Then it arrives on A's stream within a second of being stored (and soon after the 202)
        assert arrived - stored < 1.0, f"arrived {arrived - stored:.3f}s after the rows were stored"
        assert arrived - acked < 5.0, (
            f"arrived {arrived - acked:.3f}s after the 202 ({acked - sent:.3f}s to 202)"
        )
        # As `data: [...]` with every field of each stored event
        message = orjson.loads(line.removeprefix("data: "))
        rows = await stored_events(database_url, a["app_id"])
        assert len(rows) == 2
        assert sorted(message, key=lambda e: e["id"]) == [as_streamed(row) for row in rows]
        by_type = {e["event_type"]: e for e in message}
        first, second = by_type["level_up"], by_type["session_start"]
        assert first["android_id"] == "a-device-1" and first["event_id"] == explicit_id
        assert first["event_data"] == {"level": 3, "tags": ["x", "y"], "nested": {"ok": True, "n": None}}
        assert first["created_at"] == iso_ms(created)
        assert second["android_id"] == "a-device-2" and second["event_data"] == {}
        uuid.UUID(second["event_id"])  # server-made
        assert (
            before - timedelta(seconds=1) <= parse_iso(second["created_at"]) <= after + timedelta(seconds=1)
        )
        assert all(isinstance(e["id"], int) and isinstance(e["device_id"], int) for e in message)

        # And A's stream never shows B's batch; B's shows only B's
        await asyncio.sleep(1.5)
        assert sorted(e["event_type"] for e in stream_a.events()) == ["level_up", "session_start"]
        assert len(stream_a.data()) == 1
        assert [e["event_type"] for e in stream_b.events()] == ["b_only"]
        assert stream_b.events()[0]["android_id"] == "b-device"


async def test_stream__events_sent_again__not_published_again(
    client: Client, worker: None, database_url: str
) -> None:
    # Given an app's stream that has shown a stored batch
    a = await org_with_app(client, "Org A")
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = [
        {"android_id": "dev", "event_type": "tap", "event_data": {"i": i}, "event_id": ids[i]}
        for i in range(3)
    ]
    async with sse(client, a["app_id"], a["token"]) as stream:
        await stream.connected()
        await accepted(client, a["sdk_key"], batch)
        await stream.wait_for(lambda s: s.startswith("data: "), 10)
        assert sorted(e["event_id"] for e in stream.events()) == sorted(ids)

        # When the same batch is sent again, once alone and twice at the same time (an SDK retrying),
        # and a batch carries one new event twice
        await accepted(client, a["sdk_key"], batch)
        await asyncio.gather(accepted(client, a["sdk_key"], batch), accepted(client, a["sdk_key"], batch))
        twice = str(uuid.uuid4())
        await accepted(
            client, a["sdk_key"], [{"android_id": "dev", "event_type": "tap", "event_id": twice}] * 2
        )
        # (a marker batch after them: once it has arrived, the duplicates had their chance)
        marker = str(uuid.uuid4())
        await accepted(
            client, a["sdk_key"], [{"android_id": "dev", "event_type": "marker", "event_id": marker}]
        )
        await stored_at(database_url, a["app_id"], 5)
        await stream.wait_for(lambda s: marker in s, 10)
        await asyncio.sleep(0.5)

        # Then each stored event was streamed exactly once
        streamed = [e["event_id"] for e in stream.events()]
        assert sorted(streamed) == sorted([*ids, twice, marker]), stream.data()
        rows = await stored_events(database_url, a["app_id"])
        assert sorted(streamed) == sorted(row["event_id"] for row in rows)


async def test_stream__event_id_not_in_canonical_form__streamed_as_stored(
    client: Client, worker: None, database_url: str
) -> None:
    # Given an app's stream
    a = await org_with_app(client, "Org A")
    upper, compact = str(uuid.uuid4()).upper(), uuid.uuid4().hex
    async with sse(client, a["app_id"], a["token"]) as stream:
        await stream.connected()
        # When a batch carries event ids in upper case and without hyphens (both valid UUIDs)
        await accepted(
            client,
            a["sdk_key"],
            [
                {"android_id": "dev", "event_type": "upper", "event_id": upper},
                {"android_id": "dev", "event_type": "compact", "event_id": compact},
            ],
        )
        await stored_at(database_url, a["app_id"], 2)
        # Then both events arrive, with the event id as stored (canonical form)
        await stream.wait_for(lambda s: s.startswith("data: "), 5)
        await asyncio.sleep(0.3)
        rows = await stored_events(database_url, a["app_id"])
        assert sorted(e["event_id"] for e in stream.events()) == sorted(
            [upper.lower(), str(uuid.UUID(compact))]
        )
        assert sorted(stream.events(), key=lambda e: e["id"]) == [as_streamed(row) for row in rows]


async def test_stream__client_leaves__its_app_channel_is_released(client: Client, redis_url: str) -> None:
    # Given an SSE client on an app's stream: the API process listens to the app's channel
    a = await org_with_app(client, "Org A")
    stream = SseClient(client, a["app_id"], a["token"])
    await stream.connected()
    assert channel_listeners(redis_url, a["app_id"]) == 1
    # When the client disconnects
    await stream.close()

    # Then the channel is released (the worker stops building payloads nobody reads)
    async def released() -> bool:
        return channel_listeners(redis_url, a["app_id"]) == 0

    await eventually(released, 5, "the app channel to be unsubscribed")


# --- Heartbeat -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fast_heartbeat_server(platform: Platform) -> Iterator[str]:
    proc, base = platform.serve(STREAM_HEARTBEAT_SECONDS="1")
    yield base
    proc.stop()


async def test_stream__heartbeat_every_second_configured__heartbeat_comment_about_every_second(
    fast_heartbeat_server: str,
) -> None:
    # Given a server with STREAM_HEARTBEAT_SECONDS=1 and an open stream
    client = Client(fast_heartbeat_server)
    try:
        a = await org_with_app(client, "Org A")
        async with sse(client, a["app_id"], a["token"]) as stream:
            await stream.connected()
            connected_at = stream.lines[0][0]
            # When nothing is stored for 4.5 s
            await asyncio.sleep(4.5)
            # Then a `: heartbeat` comment came about every second, and nothing else
            beats = [at for at, line in stream.lines if line == HEARTBEAT]
            assert 3 <= len(beats) <= 5, stream.lines
            gaps = [later - earlier for earlier, later in zip([connected_at, *beats], beats)]
            assert all(0.6 <= gap <= 1.6 for gap in gaps), gaps
            assert {line for _, line in stream.lines} <= {CONNECTED, HEARTBEAT, ""}
    finally:
        await client.close()


async def test_stream__default_settings__first_heartbeat_not_before_15_seconds(client: Client) -> None:
    # Given the session server (default STREAM_HEARTBEAT_SECONDS = 15) and an open stream
    a = await org_with_app(client, "Org A")
    async with sse(client, a["app_id"], a["token"]) as stream:
        await stream.connected()
        # When 2 s pass / Then no heartbeat yet
        await asyncio.sleep(2)
        assert all(line != HEARTBEAT for _, line in stream.lines)


# --- Credentials ------------------------------------------------------------------------------------------


async def test_stream__credentials__checked_like_a_bearer_token_and_never_logged(
    platform: Platform, database_url: str
) -> None:
    # Given a server of our own (to read its log), orgs A and B, a viewer of A
    proc, base = platform.serve()
    client = Client(base)
    tokens: list[str] = []
    try:
        a, b = await org_with_app(client, "Org A"), await org_with_app(client, "Org B")
        viewer = await add_member(database_url, a["org_id"], "viewer", client)
        user = a["owner"]["user"]
        now = int(time.time())
        expired = jwt.encode(
            {
                "sub": str(user["id"]),
                "org": a["org_id"],
                "role": "owner",
                "iat": now - 100,
                "exp": now - 10,
                "jti": uuid.uuid4().hex,
            },
            TEST_SECRET,
            algorithm="HS256",
        )
        forged = jwt.encode(
            {
                "sub": str(user["id"]),
                "org": a["org_id"],
                "role": "owner",
                "iat": now,
                "exp": now + 600,
                "jti": uuid.uuid4().hex,
            },
            "not-the-secret-" + "x" * 40,
            algorithm="HS256",
        )
        login = await client.request(
            "POST", "/auth/login", json={"email": a["owner"]["email"], "password": a["owner"]["password"]}
        )
        revoked = login.json()["token"]
        assert (await client.request("POST", "/auth/logout", revoked)).status_code == 200
        garbage = "not-a-jwt-" + uuid.uuid4().hex
        tokens = [a["token"], b["token"], viewer["token"], expired, forged, revoked, garbage]

        async def status(app_id: int, token: str | None) -> tuple[int, Any]:
            async with sse(client, app_id, token) as stream:
                r = await stream.opened()
                body = orjson.loads(stream.body) if r.status_code != 200 else None
                if r.status_code == 200:
                    await stream.connected()
                return r.status_code, body

        # When streams are asked for with missing, invalid, expired, forged or revoked tokens
        # Then each is 401 with a JSON error
        for token in (None, garbage, expired, forged, revoked):
            code, body = await status(a["app_id"], token)
            assert code == 401, (token, code, body)
            assert "error" in body
        # And the token may come as a Bearer header instead (checked the same way)
        r = await client.http.get(
            "/stream", params={"app_id": a["app_id"]}, headers={"Authorization": f"Bearer {garbage}"}
        )
        assert r.status_code == 401
        async with client.http.stream(
            "GET",
            "/stream",
            params={"app_id": a["app_id"]},
            headers={"Authorization": f"Bearer {a['token']}"},
        ) as r:
            assert r.status_code == 200
            assert await r.aiter_lines().__anext__() == CONNECTED
        # And another org's app is 404, like an app that does not exist
        assert await status(b["app_id"], a["token"]) == (404, {"error": "App not found"})
        assert await status(a["app_id"], b["token"]) == (404, {"error": "App not found"})
        assert (await status(2**31 - 1, a["token"]))[0] == 404
        # And a missing or invalid app_id is 400
        r = await client.http.get("/stream", params={"token": a["token"]})
        assert r.status_code == 400 and "app_id" in r.json()["details"]
        r = await client.http.get("/stream", params={"token": a["token"], "app_id": "x"})
        assert r.status_code == 400
        # And a viewer of A may stream A, and the owner too
        assert await status(a["app_id"], viewer["token"]) == (200, None)
        assert await status(a["app_id"], a["token"]) == (200, None)
    finally:
        await client.close()
        proc.stop()
    # And no token appears in the server's log (which did log the stream requests)
    output = proc.output()
    assert '"path":"/api/v4/stream"' in output.replace(" ", "")
    for token in tokens:
        assert token not in output
        assert token.split(".")[-1] not in output  # not even the signature


# --- Fallback: database polling while Redis is down -------------------------------------------------------


@pytest.mark.slow
async def test_stream__redis_down__open_stream_keeps_delivering_by_polling_the_database(
    platform: Platform, server: str, worker: None, database_url: str
) -> None:
    # Given a server + worker pair on a Redis of their own, and an app's stream open there, live on pub/sub
    own = RedisServer().start()
    pair_worker = platform.spawn("worker", REDIS_URL=own.url)
    pair, base = platform.serve(REDIS_URL=own.url)
    client, session_client = Client(base), Client(server)
    try:
        a = await org_with_app(client, "Org A")
        async with sse(client, a["app_id"], a["token"]) as stream:
            await stream.connected()
            assert channel_listeners(own.url, a["app_id"]) == 1
            await accepted(client, a["sdk_key"], [{"android_id": "dev", "event_type": "live"}])
            await stream.wait_for(lambda s: '"live"' in s, 10)

            # When that Redis goes down (new requests to the pair would now fail, the open stream stays)
            own.stop()
            await asyncio.sleep(0.5)
            # And events of the app are stored through another server and worker (the session's: same
            # database, another Redis)
            mark = len(stream.lines)
            stored_task = asyncio.create_task(stored_at(database_url, a["app_id"], 3))
            await accepted(
                session_client,
                a["sdk_key"],
                [
                    {"android_id": "dev", "event_type": "polled_1"},
                    {"android_id": "dev-2", "event_type": "polled_2"},
                ],
            )
            stored = await stored_task

            # Then they arrive on the open stream within ~2 s of being stored, from the database
            arrived, _ = await stream.wait_for(lambda s: '"polled_2"' in s, 10, start=mark)
            assert arrived - stored < 2.5, f"arrived {arrived - stored:.3f}s after the rows were stored"
            # And what the stream already showed is not sent again; every event exactly once, as stored
            await asyncio.sleep(1.5)
            rows = await stored_events(database_url, a["app_id"])
            assert sorted(stream.events(), key=lambda e: e["id"]) == [as_streamed(row) for row in rows]

            # When Redis comes back on the same port
            own.start()

            async def resubscribed() -> bool:
                return channel_listeners(own.url, a["app_id"]) == 1

            await eventually(resubscribed, 15, "the API to listen to the app's channel again")
            # Then batches stored through the pair reach the stream again
            mark = len(stream.lines)
            await accepted(client, a["sdk_key"], [{"android_id": "dev", "event_type": "after_recovery"}])
            stored = await stored_at(database_url, a["app_id"], 4)
            arrived, _ = await stream.wait_for(lambda s: '"after_recovery"' in s, 10, start=mark)
            assert arrived - stored < 2.5, f"arrived {arrived - stored:.3f}s after the rows were stored"
            await asyncio.sleep(1.5)
            rows = await stored_events(database_url, a["app_id"])
            assert sorted(stream.events(), key=lambda e: e["id"]) == [as_streamed(row) for row in rows]
    finally:
        await client.close()
        await session_client.close()
        pair.stop(timeout=10)
        pair_worker.stop(timeout=10)
        own.remove()
    assert a["token"] not in pair.output()
