"""Ingest under a worker crash (issue 4): a batch's message is acknowledged only after the transaction
holding it committed, so a SIGKILLed worker's batches are redelivered, and redelivery stores nothing twice.

A real API server and real Dramatiq workers on a Redis server of their own; the crash is a SIGKILL of
the worker's process group while batches are in flight, timed (by pausing the broker's writes) so that
some of them are committed but not yet acknowledged: their redelivery must add nothing.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import orjson
import pytest
import redis

from tests.support import Client, Platform, RedisServer

BATCHES, PER_BATCH, DEVICES = 200, 50, 100
TOTAL = BATCHES * PER_BATCH
TYPES = ["session_start", "ad_watched", "purchase", "screen_view", "level_up"]
QUEUE = "dramatiq:ingest"


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float, what: str, interval: float = 0.2
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


def make_batches(now: datetime) -> list[dict[str, Any]]:
    """200 batches of 50 events over 100 devices (each with every event type) and the last three days:
    even batches carry event ids and created_at, odd ones neither (the server makes both). event_data
    names each event (batch, i)."""
    batches = []
    for b in range(BATCHES):
        explicit = b % 2 == 0
        events = []
        for i in range(PER_BATCH):
            n = b * PER_BATCH + i
            event_type = TYPES[n % len(TYPES)]
            data: dict[str, Any] = {"batch": b, "i": i}
            if event_type == "purchase":
                data.update(amount=0.99 + (n % 3), currency="USD", product_id=f"gems_{n % 4}")
            event: dict[str, Any] = {
                "android_id": f"device-{n // len(TYPES) % DEVICES}",
                "event_type": event_type,
                "event_data": data,
            }
            if explicit:
                at = now - timedelta(minutes=(n * 7) % (3 * 24 * 60), milliseconds=n % 1000)
                event.update(event_id=str(uuid.uuid4()), created_at=at.isoformat().replace("+00:00", "Z"))
            events.append(event)
        batches.append({"events": events})
    return batches


def unacked(broker: redis.Redis) -> list[list[str]]:
    """The event ids of each ingest batch a worker has taken and not acknowledged (Dramatiq's
    per-worker ack sets; the message keeps the ids the API fixed, server-made ones included)."""
    ids = [m for key in broker.keys("dramatiq:__acks__.*.ingest") for m in broker.smembers(key)]
    messages = broker.hmget(f"{QUEUE}.msgs", ids) if ids else []
    return [[event[4] for event in orjson.loads(m)["args"][0]["events"]] for m in messages if m]


async def committed(conn: asyncpg.Connection, app_id: int, batches: list[list[str]]) -> int:
    """How many of these batches are stored already."""
    stored = 0
    for event_ids in batches:
        n = await conn.fetchval(
            "SELECT count(*) FROM events WHERE app_id = $1 AND event_id = ANY($2::uuid[])", app_id, event_ids
        )
        stored += n == len(event_ids)
    return stored


async def fetch(conn: asyncpg.Connection, query: str, *args: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await conn.fetch(query, *args)]


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_ingest__worker_killed_with_batches_in_flight__every_event_stored_exactly_once(
    platform: Platform, database_url: str
) -> None:
    # Given an API server and a worker alone on a Redis server of their own (pausing its writes below
    # would stall any other user of a shared one), and an app on the enterprise plan
    own = RedisServer().start()
    broker = redis.Redis.from_url(own.url, decode_responses=True)
    first = platform.spawn("worker", REDIS_URL=own.url)
    server, base = platform.serve(REDIS_URL=own.url)
    client = Client(base)
    second = None
    conn = await asyncpg.connect(database_url)
    count = "SELECT count(*) FROM events WHERE app_id = $1"
    try:
        owner = await client.register()
        org_id = owner["user"]["org_id"]
        await conn.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", org_id)
        app = await client.create_app(owner["token"])
        app_id = app["id"]

        async def worker_ready() -> bool:
            return broker.zcard("dramatiq:__heartbeats__") >= 1

        await eventually(worker_ready, 60, "the worker to consume", interval=0.1)
        batches = make_batches(datetime.now(UTC))

        # When 200 batches of 50 events are sent, 16 at a time
        job_ids: list[str] = []
        flowing, fifty = asyncio.Event(), asyncio.Event()
        flowing.set()
        gate = asyncio.Semaphore(16)
        posting = 0

        async def send(batch: dict[str, Any]) -> None:
            nonlocal posting
            async with gate:
                await flowing.wait()
                posting += 1
                try:
                    r = await client.request(
                        "POST", "/events/batch", headers={"X-SDK-Key": app["sdk_key"]}, json=batch
                    )
                finally:
                    posting -= 1
            assert r.status_code == 202, r.text
            assert r.json()["accepted"] == PER_BATCH
            job_ids.append(r.json()["job_id"])
            if len(job_ids) >= 50:
                fifty.set()

        sending = asyncio.gather(*(send(batch) for batch in batches))
        # And once 50 were accepted, the worker is SIGKILLed while it holds batches it committed but could
        # not acknowledge yet (the broker's writes paused, sending held, until that is so)
        await fifty.wait()
        for _ in range(10):
            flowing.set()
            deadline = time.monotonic() + 10
            while not unacked(broker) and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            flowing.clear()
            while posting:
                await asyncio.sleep(0.005)
            broker.execute_command("CLIENT", "PAUSE", "3000", "WRITE")
            deadline = time.monotonic() + 2.5
            while not await committed(conn, app_id, unacked(broker)) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            if await committed(conn, app_id, unacked(broker)):
                break
            broker.execute_command("CLIENT", "UNPAUSE")
        first.kill()
        stored_at_kill = await conn.fetchval(count, app_id)
        in_flight = unacked(broker)
        in_flight_stored = await committed(conn, app_id, in_flight)
        broker.execute_command("CLIENT", "UNPAUSE")
        # And a new worker starts (the dead one's messages come back once its heartbeat is 4 s old),
        # and the other 150 batches are sent
        second = platform.spawn("worker", REDIS_URL=own.url)
        flowing.set()
        await sending
        assert len(job_ids) == BATCHES
        assert in_flight_stored > 0, ("no committed, unacknowledged batch at the kill", len(in_flight))
        assert stored_at_kill < TOTAL

        # Then the queue drains and the stored count settles
        previous = -1

        async def drained() -> bool:
            nonlocal previous
            waiting = broker.hlen(f"{QUEUE}.msgs") + broker.hlen(f"{QUEUE}.DQ.msgs")
            count = await conn.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id)
            settled = waiting == 0 and count == previous
            previous = count
            return settled

        await eventually(drained, 240, "the ingest queue to drain", interval=1.0)
        log_tail = second.output()[-3000:]
        assert broker.zcard(f"{QUEUE}.XQ") == 0, ("dead-lettered batches", log_tail)

        # And exactly 10,000 rows: no event lost, none stored twice
        assert await conn.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id) == TOTAL, log_tail
        assert (
            await conn.fetchval("SELECT count(DISTINCT event_id) FROM events WHERE app_id = $1", app_id)
            == TOTAL
        )
        each_once = await fetch(
            conn,
            "SELECT (event_data->>'batch')::int, (event_data->>'i')::int, count(*) "
            "FROM events WHERE app_id = $1 GROUP BY 1, 2 HAVING count(*) <> 1",
            app_id,
        )
        assert each_once == []
        assert (
            await conn.fetchval(
                "SELECT count(DISTINCT (event_data->>'batch', event_data->>'i')) FROM events WHERE app_id = $1",
                app_id,
            )
            == TOTAL
        )
        explicit_ids = {e["event_id"] for b in batches for e in b["events"] if "event_id" in e}
        stored_ids = {
            r[0] for r in await fetch(conn, "SELECT event_id::text FROM events WHERE app_id = $1", app_id)
        }
        assert len(explicit_ids) == TOTAL // 2 and explicit_ids <= stored_ids

        # And device counters equal a direct computation from the stored events
        assert await conn.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app_id) == DEVICES
        assert await conn.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == DEVICES
        devices = await fetch(
            conn,
            """
            SELECT d.android_id, d.sessions_count, d.ad_watches, d.purchases, d.purchase_revenue,
                   d.sessions_30d, d.ad_watches_30d, d.purchases_30d, d.first_seen_at, d.last_seen_at,
                   jsonb_array_length(d.recent_purchases)
            FROM devices d WHERE d.app_id = $1 ORDER BY d.android_id""",
            app_id,
        )
        expected_devices = await fetch(
            conn,
            """
            SELECT d.android_id,
                   count(*) FILTER (WHERE e.event_type = 'session_start'),
                   count(*) FILTER (WHERE e.event_type = 'ad_watched'),
                   count(*) FILTER (WHERE e.event_type = 'purchase'),
                   coalesce(sum((e.event_data->>'amount')::numeric) FILTER (WHERE e.event_type = 'purchase'), 0),
                   count(*) FILTER (WHERE e.event_type = 'session_start'),
                   count(*) FILTER (WHERE e.event_type = 'ad_watched'),
                   count(*) FILTER (WHERE e.event_type = 'purchase'),
                   min(e.created_at), max(e.created_at),
                   LEAST(count(*) FILTER (WHERE e.event_type = 'purchase'), 20)
            FROM devices d JOIN events e ON e.device_id = d.id
            WHERE d.app_id = $1 GROUP BY d.android_id ORDER BY d.android_id""",
            app_id,
        )
        assert devices == expected_devices
        assert sum(d[3] for d in devices) == TOTAL // len(TYPES)
        # (every device bought something in the last 30 days)
        assert await fetch(conn, "SELECT DISTINCT user_segment FROM devices WHERE app_id = $1", app_id) == [
            ("power_user",)
        ]

        # And per-device days and the daily rollups too
        device_days = await fetch(
            conn,
            """
            SELECT device_id, day, events, sessions, ad_watches, purchases FROM device_days
            WHERE app_id = $1 ORDER BY 1, 2""",
            app_id,
        )
        assert device_days == await fetch(
            conn,
            """
            SELECT device_id, (created_at AT TIME ZONE 'UTC')::date,
                   count(*), count(*) FILTER (WHERE event_type = 'session_start'),
                   count(*) FILTER (WHERE event_type = 'ad_watched'), count(*) FILTER (WHERE event_type = 'purchase')
            FROM events WHERE app_id = $1 GROUP BY 1, 2 ORDER BY 1, 2""",
            app_id,
        )
        daily = await fetch(
            conn,
            """
            SELECT day, active_devices, new_devices, events, sessions, ad_watches, purchases, purchase_revenue
            FROM app_daily WHERE app_id = $1 AND events > 0 ORDER BY day""",
            app_id,
        )
        assert daily == await fetch(
            conn,
            """
            WITH e AS (SELECT *, (created_at AT TIME ZONE 'UTC')::date AS day FROM events WHERE app_id = $1),
            firsts AS (SELECT (first_seen_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM devices
                       WHERE app_id = $1 GROUP BY 1)
            SELECT e.day, count(DISTINCT e.device_id)::int, coalesce(max(f.n), 0)::int, count(*),
                   count(*) FILTER (WHERE event_type = 'session_start'),
                   count(*) FILTER (WHERE event_type = 'ad_watched'), count(*) FILTER (WHERE event_type = 'purchase'),
                   coalesce(sum((event_data->>'amount')::numeric) FILTER (WHERE event_type = 'purchase'), 0)
            FROM e LEFT JOIN firsts f ON f.day = e.day GROUP BY e.day ORDER BY e.day""",
            app_id,
        )
        assert sum(row[3] for row in daily) == TOTAL
        assert (
            await conn.fetchval("SELECT sum(new_devices) FROM app_daily WHERE app_id = $1", app_id) == DEVICES
        )
        assert await fetch(
            conn,
            "SELECT day, event_type, count FROM app_daily_events WHERE app_id = $1 ORDER BY 1, 2",
            app_id,
        ) == await fetch(
            conn,
            """
            SELECT (created_at AT TIME ZONE 'UTC')::date, event_type, count(*) FROM events WHERE app_id = $1
            GROUP BY 1, 2 ORDER BY 1, 2""",
            app_id,
        )
        assert await conn.fetchval("SELECT sum(events) FROM org_usage WHERE org_id = $1", org_id) == TOTAL
        assert await conn.fetchval(
            "SELECT sum(purchase_revenue) FROM app_daily WHERE app_id = $1", app_id
        ) == sum(
            (
                Decimal(str(e["event_data"]["amount"]))
                for b in batches
                for e in b["events"]
                if e["event_type"] == "purchase"
            ),
            Decimal(0),
        )

        # And every batch's job reads as done, without an error
        for job_id in job_ids:
            r = await client.request("GET", f"/jobs/{job_id}", owner["token"])
            assert r.status_code == 200, r.text
            assert (r.json()["status"], r.json()["error"]) == ("done", None), r.json()
    finally:
        await conn.close()
        await client.close()
        first.kill()
        if second is not None:
            second.kill()
        server.stop()
        broker.close()
        own.remove()
