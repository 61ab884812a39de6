"""Push notifications over HTTP (API.md section 5; README "Push notifications"), sent by a real worker
through firebase-admin to the FCM stand-in (standins/fcm.py, its own process): batches of 500, stale tokens
cleared, counts, opens, scheduled pushes fired once by two schedulers, cancel; validation, roles, isolation.

Sends run on this module's platform (its own Redis, FCM_API_BASE at the stand-in, service accounts whose
token_uri is the stand-in's); the session's server only sees requests refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.api.test_fcm import service_account
from tests.support import Client, Platform, RedisServer, add_member, free_port, wait_http

PUSH = {"title": "We miss you", "body": "Come back and see what is new.", "data": {"screen": "home"}}


@dataclass
class PushPair:
    base: str
    fcm: str


@pytest.fixture(scope="module")
def push_pair(platform: Platform) -> Iterator[PushPair]:
    own = RedisServer().start()
    port = free_port()
    fcm = platform.spawn("standin", "fcm", "--port", str(port))
    fcm_url = f"http://127.0.0.1:{port}"
    wait_http(f"{fcm_url}/_standin/messages", proc=fcm)
    env = {"REDIS_URL": own.url, "FCM_API_BASE": fcm_url, "RATE_LIMIT_SCALE": "100"}
    worker = platform.spawn("worker", **env)
    schedulers = [platform.spawn("scheduler", **env) for _ in range(2)]
    server, base = platform.serve(**env)
    try:
        yield PushPair(base, fcm_url)
    finally:
        for proc in (server, worker, *schedulers, fcm):
            proc.stop()
        own.remove()


@dataclass
class App:
    client: Client
    token: str
    app: dict[str, Any]
    project: str

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, self.token, **kwargs)

    async def send(self, **fields: Any) -> httpx.Response:
        return await self.request(
            "POST", "/notifications/send", json={"app_id": self.app["id"], **PUSH, **fields}
        )

    async def history(self) -> list[dict[str, Any]]:
        r = await self.request("GET", "/notifications", params={"app_id": self.app["id"]})
        assert r.status_code == 200, r.text
        return r.json()["notifications"]


async def _app(client: Client, token_uri: str | None = None) -> App:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    account = service_account()
    if token_uri:
        account["token_uri"] = token_uri
        r = await client.request("PUT", f"/apps/{app['id']}/fcm-credentials", owner["token"], json=account)
        assert r.status_code == 200, r.text
    return App(client, owner["token"], app, account["project_id"])


async def _devices(
    db: asyncpg.Connection, app_id: int, tokens: list[str | None], country: str = "DE"
) -> list[int]:
    """Devices as registration would have stored them (fast: one statement)."""
    rows = await db.fetch(
        "INSERT INTO devices (app_id, android_id, fcm_token, country, user_segment, sessions_count, ad_watches, "
        "purchases, purchase_revenue, ad_revenue, sessions_30d, ad_watches_30d, purchases_30d, recent_purchases, "
        "first_seen_at, last_seen_at, created_at, updated_at) "
        "SELECT $1, 'dev-' || n, t, $3, 'new', 0, 0, 0, 0, 0, 0, 0, 0, '[]', now(), now(), now(), now() "
        "FROM unnest($2::text[]) WITH ORDINALITY AS x(t, n) RETURNING id",
        app_id,
        tokens,
        country,
    )
    return [r["id"] for r in rows]


async def _fcm_messages(fcm: str, project: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{fcm}/_standin/messages", params={"project": project})
        return r.json()


async def _until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.25)


async def test_push__custom_segment_of_1200__three_batches_stale_tokens_cleared_counts_and_opens(
    push_pair: PushPair, db: asyncpg.Connection
) -> None:
    # Given an app with FCM credentials and 1,200 devices in a custom segment, 5 of whose tokens FCM no
    # longer knows
    client = Client(push_pair.base)
    scene = await _app(client, f"{push_pair.fcm}/token")
    tokens = [f"token-{i}" for i in range(1195)] + [f"unregistered-{i}" for i in range(5)]
    ids = await _devices(db, scene.app["id"], tokens)
    rule = {"field": "country", "operator": "eq", "value": "DE"}
    r = await scene.request(
        "POST", "/segments", json={"app_id": scene.app["id"], "name": "DE", "rules": [rule]}
    )
    segment = r.json()
    r = await scene.request("POST", f"/segments/{segment['id']}/recalculate", params={"wait": 30})
    assert r.json()["device_count"] == 1200, r.text
    # When a push is sent to the segment
    r = await scene.send(target="custom_segment", segment_id=segment["id"])
    # Then it is accepted with its target count and a job
    assert r.status_code == 202, r.text
    accepted = r.json()
    assert accepted == {**accepted, "status": "queued", "target_count": 1200} and accepted["job_id"]
    nid = accepted["notification_id"]

    async def finished() -> Any:
        return [n for n in await scene.history() if n["id"] == nid and n["status"] not in ("sending",)]

    (pushed,) = await _until(finished, 90, "the push to finish")
    # And the history shows 1,195 sent, 5 failed
    assert pushed == {
        **pushed,
        "status": "partial",
        "sent": 1195,
        "failed": 5,
        "target_count": 1200,
        "opened": 0,
    }
    assert pushed["target"] == "custom_segment" and pushed["segment_id"] == segment["id"]
    # And it went out in 3 batches of at most 500
    sizes = await db.fetch(
        "SELECT cardinality(device_ids) AS n, sent, failed, status FROM notification_batches "
        "WHERE notification_id = $1 ORDER BY batch",
        nid,
    )
    assert [(s["n"], s["status"]) for s in sizes] == [(500, "done"), (500, "done"), (200, "done")]
    # And FCM received each accepted message once, with the title, body and data (notification_id added)
    received = await _fcm_messages(push_pair.fcm, scene.project)
    assert received["count"] == 1195
    message = received["messages"][0]["message"]
    assert message["notification"] == {"title": PUSH["title"], "body": PUSH["body"]}
    assert message["data"] == {"screen": "home", "notification_id": str(nid)}
    assert {m["message"]["token"] for m in received["messages"]} == set(tokens[:1195])
    # And the 5 unregistered tokens were cleared from their devices, the others kept
    cleared = await db.fetch(
        "SELECT id FROM devices WHERE app_id = $1 AND fcm_token IS NULL", scene.app["id"]
    )
    assert sorted(r["id"] for r in cleared) == sorted(ids[-5:])
    # When two devices open it (one of them twice) / Then the history counts 2 opens
    opened = [
        {
            "android_id": f"dev-{n}",
            "event_type": "notification_clicked",
            "event_data": {"notification_id": nid},
        }
        for n in (1, 2, 2)
    ]
    r = await client.request(
        "POST", "/events/batch", headers={"X-SDK-Key": scene.app["sdk_key"]}, json={"events": opened}
    )
    assert r.status_code == 202

    async def opens() -> Any:
        return [n for n in await scene.history() if n["id"] == nid and n["opened"] == 2]

    await _until(opens, 30, "the opens")
    await client.close()


async def test_scheduled__fires_once_within_a_minute_with_two_schedulers_and_a_cancelled_one_never(
    push_pair: PushPair, db: asyncpg.Connection
) -> None:
    # Given an app with 3 devices with tokens and two schedulers running
    client = Client(push_pair.base)
    scene = await _app(client, f"{push_pair.fcm}/token")
    await _devices(db, scene.app["id"], ["a-token", "b-token", "c-token"])
    send_at = datetime.now(UTC) + timedelta(seconds=3)
    # When one push is scheduled and another scheduled then cancelled
    r = await scene.send(target="all", send_at=send_at.isoformat())
    assert r.status_code == 202, r.text
    scheduled = r.json()
    assert scheduled == {**scheduled, "status": "scheduled", "job_id": None, "target_count": 3}
    other = (
        await scene.send(
            target="all",
            title="cancel me",
            send_at=(send_at + timedelta(seconds=10)).strftime("%Y-%m-%d %H:%M:%S"),
        )
    ).json()
    r = await scene.request("DELETE", f"/notifications/{other['notification_id']}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    again = await scene.request("DELETE", f"/notifications/{other['notification_id']}")
    assert again.status_code == 409

    async def delivered() -> Any:
        return [
            n
            for n in await scene.history()
            if n["id"] == scheduled["notification_id"] and n["status"] == "delivered"
        ]

    # Then the scheduled one is sent within a minute of send_at
    (sent,) = await _until(delivered, 80, "the scheduled push")
    fired = datetime.fromisoformat(sent["sent_at"].replace("Z", "+00:00"))
    assert timedelta(0) <= fired - send_at.replace(microsecond=0) < timedelta(seconds=60)
    assert sent["sent"] == 3 and sent["failed"] == 0
    # once: the stand-in got 3 messages for this app, not 6, and none of the cancelled one
    await asyncio.sleep(2)
    received = await _fcm_messages(push_pair.fcm, scene.project)
    assert received["count"] == 3
    assert {m["message"]["notification"]["title"] for m in received["messages"]} == {PUSH["title"]}
    cancelled = next(n for n in await scene.history() if n["id"] == other["notification_id"])
    assert cancelled["status"] == "cancelled" and cancelled["sent"] == 0
    # And a push already sent cannot be cancelled
    r = await scene.request("DELETE", f"/notifications/{scheduled['notification_id']}")
    assert r.status_code == 409 and "delivered" in r.json()["error"]
    await client.close()


# --- refused before anything is sent (the session's server) ---------------------------------------------


async def test_send__app_without_fcm_credentials__503_with_a_clear_message_and_nothing_stored(
    client: Client, db: asyncpg.Connection
) -> None:
    scene = await _app(client)
    r = await scene.send(target="all")
    assert r.status_code == 503
    assert "fcm-credentials" in r.json()["error"]
    assert await db.fetchval("SELECT count(*) FROM notifications") == 0


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"target": "all", "body": "x" * 4000, "data": {"k": "v" * 200}}, "body"),
        ({"target": "all", "data": {"google.sent_time": "1"}}, "data.google.sent_time"),
        ({"target": "all", "data": {"from": "me"}}, "data.from"),
        ({"target": "all", "data": {"count": 3}}, "data.count"),
        ({"target": "device"}, "device_id"),
        ({"target": "segment"}, "segment"),
        ({"target": "segment", "segment": "whales"}, "segment"),
        ({"target": "custom_segment"}, "segment_id"),
        ({"target": "everyone"}, "target"),
        ({"target": "all", "title": ""}, "title"),
        ({"target": "all", "send_at": "tomorrow"}, "send_at"),
        ({"target": "all", "send_at": "2099-01-01T00:00:00Z"}, "send_at"),
    ],
)
async def test_send__invalid__400_naming_the_field_and_nothing_stored(
    client: Client, db: asyncpg.Connection, fields: dict[str, Any], detail: str
) -> None:
    scene = await _app(client, "http://127.0.0.1:9/token")  # credentials present: the checks come first
    r = await scene.send(**fields)
    assert r.status_code == 400, r.text
    assert detail in r.json()["details"], r.json()
    assert await db.fetchval("SELECT count(*) FROM notifications") == 0


async def test_send_and_cancel__viewer_403_other_org_404_and_nothing_changes(
    client: Client, stranger: Client, database_url: str, db: asyncpg.Connection
) -> None:
    # Given an app with a scheduled push, a device and a custom segment
    scene = await _app(client, "http://127.0.0.1:9/token")
    (device,) = await _devices(db, scene.app["id"], ["t"])
    later = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    r = await scene.send(target="all", send_at=later)
    nid = r.json()["notification_id"]
    rule = {"field": "country", "operator": "eq", "value": "DE"}
    segment = (
        await scene.request(
            "POST", "/segments", json={"app_id": scene.app["id"], "name": "s", "rules": [rule]}
        )
    ).json()
    me = (await scene.request("GET", "/auth/me")).json()
    viewer = (await add_member(database_url, me["org"]["id"], "viewer", client))["token"]
    # When a viewer sends or cancels / Then 403, though they may read the history
    body = {"app_id": scene.app["id"], **PUSH, "target": "all"}
    assert (await client.request("POST", "/notifications/send", viewer, json=body)).status_code == 403
    assert (await client.request("DELETE", f"/notifications/{nid}", viewer)).status_code == 403
    listed = await client.request("GET", "/notifications", viewer, params={"app_id": scene.app["id"]})
    assert listed.status_code == 200 and [n["id"] for n in listed.json()["notifications"]] == [nid]
    # When another org names this org's app, device, segment or push / Then 404
    other = await _app(stranger, "http://127.0.0.1:9/token")
    calls = [
        ("POST", "/notifications/send", {**body}, None),
        (
            "POST",
            "/notifications/send",
            {**body, "app_id": other.app["id"], "target": "device", "device_id": device},
            None,
        ),
        (
            "POST",
            "/notifications/send",
            {**body, "app_id": other.app["id"], "target": "custom_segment", "segment_id": segment["id"]},
            None,
        ),
        ("DELETE", f"/notifications/{nid}", None, None),
        ("GET", "/notifications", None, {"app_id": scene.app["id"]}),
    ]
    for method, path, json_body, params in calls:
        r = await stranger.request(method, path, other.token, json=json_body, params=params)
        assert r.status_code == 404, (method, path, json_body, r.text)
    # And the push is still scheduled, and the other org stored nothing
    assert await db.fetchval("SELECT status FROM notifications WHERE id = $1", nid) == "scheduled"
    assert await db.fetchval("SELECT count(*) FROM notifications") == 1
