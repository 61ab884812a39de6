"""The device quota at the SDK door (issue 14 item 5, API.md section 1): once an org's devices fill its
plan, a batch that would create a device is refused whole with 403 when it arrives, not accepted and
stored past the quota. The ingest flush that fills the quota marks the org in Redis; only marked orgs pay
a database look-up of the batch's android_ids (a mark left after slots were freed is dropped by it).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

from pipelines.usage import device_quota_key
from tests.api.test_events import wait_stored
from tests.support import Client, Platform, RedisServer

FREE_DEVICES = 1_000


def batch(android_ids: list[str], event_type: str = "app_open") -> dict[str, Any]:
    return {"events": [{"android_id": a, "event_type": event_type} for a in android_ids]}


async def send(
    client: Client, app: dict[str, Any], android_ids: list[str], kind: str = "app_open"
) -> httpx.Response:
    return await client.request(
        "POST", "/events/batch", headers={"X-SDK-Key": app["sdk_key"]}, json=batch(android_ids, kind)
    )


async def counts(db: asyncpg.Connection, org_id: int, app_id: int) -> tuple[int, int, int]:
    """(the org's device counter, devices stored, events stored) of the app."""
    return (
        await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id),
        await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app_id),
        await db.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id),
    )


async def test_events_batch__free_org_filled_to_1000_by_ingest__new_device_403_nothing_added_known_202(
    client: Client, worker: None, db: asyncpg.Connection, redis_url: str
) -> None:
    # Given a free org whose SDK batches brought it to 999 devices
    owner = await client.register()
    org_id, app = owner["user"]["org_id"], await client.create_app(owner["token"])
    sent = [await send(client, app, [f"dev-{b}-{i}" for i in range(50)]) for b in range(19)]
    sent.append(await send(client, app, [f"dev-19-{i}" for i in range(49)]))
    await wait_stored(client, owner["token"], *sent)
    assert await counts(db, org_id, app["id"]) == (999, 999, 999)
    marks = aioredis.from_url(redis_url)
    try:
        assert not await marks.exists(device_quota_key(org_id))
        # When the 1,000th device's batch is stored
        await wait_stored(client, owner["token"], await send(client, app, ["dev-last"]))
        # Then the flush marked the org's quota full
        assert await marks.exists(device_quota_key(org_id))
    finally:
        await marks.aclose()
    # When a batch from a device not seen before arrives (with a known device beside it)
    refused = await send(client, app, ["dev-0-0", "brand-new"])
    # Then it is refused whole, at once
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "Plan limit reached: the free plan allows 1,000 devices"
    assert refused.headers["X-RateLimit-Limit"] == "200"  # it spent the sdk budget, as refusals do
    # and a batch of known devices is accepted and stored, while the refused one added no row
    accepted = await send(client, app, ["dev-0-0", "dev-last"], "session_start")
    await wait_stored(client, owner["token"], accepted)
    assert await counts(db, org_id, app["id"]) == (1000, 1000, 1002)
    assert await db.fetchval("SELECT count(*) FROM devices WHERE android_id = 'brand-new'") == 0


async def test_events_batch__mark_left_after_slots_freed__new_device_accepted_mark_dropped(
    client: Client, worker: None, db: asyncpg.Connection, redis_url: str
) -> None:
    # Given a free org with 2 devices whose quota mark was left behind (e.g. an app deleted since)
    owner = await client.register()
    org_id, app = owner["user"]["org_id"], await client.create_app(owner["token"])
    await wait_stored(client, owner["token"], await send(client, app, ["a", "b"]))
    marks = aioredis.from_url(redis_url)
    try:
        await marks.set(device_quota_key(org_id), 1)
        # When a new device's batch arrives
        r = await send(client, app, ["c"])
        # Then it is accepted and stored, and the stale mark is gone
        await wait_stored(client, owner["token"], r)
        assert not await marks.exists(device_quota_key(org_id))
    finally:
        await marks.aclose()
    assert await counts(db, org_id, app["id"]) == (3, 3, 3)


async def test_events_batch__marked_org_batch_of_bad_events__400_before_the_quota(
    client: Client, db: asyncpg.Connection, redis_url: str
) -> None:
    # Given a free org marked full
    owner = await client.register()
    org_id, app = owner["user"]["org_id"], await client.create_app(owner["token"])
    await db.execute("UPDATE orgs SET device_count = $2 WHERE id = $1", org_id, FREE_DEVICES)
    marks = aioredis.from_url(redis_url)
    try:
        await marks.set(device_quota_key(org_id), 1)
    finally:
        await marks.aclose()
    # When an invalid batch arrives / Then it is 400 (validation first), a valid one with a new device 403
    r = await client.request(
        "POST", "/events/batch", headers={"X-SDK-Key": app["sdk_key"]}, json={"events": []}
    )
    assert r.status_code == 400
    r = await send(client, app, ["new-device"])
    assert r.status_code == 403 and r.json()["error"].startswith("Plan limit reached")


async def test_events_batch__broker_on_another_redis__marked_org_new_device_403_known_202(
    platform: Platform, db: asyncpg.Connection, redis_url: str
) -> None:
    # Given an API whose broker is a Redis of its own (the mark is read with one EXISTS, not in the script)
    broker = RedisServer().start()
    proc, base = platform.serve(BROKER_URL=broker.url)
    client = Client(base)
    marks = aioredis.from_url(redis_url)
    try:
        owner = await client.register()
        org_id, app = owner["user"]["org_id"], await client.create_app(owner["token"])
        known = await client.request(
            "POST", "/devices/register", headers={"X-SDK-Key": app["sdk_key"]}, json={"android_id": "known"}
        )
        assert known.status_code == 200
        assert (await send(client, app, ["known"])).status_code == 202  # the API caches 1 device for 5 s
        # When the quota fills and the org is marked (as a flush elsewhere would)
        await db.execute("UPDATE orgs SET device_count = $2 WHERE id = $1", org_id, FREE_DEVICES)
        await marks.set(device_quota_key(org_id), 1)
        new, old = await send(client, app, ["new-device"]), await send(client, app, ["known"])
        # Then a new device's batch is refused at once, the known device's queued
        assert new.status_code == 403 and new.json()["error"].startswith("Plan limit reached"), new.text
        assert old.status_code == 202, old.text
    finally:
        await marks.aclose()
        await client.close()
        proc.stop()
        broker.remove()


async def test_profile_action__marked_org__new_device_403_known_device_200(
    client: Client, db: asyncpg.Connection, redis_url: str
) -> None:
    # Given a free org with a known device, whose counters the API has just cached (1 device)
    owner = await client.register()
    org_id, app = owner["user"]["org_id"], await client.create_app(owner["token"])
    sdk = {"X-SDK-Key": app["sdk_key"]}
    body = {"android_id": "known", "action": "session_start"}
    assert (await client.request("POST", "/sdk/profile", headers=sdk, json=body)).status_code == 200
    # When its quota fills and it is marked
    await db.execute("UPDATE orgs SET device_count = $2 WHERE id = $1", org_id, FREE_DEVICES)
    marks = aioredis.from_url(redis_url)
    try:
        await marks.set(device_quota_key(org_id), 1)
    finally:
        await marks.aclose()
    new = await client.request("POST", "/sdk/profile", headers=sdk, json={**body, "android_id": "new-device"})
    known = await client.request("POST", "/sdk/profile", headers=sdk, json=body)
    # Then a profile action of a new device is refused (and creates nothing), the known device's works
    assert new.status_code == 403 and new.json()["error"].startswith("Plan limit reached"), new.text
    assert known.status_code == 200, known.text
    assert await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app["id"]) == 1
