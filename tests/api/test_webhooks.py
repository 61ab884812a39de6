"""Webhooks over HTTP: management, validation, roles and isolation, and the outbound guard at creation
(API.md section 9; README "Webhooks"). The session's server refuses private targets
(WEBHOOK_ALLOW_PRIVATE_TARGETS off), so these tests see the guard as production does."""

from __future__ import annotations

import base64
import re
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import Client, add_member

HOOK = {"name": "Orders", "url": "https://93.184.216.34/hook", "events": ["purchase", "session_start"]}


async def _owner_app(client: Client) -> tuple[str, dict[str, Any]]:
    owner = await client.register()
    return owner["token"], await client.create_app(owner["token"])


async def _post(client: Client, token: str, app_id: int, **fields: Any) -> httpx.Response:
    return await client.request("POST", "/webhooks", token, json={"app_id": app_id, **HOOK, **fields})


async def _count(db: asyncpg.Connection, app_id: int) -> int:
    return await db.fetchval("SELECT count(*) FROM webhooks WHERE app_id = $1", app_id)


async def test_create__valid__201_with_secret_once_then_listed_without_it(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an owner and their app
    token, app = await _owner_app(client)
    # When a webhook is created
    r = await _post(client, token, app["id"], events=["purchase", "purchase", "*"])
    # Then it answers 201 with the webhook and a Standard Webhooks secret (32 random bytes, base64)
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook == {
        **hook,
        "app_id": app["id"],
        "name": "Orders",
        "url": HOOK["url"],
        "events": ["purchase", "*"],
        "is_active": True,
        "failure_count": 0,
        "disabled_reason": None,
    }
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", hook["secret"])
    assert len(base64.b64decode(hook["secret"].removeprefix("whsec_"))) == 32
    # And the secret is stored encrypted and never shown again
    stored = await db.fetchval("SELECT secret FROM webhooks WHERE id = $1", hook["id"])
    assert hook["secret"] not in stored and hook["secret"][6:] not in stored
    listed = await client.request("GET", "/webhooks", token, params={"app_id": app["id"]})
    one = await client.request("GET", f"/webhooks/{hook['id']}", token)
    assert listed.status_code == one.status_code == 200
    assert listed.json() == {"webhooks": [{k: v for k, v in hook.items() if k != "secret"}]}
    assert "secret" not in one.json() and hook["secret"] not in listed.text + one.text


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"events": ["purchase", "order.paid"]}, "events.1"),
        ({"events": []}, "events"),
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://" + "a" * 2100 + ".com/"}, "url"),
        ({"name": ""}, "name"),
        ({"events": "purchase"}, "events"),
    ],
)
async def test_create__invalid_input__400_naming_the_field_and_nothing_stored(
    client: Client, db: asyncpg.Connection, fields: dict[str, Any], detail: str
) -> None:
    token, app = await _owner_app(client)
    r = await _post(client, token, app["id"], **fields)
    assert r.status_code == 400, r.text
    assert detail in r.json()["details"], r.json()
    assert await _count(db, app["id"]) == 0


async def test_create__eleventh_webhook__400_naming_the_cap_and_not_stored(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app with 10 webhooks
    token, app = await _owner_app(client)
    for i in range(10):
        assert (await _post(client, token, app["id"], name=f"hook {i}")).status_code == 201
    # When an eleventh is created / Then 400 names the cap, and there are still 10
    r = await _post(client, token, app["id"], name="one too many")
    assert r.status_code == 400
    assert r.json()["error"] == "An app can have at most 10 webhooks"
    assert "app_id" in r.json()["details"]
    assert await _count(db, app["id"]) == 10


async def test_update__fields_rotation_and_reenable__secret_answered_once_and_activity_has_before_after(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a webhook that was disabled after failures
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    await db.execute(
        "UPDATE webhooks SET is_active = false, failure_count = 20, disabled_reason = 'x' WHERE id = $1",
        hook["id"],
    )
    # When it is renamed, its events changed, re-enabled and its secret rotated
    r = await client.request(
        "PUT",
        f"/webhooks/{hook['id']}",
        token,
        json={"name": "Renamed", "events": ["device.registered"], "is_active": True, "rotate_secret": True},
    )
    # Then the answer has the change, a new secret, and the failure state cleared
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"] == "Renamed" and updated["events"] == ["device.registered"]
    assert updated["is_active"] and updated["failure_count"] == 0 and updated["disabled_reason"] is None
    assert updated["secret"].startswith("whsec_") and updated["secret"] != hook["secret"]
    # And an update without rotation answers no secret
    r = await client.request("PUT", f"/webhooks/{hook['id']}", token, json={"url": "https://93.184.216.35/h"})
    assert r.status_code == 200 and "secret" not in r.json()
    # And the activity log has each change with before and after, never a secret
    log = await client.request("GET", "/settings/activity", token, params={"action": "webhook.*"})
    entries = log.json()["entries"]
    assert [e["action"] for e in entries] == ["webhook.update", "webhook.update", "webhook.create"]
    assert entries[1]["details"]["before"]["name"] == "Orders"
    assert entries[1]["details"]["after"]["name"] == "Renamed"
    assert entries[1]["details"]["secret"] == "rotated"
    assert hook["secret"] not in log.text and updated["secret"] not in log.text


async def test_update__null_or_refused_url__400_and_unchanged(client: Client, db: asyncpg.Connection) -> None:
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    for body in ({"name": None}, {"url": "http://127.0.0.1/x"}, {"events": ["nope"]}):
        r = await client.request("PUT", f"/webhooks/{hook['id']}", token, json=body)
        assert r.status_code == 400, (body, r.text)
    assert await db.fetchval("SELECT url FROM webhooks WHERE id = $1", hook["id"]) == HOOK["url"]


async def test_delete__webhook_with_deliveries__both_gone_and_404_after(
    client: Client, db: asyncpg.Connection
) -> None:
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    await db.execute(
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, attempt, status, at) "
        "VALUES ($1, 'd1', 'purchase', 1, 'failed', now())",
        hook["id"],
    )
    r = await client.request("DELETE", f"/webhooks/{hook['id']}", token)
    assert r.status_code == 200 and r.json() == {"success": True}
    assert await db.fetchval("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1", hook["id"]) == 0
    assert (await client.request("GET", f"/webhooks/{hook['id']}", token)).status_code == 404
    assert (await client.request("DELETE", f"/webhooks/{hook['id']}", token)).status_code == 404


async def test_roles__viewer_reads_but_cannot_change__403_and_nothing_changes(
    client: Client, database_url: str, db: asyncpg.Connection
) -> None:
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    me = (await client.request("GET", "/auth/me", token)).json()
    viewer = (await add_member(database_url, me["org"]["id"], "viewer", client))["token"]
    assert (await client.request("GET", "/webhooks", viewer, params={"app_id": app["id"]})).status_code == 200
    assert (await client.request("GET", f"/webhooks/{hook['id']}/deliveries", viewer)).status_code == 200
    calls = [
        ("POST", "/webhooks", {"app_id": app["id"], **HOOK}),
        ("PUT", f"/webhooks/{hook['id']}", {"name": "x"}),
        ("DELETE", f"/webhooks/{hook['id']}", None),
        ("POST", f"/webhooks/{hook['id']}/test", None),
    ]
    for method, path, body in calls:
        r = await client.request(method, path, viewer, json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert await _count(db, app["id"]) == 1
    assert await db.fetchval("SELECT name FROM webhooks WHERE id = $1", hook["id"]) == "Orders"


async def test_other_org__every_route__404_and_nothing_leaks(client: Client, stranger: Client) -> None:
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    other = (await stranger.register())["token"]
    calls = [
        ("GET", "/webhooks", None, {"app_id": app["id"]}),
        ("POST", "/webhooks", {"app_id": app["id"], **HOOK}, None),
        ("GET", f"/webhooks/{hook['id']}", None, None),
        ("PUT", f"/webhooks/{hook['id']}", {"name": "mine"}, None),
        ("DELETE", f"/webhooks/{hook['id']}", None, None),
        ("POST", f"/webhooks/{hook['id']}/test", None, None),
        ("GET", f"/webhooks/{hook['id']}/deliveries", None, None),
    ]
    for method, path, body, params in calls:
        r = await stranger.request(method, path, other, json=body, params=params)
        assert r.status_code == 404, (method, path, r.text)
        assert HOOK["url"] not in r.text
    assert (await client.request("GET", f"/webhooks/{hook['id']}", token)).json()["name"] == "Orders"


# The guard at creation, with WEBHOOK_ALLOW_PRIVATE_TARGETS off: loopback, private, link-local, CGNAT,
# multicast, unspecified, metadata, their IPv6 forms, odd encodings, and a name resolving to 127.0.0.1.
REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://0x7f000001/hook",
    "http://2130706433/hook",
    "http://017700000001/hook",
    "http://0177.0.0.1/hook",
    "http://10.0.0.8/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://224.0.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://[::ffff:0:7f00:1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://[2002:7f00:1::1]/hook",
    "http://[::127.0.0.1]/hook",
    "http://localhost:8080/hook",
    "https://localhost/hook",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_create__non_public_target__400_and_nothing_stored(
    client: Client, db: asyncpg.Connection, url: str
) -> None:
    token, app = await _owner_app(client)
    r = await _post(client, token, app["id"], url=url)
    assert r.status_code == 400, r.text
    # (a host httpx itself cannot parse, like 0177.0.0.1, is "Invalid URL": refused all the same)
    assert r.json()["error"] in ("URL not allowed", "Invalid URL") and "url" in r.json()["details"]
    assert await _count(db, app["id"]) == 0


async def test_prune__attempts_past_retention__deleted_recent_kept_and_listed(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a webhook with an attempt 8 days old and one from now (retention: 7 days by default)
    token, app = await _owner_app(client)
    hook = (await _post(client, token, app["id"])).json()
    await db.execute(
        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, attempt, status, at) VALUES "
        "($1, 'old', 'purchase', 1, 'delivered', now() - interval '8 days'), "
        "($1, 'new', 'purchase', 1, 'delivered', now())",
        hook["id"],
    )
    # When the daily prune runs (what actors.webhooks.prune_webhook_deliveries calls)
    from core.db import close_db, init_db
    from core.settings import get_settings
    from pipelines import webhookdelivery

    await init_db(get_settings())
    try:
        removed = await webhookdelivery.prune(get_settings())
    finally:
        await close_db()
    # Then only the old attempt is gone
    assert removed == 1
    r = await client.request("GET", f"/webhooks/{hook['id']}/deliveries", token)
    assert [d["delivery_id"] for d in r.json()["deliveries"]] == ["new"]
