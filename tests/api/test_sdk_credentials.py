"""SDK key and org API key authentication through the SDK routes of the foundation:
POST /devices/register and POST /sdk/auto-register."""

from __future__ import annotations

import asyncio
import re

import asyncpg

from tests.support import Client, Platform


async def _setup(client: Client) -> tuple[dict, dict]:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    return owner, app


async def test_register_device__new_then_same__one_device_updated(client: Client, database_url: str) -> None:
    # Given an app and its SDK key
    _, app = await _setup(client)
    headers = {"X-SDK-Key": app["sdk_key"]}
    # When the same android_id registers twice
    first = await client.request(
        "POST",
        "/devices/register",
        headers=headers,
        json={"android_id": "dev-1", "country": "in", "brand": "Samsung"},
    )
    second = await client.request(
        "POST", "/devices/register", headers=headers, json={"android_id": "dev-1", "app_version": "2.0"}
    )
    # Then one device exists, updated, country upper-case, unset fields kept
    assert first.status_code == second.status_code == 200
    assert first.json()["success"] is True
    device = first.json()["device"]
    assert device["android_id"] == "dev-1" and device["user_segment"] == "new"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", device["created_at"])
    assert second.json()["device"]["id"] == device["id"]
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT country, brand, app_version FROM devices WHERE app_id = $1", app["id"]
        )
    finally:
        await conn.close()
    assert [dict(r) for r in rows] == [{"country": "IN", "brand": "Samsung", "app_version": "2.0"}]


async def test_register_device__invalid_fields__400_nothing_stored(client: Client, database_url: str) -> None:
    _, app = await _setup(client)
    headers = {"X-SDK-Key": app["sdk_key"]}
    bad_bodies = [
        {},
        {"android_id": ""},
        {"android_id": "has space"},
        {"android_id": "x" * 129},
        {"android_id": "ok", "country": "IND"},
        {"android_id": "ok", "install_type": "sideload"},
        {"android_id": "ok", "brand": "b" * 256},
        {"android_id": 42},
    ]
    for body in bad_bodies:
        r = await client.request("POST", "/devices/register", headers=headers, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "details" in r.json()
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app["id"]) == 0
    finally:
        await conn.close()


async def test_sdk_key__missing_or_wrong__401(client: Client) -> None:
    await _setup(client)
    assert (await client.request("POST", "/devices/register", json={"android_id": "a"})).status_code == 401
    r = await client.request(
        "POST", "/devices/register", headers={"X-SDK-Key": "sk_0000000000000000"}, json={"android_id": "a"}
    )
    assert r.status_code == 401


async def test_sdk_key__jwt_is_not_an_sdk_credential__401(client: Client) -> None:
    owner, _ = await _setup(client)
    r = await client.request("POST", "/devices/register", owner["token"], json={"android_id": "a"})
    assert r.status_code == 401


async def test_sdk_key__cannot_reach_dashboard_routes__401(client: Client) -> None:
    _, app = await _setup(client)
    r = await client.request("GET", "/apps", headers={"X-SDK-Key": app["sdk_key"]})
    assert r.status_code == 401


async def test_rotate_key__old_key_stops_working_in_every_api_process(
    client: Client, platform: Platform
) -> None:
    # Given two API processes that both have the key cached
    owner, app = await _setup(client)
    _, other_base = platform.serve()
    other = Client(other_base)
    try:
        for c in (client, other):
            r = await c.request(
                "POST",
                "/devices/register",
                headers={"X-SDK-Key": app["sdk_key"]},
                json={"android_id": "warm"},
            )
            assert r.status_code == 200
        # When the key is rotated through the first process
        rotated = await client.request("POST", f"/apps/{app['id']}/rotate-key", owner["token"])
        assert rotated.status_code == 200
        new_key = rotated.json()["sdk_key"]
        # Then the old key is refused by both (within a second), and the new key works
        for c in (client, other):
            for _ in range(50):
                r = await c.request(
                    "POST",
                    "/devices/register",
                    headers={"X-SDK-Key": app["sdk_key"]},
                    json={"android_id": "warm"},
                )
                if r.status_code == 401:
                    break
                await asyncio.sleep(0.02)
            assert r.status_code == 401
            r = await c.request(
                "POST", "/devices/register", headers={"X-SDK-Key": new_key}, json={"android_id": "w"}
            )
            assert r.status_code == 200
    finally:
        await other.close()


async def test_delete_app__its_sdk_key_stops_working(client: Client) -> None:
    owner, app = await _setup(client)
    headers = {"X-SDK-Key": app["sdk_key"]}
    assert (
        await client.request("POST", "/devices/register", headers=headers, json={"android_id": "a"})
    ).status_code == 200
    assert (await client.request("DELETE", f"/apps/{app['id']}", owner["token"])).status_code == 200
    assert (
        await client.request("POST", "/devices/register", headers=headers, json={"android_id": "a"})
    ).status_code == 401


async def test_sdk_body__over_256_kib__413(client: Client) -> None:
    _, app = await _setup(client)
    r = await client.request(
        "POST",
        "/devices/register",
        headers={"X-SDK-Key": app["sdk_key"]},
        json={"android_id": "a", "brand": "x" * (300 * 1024)},
    )
    assert r.status_code == 413
    assert r.json()["error"].startswith("Request body too large")


async def test_sdk_tier__per_app_limit_200__201st_is_429(client: Client) -> None:
    _, app = await _setup(client)
    headers = {"X-SDK-Key": app["sdk_key"]}
    results = await asyncio.gather(
        *[
            client.request("POST", "/devices/register", headers=headers, json={"android_id": f"d{i % 7}"})
            for i in range(230)
        ]
    )
    codes = [r.status_code for r in results]
    assert codes.count(200) == 200 and codes.count(429) == 30
    admitted = [r for r in results if r.status_code == 200]
    assert {int(r.headers["X-RateLimit-Remaining"]) for r in admitted} == set(range(200))
    assert all(r.headers["X-RateLimit-Limit"] == "200" for r in results)
    assert all(int(r.headers["Retry-After"]) >= 1 for r in results if r.status_code == 429)


async def test_auto_register__org_key__creates_app_then_reuses_it(client: Client) -> None:
    owner = await client.register()
    api_key = (await client.request("GET", "/org/api-key", owner["token"])).json()["api_key"]
    headers = {"X-API-Key": api_key}
    body = {
        "package_name": "com.example.auto",
        "app_name": "Auto",
        "android_id": "dev-1",
        "android_ver": "Android API 34",
        "app_ver": "v 1.0",
    }
    first = await client.request("POST", "/sdk/auto-register", headers=headers, json=body)
    assert first.status_code == 200, first.text
    first_body = first.json()
    assert first_body["success"] is True
    assert first_body["app_action"] == "created" and first_body["device_action"] == "registered"
    assert re.fullmatch(r"sk_[0-9a-f]{16}", first_body["sdk_key"])
    second = (await client.request("POST", "/sdk/auto-register", headers=headers, json=body)).json()
    assert second["app_action"] == "existing" and second["device_action"] == "updated"
    assert (second["app_id"], second["sdk_key"], second["device_id"]) == (
        first_body["app_id"],
        first_body["sdk_key"],
        first_body["device_id"],
    )
    apps = (await client.request("GET", "/apps", owner["token"])).json()["apps"]
    assert [(a["id"], a["name"], a["package_name"]) for a in apps] == [
        (first_body["app_id"], "Auto", "com.example.auto")
    ]
    # the returned key works on SDK routes
    r = await client.request(
        "POST",
        "/devices/register",
        headers={"X-SDK-Key": first_body["sdk_key"]},
        json={"android_id": "dev-2"},
    )
    assert r.status_code == 200


async def test_auto_register__plan_app_limit__403(client: Client) -> None:
    owner = await client.register()
    await client.create_app(owner["token"], package="com.example.first")
    api_key = (await client.request("GET", "/org/api-key", owner["token"])).json()["api_key"]
    r = await client.request(
        "POST",
        "/sdk/auto-register",
        headers={"X-API-Key": api_key},
        json={"package_name": "com.example.second", "android_id": "d"},
    )
    assert r.status_code == 403
    assert r.json()["error"].startswith("Plan limit reached")


async def test_auto_register__bad_or_rotated_key__401(client: Client) -> None:
    owner = await client.register()
    old = (await client.request("GET", "/org/api-key", owner["token"])).json()["api_key"]
    body = {"package_name": "com.example.auto", "android_id": "dev-1"}
    assert (await client.request("POST", "/sdk/auto-register", json=body)).status_code == 401
    r = await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": "ok_" + "0" * 32}, json=body)
    assert r.status_code == 401
    rotated = await client.request("POST", "/org/api-key/rotate", owner["token"])
    assert rotated.status_code == 200 and rotated.json()["api_key"] != old
    assert (
        await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": old}, json=body)
    ).status_code == 401
    new = rotated.json()["api_key"]
    assert (
        await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": new}, json=body)
    ).status_code == 200


async def test_auto_register__sdk_key_is_not_an_org_key__401(client: Client) -> None:
    _, app = await _setup(client)
    r = await client.request(
        "POST",
        "/sdk/auto-register",
        headers={"X-API-Key": app["sdk_key"], "X-SDK-Key": app["sdk_key"]},
        json={"package_name": "com.example.auto", "android_id": "dev-1"},
    )
    assert r.status_code == 401


async def test_auto_register__invalid_body__400_nothing_created(client: Client) -> None:
    owner = await client.register()
    api_key = (await client.request("GET", "/org/api-key", owner["token"])).json()["api_key"]
    for body in (
        {"android_id": "d"},
        {"package_name": "nodots", "android_id": "d"},
        {"package_name": "com.example.x", "android_id": "bad id"},
    ):
        r = await client.request("POST", "/sdk/auto-register", headers={"X-API-Key": api_key}, json=body)
        assert r.status_code == 400, body
    assert (await client.request("GET", "/apps", owner["token"])).json()["apps"] == []
