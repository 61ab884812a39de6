"""Feature flags over HTTP: management, SDK evaluation with caching, targeting and invalidation
(API.md section 6 and GET /sdk/flags of section 1)."""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import Any

import asyncpg
import pytest

from pipelines import devicecache
from tests.support import Client, Platform, add_member, poll_job


async def _setup(client: Client) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    return owner, app, {"X-SDK-Key": app["sdk_key"]}


async def _create(client: Client, token: str, app_id: int, **fields: Any) -> dict[str, Any]:
    r = await client.request("POST", "/flags", token, json={"app_id": app_id, "name": "A flag", **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def _update(client: Client, token: str, flag_id: int, **fields: Any) -> dict[str, Any]:
    r = await client.request("PUT", f"/flags/{flag_id}", token, json=fields)
    assert r.status_code == 200, r.text
    return r.json()


async def _sdk_flags(client: Client, sdk: dict[str, str], android_id: str) -> dict[str, Any]:
    r = await client.request("GET", "/sdk/flags", headers=sdk, params={"android_id": android_id})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "private, max-age=60"
    return r.json()["flags"]


def _bucket(key: str, android_id: str) -> int:
    return zlib.crc32(f"{key}:{android_id}".encode()) % 100


async def _eventually(check: Any, timeout: float = 1.0) -> float:
    """Poll `check()` until it is true; returns how long it took (fails after `timeout`)."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.02)


# --- management -------------------------------------------------------------------------------------------


async def test_flags__create_list_update_delete__round_trip(client: Client) -> None:
    owner, app, _ = await _setup(client)
    token = owner["token"]
    flag = await _create(
        client,
        token,
        app["id"],
        flag_key="new_onboarding",
        flag_type="boolean",
        is_enabled=True,
        rollout_pct=25,
    )
    assert {
        k: flag[k]
        for k in (
            "app_id",
            "flag_key",
            "name",
            "flag_type",
            "is_enabled",
            "rollout_pct",
            "variants",
            "segments",
            "custom_segment_ids",
            "countries",
            "min_app_version",
        )
    } == {
        "app_id": app["id"],
        "flag_key": "new_onboarding",
        "name": "A flag",
        "flag_type": "boolean",
        "is_enabled": True,
        "rollout_pct": 25,
        "variants": [],
        "segments": [],
        "custom_segment_ids": [],
        "countries": [],
        "min_app_version": None,
    }
    multi = await _create(
        client,
        token,
        app["id"],
        flag_key="cta_color",
        flag_type="multivariate",
        is_enabled=True,
        variants=[
            {"key": "green", "value": "#22C55E", "weight": 50},
            {"key": "orange", "value": {"hex": "#F59E0B"}, "weight": 50},
        ],
    )
    assert multi["rollout_pct"] == 100 and multi["variants"][1]["value"] == {"hex": "#F59E0B"}
    r = await client.request("GET", "/flags", token, params={"app_id": app["id"]})
    assert [f["flag_key"] for f in r.json()["flags"]] == ["new_onboarding", "cta_color"]
    updated = await _update(
        client,
        token,
        flag["id"],
        app_id=app["id"],
        rollout_pct=50,
        countries=["de", "FR"],
        segments=["power_user", "new"],
        min_app_version="2.4",
    )
    assert (
        updated["rollout_pct"],
        updated["countries"],
        updated["segments"],
        updated["min_app_version"],
    ) == (50, ["DE", "FR"], ["power_user", "new"], "2.4")
    r = await client.request("DELETE", f"/flags/{multi['id']}", token)
    assert r.status_code == 200 and r.json() == {"success": True}
    r = await client.request("GET", "/flags", token, params={"app_id": app["id"]})
    assert [f["flag_key"] for f in r.json()["flags"]] == ["new_onboarding"]
    assert (await client.request("DELETE", f"/flags/{multi['id']}", token)).status_code == 404


async def test_flags__duplicate_key__409_and_nothing_stored(client: Client, db: asyncpg.Connection) -> None:
    owner, app, _ = await _setup(client)
    await _create(client, owner["token"], app["id"], flag_key="dup")
    other = await _create(client, owner["token"], app["id"], flag_key="other")
    r = await client.request("POST", "/flags", owner["token"], json={"app_id": app["id"], "flag_key": "dup"})
    assert r.status_code == 409 and "error" in r.json()
    r = await client.request("PUT", f"/flags/{other['id']}", owner["token"], json={"flag_key": "dup"})
    assert r.status_code == 409
    assert await db.fetchval("SELECT count(*) FROM feature_flags WHERE app_id = $1", app["id"]) == 2
    assert await db.fetchval("SELECT flag_key FROM feature_flags WHERE id = $1", other["id"]) == "other"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"flag_key": "Upper"}, "flag_key"),
        ({"flag_key": "has space"}, "flag_key"),
        ({"flag_key": "x" * 65}, "flag_key"),
        ({"flag_key": ""}, "flag_key"),
        ({}, "flag_key"),
        ({"flag_key": "ok", "rollout_pct": 101}, "rollout_pct"),
        ({"flag_key": "ok", "rollout_pct": -1}, "rollout_pct"),
        ({"flag_key": "ok", "rollout_pct": 12.5}, "rollout_pct"),
        ({"flag_key": "ok", "flag_type": "percentage"}, "flag_type"),
        ({"flag_key": "ok", "flag_type": "multivariate"}, "variants"),
        (
            {
                "flag_key": "ok",
                "flag_type": "multivariate",
                "variants": [{"key": "a", "value": 1, "weight": 1}],
            },
            "variants",
        ),
        (
            {
                "flag_key": "ok",
                "flag_type": "multivariate",
                "variants": [{"key": "a", "value": 1, "weight": 0}, {"key": "b", "value": 2, "weight": 1}],
            },
            "variants",
        ),
        (
            {
                "flag_key": "ok",
                "flag_type": "multivariate",
                "variants": [{"key": "a", "value": 1, "weight": 1.5}, {"key": "b", "value": 2, "weight": 1}],
            },
            "variants",
        ),
        (
            {
                "flag_key": "ok",
                "flag_type": "multivariate",
                "variants": [{"key": "a", "value": 1, "weight": 1}, {"key": "a", "value": 2, "weight": 1}],
            },
            "variants",
        ),
        (
            {
                "flag_key": "ok",
                "variants": [{"key": "a", "value": 1, "weight": 1}, {"key": "b", "value": 2, "weight": 1}],
            },
            "variants",
        ),
        ({"flag_key": "ok", "segments": ["POWER_USER"]}, "segments"),
        ({"flag_key": "ok", "segments": ["vip"]}, "segments"),
        ({"flag_key": "ok", "countries": ["DEU"]}, "countries"),
        ({"flag_key": "ok", "countries": "DE"}, "countries"),
        ({"flag_key": "ok", "min_app_version": "latest"}, "min_app_version"),
        ({"flag_key": "ok", "custom_segment_ids": [12345]}, "custom_segment_ids"),
        ({"flag_key": "ok", "is_enabled": "yes"}, "is_enabled"),
    ],
)
async def test_flags__invalid_body__400_naming_the_field(
    client: Client, db: asyncpg.Connection, body: dict[str, Any], field: str
) -> None:
    owner, app, _ = await _setup(client)
    r = await client.request("POST", "/flags", owner["token"], json={"app_id": app["id"], **body})
    assert r.status_code == 400, r.text
    assert field in str(r.json().get("details")), r.json()
    assert await db.fetchval("SELECT count(*) FROM feature_flags WHERE app_id = $1", app["id"]) == 0


async def test_flags__invalid_update__400_and_flag_unchanged(client: Client) -> None:
    owner, app, _ = await _setup(client)
    flag = await _create(client, owner["token"], app["id"], flag_key="f", rollout_pct=30)
    for body in (
        {"rollout_pct": 200},
        {"flag_type": "multivariate"},
        {"min_app_version": "?"},
        {"name": None},
        {"rollout_pct": None},
        {"is_enabled": None},
        {"segments": None},
        {"flag_key": None},
    ):
        r = await client.request("PUT", f"/flags/{flag['id']}", owner["token"], json=body)
        assert r.status_code == 400, (body, r.text)
    r = await client.request("GET", "/flags", owner["token"], params={"app_id": app["id"]})
    assert r.json()["flags"][0]["rollout_pct"] == 30 and r.json()["flags"][0]["flag_type"] == "boolean"


async def test_flags__other_org_and_viewer(client: Client, database_url: str) -> None:
    owner, app, _ = await _setup(client)
    flag = await _create(client, owner["token"], app["id"], flag_key="mine")
    stranger = Client(client.base)
    try:
        other = await stranger.register()
        other_app = await stranger.create_app(other["token"])
        # Another org's flag and app: 404, never its data
        assert (
            await stranger.request("PUT", f"/flags/{flag['id']}", other["token"], json={"rollout_pct": 1})
        ).status_code == 404
        assert (await stranger.request("DELETE", f"/flags/{flag['id']}", other["token"])).status_code == 404
        assert (
            await stranger.request("GET", "/flags", other["token"], params={"app_id": app["id"]})
        ).status_code == 404
        assert (
            await stranger.request(
                "POST", "/flags", other["token"], json={"app_id": app["id"], "flag_key": "x"}
            )
        ).status_code == 404
        # A flag addressed through another app of the caller's own org is not found either
        assert (
            await client.request(
                "PUT",
                f"/flags/{flag['id']}",
                owner["token"],
                json={"app_id": other_app["id"], "rollout_pct": 1},
            )
        ).status_code == 404
    finally:
        await stranger.close()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    assert (
        await client.request("GET", "/flags", viewer["token"], params={"app_id": app["id"]})
    ).status_code == 200
    assert (
        await client.request("POST", "/flags", viewer["token"], json={"app_id": app["id"], "flag_key": "v"})
    ).status_code == 403
    assert (
        await client.request("PUT", f"/flags/{flag['id']}", viewer["token"], json={"rollout_pct": 1})
    ).status_code == 403
    assert (await client.request("DELETE", f"/flags/{flag['id']}", viewer["token"])).status_code == 403
    r = await client.request("GET", "/flags", owner["token"], params={"app_id": app["id"]})
    assert r.json()["flags"][0]["rollout_pct"] == 100


async def test_flags__activity_log_keeps_before_and_after(client: Client) -> None:
    owner, app, _ = await _setup(client)
    flag = await _create(client, owner["token"], app["id"], flag_key="logged", rollout_pct=25)
    await _update(client, owner["token"], flag["id"], rollout_pct=50, is_enabled=True)
    await client.request("DELETE", f"/flags/{flag['id']}", owner["token"])
    r = await client.request("GET", "/settings/activity", owner["token"])
    entries = [e for e in r.json()["entries"] if e["action"].startswith("flag.")]
    assert [e["action"] for e in entries] == ["flag.delete", "flag.update", "flag.create"]
    assert {e["resource_id"] for e in entries} == {str(flag["id"])}
    assert entries[1]["details"] == {
        "before": {"rollout_pct": 25, "is_enabled": False},
        "after": {"rollout_pct": 50, "is_enabled": True},
    }
    assert entries[2]["details"]["after"]["flag_key"] == "logged"
    assert entries[0]["details"]["before"]["rollout_pct"] == 50


# --- SDK evaluation ---------------------------------------------------------------------------------------


async def test_sdk_flags__shape_and_deterministic_evaluation(client: Client) -> None:
    owner, app, sdk = await _setup(client)
    token = owner["token"]
    await _create(client, token, app["id"], flag_key="new_onboarding", is_enabled=True, rollout_pct=25)
    await _create(
        client,
        token,
        app["id"],
        flag_key="cta_color",
        flag_type="multivariate",
        is_enabled=True,
        variants=[
            {"key": "green", "value": "#22C55E", "weight": 50},
            {"key": "orange", "value": "#F59E0B", "weight": 30},
            {"key": "blue", "value": [1, 2], "weight": 20},
        ],
    )
    await _create(client, token, app["id"], flag_key="off", is_enabled=False)
    values = {"green": "#22C55E", "orange": "#F59E0B", "blue": [1, 2]}
    for n in range(40):
        android_id = f"device-{n}"
        flags = await _sdk_flags(client, sdk, android_id)  # unknown devices: evaluated as new devices
        assert set(flags) == {"new_onboarding", "cta_color", "off"}
        assert flags["off"] == {"enabled": False, "type": "boolean"}
        assert flags["new_onboarding"] == {
            "enabled": _bucket("new_onboarding", android_id) < 25,
            "type": "boolean",
        }
        pick = zlib.crc32(f"cta_color:{android_id}:variant".encode()) % 100
        variant = "green" if pick < 50 else "orange" if pick < 80 else "blue"
        assert flags["cta_color"] == {
            "enabled": True,
            "type": "multivariate",
            "variant": variant,
            "value": values[variant],
        }
        assert await _sdk_flags(client, sdk, android_id) == flags


async def test_sdk_flags__etag_if_none_match_304(client: Client) -> None:
    owner, app, sdk = await _setup(client)
    flag = await _create(client, owner["token"], app["id"], flag_key="tagged", is_enabled=True)
    r = await client.request("GET", "/sdk/flags", headers=sdk, params={"android_id": "etag-device"})
    etag = r.headers["ETag"]
    r2 = await client.request(
        "GET", "/sdk/flags", headers={**sdk, "If-None-Match": etag}, params={"android_id": "etag-device"}
    )
    assert r2.status_code == 304 and r2.content == b""
    assert r2.headers["ETag"] == etag and r2.headers["Cache-Control"] == "private, max-age=60"
    assert "X-RateLimit-Remaining" in r2.headers
    # Another device's document differs; a changed flag changes the tag
    await _update(client, owner["token"], flag["id"], is_enabled=False)

    async def changed() -> bool:
        r3 = await client.request(
            "GET", "/sdk/flags", headers={**sdk, "If-None-Match": etag}, params={"android_id": "etag-device"}
        )
        return (
            r3.status_code == 200
            and r3.headers["ETag"] != etag
            and r3.json()["flags"]["tagged"]["enabled"] is False
        )

    await _eventually(changed)


async def test_sdk_flags__raising_rollout_keeps_devices_and_disabling_turns_all_off(
    client: Client, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client)
    # (an enterprise org: the sdk tier admits the many requests of this test)
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    flag = await _create(client, owner["token"], app["id"], flag_key="ramp", is_enabled=True, rollout_pct=25)
    ids = [f"ramp-{n}" for n in range(200)]

    async def enabled_set() -> set[str]:
        results = await asyncio.gather(*[_sdk_flags(client, sdk, a) for a in ids])
        return {a for a, f in zip(ids, results, strict=True) if f["ramp"]["enabled"]}

    at25 = await enabled_set()
    assert at25 == {a for a in ids if _bucket("ramp", a) < 25} and 25 <= len(at25) <= 75
    await _update(client, owner["token"], flag["id"], rollout_pct=50)
    at50: set[str] = set()

    async def raised() -> bool:
        nonlocal at50
        at50 = await enabled_set()
        return at50 == {a for a in ids if _bucket("ramp", a) < 50}

    await _eventually(raised, timeout=5)
    assert at25 <= at50 and len(at50) > len(at25)
    await _update(client, owner["token"], flag["id"], is_enabled=False)

    async def all_off() -> bool:
        return await enabled_set() == set()

    await _eventually(all_off, timeout=5)


async def test_sdk_flags__targeting_by_segment_country_and_version(
    client: Client, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client)
    token = owner["token"]
    await _create(client, token, app["id"], flag_key="de_only", is_enabled=True, countries=["DE"])
    await _create(client, token, app["id"], flag_key="power", is_enabled=True, segments=["power_user"])
    await _create(client, token, app["id"], flag_key="v2", is_enabled=True, min_app_version="2.10")
    for body in (
        {"android_id": "de-old", "country": "de", "app_version": "2.9.9"},
        {"android_id": "fr-new", "country": "FR", "app_version": "2.10.0-beta.1"},
        {"android_id": "us-newer", "country": "US", "app_version": "v2.10.1"},
    ):
        assert (await client.request("POST", "/devices/register", headers=sdk, json=body)).status_code == 200

    async def enabled(android_id: str) -> dict[str, bool]:
        return {k: v["enabled"] for k, v in (await _sdk_flags(client, sdk, android_id)).items()}

    assert await enabled("de-old") == {"de_only": True, "power": False, "v2": False}
    assert await enabled("fr-new") == {
        "de_only": False,
        "power": False,
        "v2": False,
    }  # a pre-release is older
    assert await enabled("us-newer") == {"de_only": False, "power": False, "v2": True}
    assert await enabled("unknown") == {"de_only": False, "power": False, "v2": False}  # a new device
    # Profile actions change the attributes: the next evaluation sees them (the cache entry was dropped)
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=sdk,
        json={"android_id": "fr-new", "action": "update_country", "country": "de"},
    )
    assert r.status_code == 200
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=sdk,
        json={"android_id": "fr-new", "action": "app_update", "app_version": "3.0"},
    )
    assert r.status_code == 200
    assert await enabled("fr-new") == {"de_only": True, "power": False, "v2": True}
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=sdk,
        json={
            "android_id": "de-old",
            "action": "purchase_made",
            "product_id": "gems",
            "amount": 1.99,
            "currency": "USD",
        },
    )
    assert r.json()["segment"] == "POWER_USER"
    assert (await enabled("de-old"))["power"] is True
    # Registering changes them too
    r = await client.request(
        "POST", "/devices/register", headers=sdk, json={"android_id": "us-newer", "country": "DE"}
    )
    assert (await enabled("us-newer"))["de_only"] is True


async def test_sdk_flags__segment_moved_by_ingest_reaches_the_flag(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client)
    await _create(
        client, owner["token"], app["id"], flag_key="power", is_enabled=True, segments=["power_user"]
    )
    assert (
        await client.request("POST", "/devices/register", headers=sdk, json={"android_id": "gamer"})
    ).status_code == 200
    assert (await _sdk_flags(client, sdk, "gamer"))["power"]["enabled"] is False  # cached as new
    # When 20 session_start events arrive through the ingest worker
    r = await client.request(
        "POST",
        "/events/batch",
        headers=sdk,
        json={"events": [{"android_id": "gamer", "event_type": "session_start"} for _ in range(20)]},
    )
    assert r.status_code == 202
    job = await poll_job(client, owner["token"], r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done"
    # Then the device is a power user for flag targeting too
    assert (await _sdk_flags(client, sdk, "gamer"))["power"]["enabled"] is True


async def test_sdk_flags__no_database_query_once_warm(client: Client, db: asyncpg.Connection) -> None:
    owner, app, sdk = await _setup(client)
    await _create(client, owner["token"], app["id"], flag_key="warm", is_enabled=True, countries=["DE"])
    assert (
        await client.request(
            "POST", "/devices/register", headers=sdk, json={"android_id": "warm-1", "country": "DE"}
        )
    ).status_code == 200
    await asyncio.sleep(devicecache.TOMBSTONE_TTL_SECONDS + 0.2)  # the registration's drop has expired
    await _sdk_flags(client, sdk, "warm-1")  # warms the caches
    # When the database forgets the flag and the device behind the API's back
    await db.execute("UPDATE feature_flags SET is_enabled = false WHERE app_id = $1", app["id"])
    await db.execute("UPDATE devices SET country = 'FR' WHERE app_id = $1", app["id"])
    # Then the SDK route keeps answering from its caches: no query reached the database
    assert (await _sdk_flags(client, sdk, "warm-1"))["warm"]["enabled"] is True


async def test_sdk_flags__bad_android_id_and_bad_key(client: Client) -> None:
    _, _, sdk = await _setup(client)
    for params in ({}, {"android_id": ""}, {"android_id": "has space"}, {"android_id": "x" * 129}):
        r = await client.request("GET", "/sdk/flags", headers=sdk, params=params)
        assert r.status_code == 400, params
    r = await client.request(
        "GET", "/sdk/flags", headers={"X-SDK-Key": "sk_0000000000000000"}, params={"android_id": "a"}
    )
    assert r.status_code == 401


async def test_sdk_flags__update_reaches_a_second_api_process_within_a_second(
    client: Client, platform: Platform
) -> None:
    # Given two API processes, both serving the flag from their caches
    owner, app, sdk = await _setup(client)
    flag = await _create(client, owner["token"], app["id"], flag_key="everywhere", is_enabled=True)
    proc, base = platform.serve()
    second = Client(base)
    try:
        for c in (client, second):
            assert (await _sdk_flags(c, sdk, "dev-1"))["everywhere"]["enabled"] is True
        # When the flag is turned off through the first process
        changed_at = time.monotonic()
        await _update(client, owner["token"], flag["id"], is_enabled=False)

        async def off_on_second() -> bool:
            return (await _sdk_flags(second, sdk, "dev-1"))["everywhere"]["enabled"] is False

        # Then the second process serves the change within a second (pub/sub, not its 30 s TTL)
        await _eventually(off_on_second, timeout=1.0)
        assert time.monotonic() - changed_at < 1.5  # the update's own round trip included
        # and a new flag and a deleted one too
        await _create(client, owner["token"], app["id"], flag_key="brand_new", is_enabled=True)

        async def new_on_second() -> bool:
            return "brand_new" in await _sdk_flags(second, sdk, "dev-1")

        await _eventually(new_on_second, timeout=1.0)
        assert (await client.request("DELETE", f"/flags/{flag['id']}", owner["token"])).status_code == 200

        async def gone_on_second() -> bool:
            return "everywhere" not in await _sdk_flags(second, sdk, "dev-1")

        await _eventually(gone_on_second, timeout=1.0)
    finally:
        await second.close()
        proc.stop()
