"""Plan limits and usage (API.md sections 0 and 8; issue 3 part 5): apps per org, the device quota kept
by a per-org counter, GET /billing/subscription, and rate-limit tiers that follow the plan."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise import Tortoise

from core.db import tortoise_config
from core.errors import PlanLimitReached
from pipelines import usage
from tests.support import Client, Platform, add_member

PLAN_LIMIT = "Plan limit reached"
FREE_DEVICES = 1_000


async def _sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def _set_plan(database_url: str, org_id: int, plan: str) -> None:
    await _sql(database_url, "UPDATE orgs SET plan = $1 WHERE id = $2", plan, org_id)


async def _set_device_count(database_url: str, org_id: int, count: int) -> None:
    await _sql(database_url, "UPDATE orgs SET device_count = $1 WHERE id = $2", count, org_id)


async def _device_count(database_url: str, org_id: int) -> int:
    return (await _sql(database_url, "SELECT device_count FROM orgs WHERE id = $1", org_id))[0][
        "device_count"
    ]


async def _stored_devices(database_url: str, org_id: int) -> list[str]:
    rows = await _sql(
        database_url,
        "SELECT d.android_id FROM devices d JOIN apps a ON a.id = d.app_id "
        "WHERE a.org_id = $1 ORDER BY d.android_id",
        org_id,
    )
    return [r["android_id"] for r in rows]


def _org(account: dict[str, Any]) -> int:
    return account["user"]["org_id"]


async def _register(client: Client, app: dict[str, Any], android_id: str) -> httpx.Response:
    return await client.request(
        "POST", "/devices/register", headers={"X-SDK-Key": app["sdk_key"]}, json={"android_id": android_id}
    )


async def _subscription(client: Client, token: str) -> dict[str, Any]:
    r = await client.request("GET", "/billing/subscription", token)
    assert r.status_code == 200, r.text
    return r.json()


async def _org_key(client: Client, token: str) -> str:
    return (await client.request("GET", "/org/api-key", token)).json()["api_key"]


# --- apps per org --------------------------------------------------------------------------------------


async def test_create_app__free_org_second_app__403_plan_limit(client: Client, database_url: str) -> None:
    # Given a free org with its one app
    owner = await client.register()
    first = await client.create_app(owner["token"])
    # When a second app is created, by the dashboard or by the SDK's first launch
    by_dashboard = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Second", "package_name": "com.example.second"}
    )
    by_sdk = await client.request(
        "POST",
        "/sdk/auto-register",
        headers={"X-API-Key": await _org_key(client, owner["token"])},
        json={"package_name": "com.example.third", "android_id": "dev-1"},
    )
    # Then both are refused with the plan's message, and only the first app (and no device) exists
    for r in (by_dashboard, by_sdk):
        assert r.status_code == 403, r.text
        assert r.json()["error"].startswith(PLAN_LIMIT)
        assert "free" in r.json()["error"]
    listed = (await client.request("GET", "/apps", owner["token"])).json()["apps"]
    assert [a["id"] for a in listed] == [first["id"]]
    assert await _stored_devices(database_url, _org(owner)) == []
    assert (await _subscription(client, owner["token"]))["usage"] == {
        "apps": 1,
        "devices": 0,
        "events_this_month": 0,
    }


async def test_auto_register__free_org_existing_package__still_works(client: Client) -> None:
    # Given a free org at its app limit
    owner = await client.register()
    app = await client.create_app(owner["token"], package="com.example.only")
    # When the SDK of that app launches / Then it is registered against the existing app
    r = await client.request(
        "POST",
        "/sdk/auto-register",
        headers={"X-API-Key": await _org_key(client, owner["token"])},
        json={"package_name": "com.example.only", "android_id": "dev-1"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["app_action"], r.json()["app_id"]) == ("existing", app["id"])


async def test_create_app__starter_org__three_apps_then_403(client: Client, database_url: str) -> None:
    # Given a starter org
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "starter")
    # When it creates four apps / Then three are created and the fourth hits the limit
    for _ in range(3):
        await client.create_app(owner["token"])
    r = await client.request(
        "POST", "/apps", owner["token"], json={"name": "Fourth", "package_name": "com.example.four"}
    )
    assert r.status_code == 403
    assert r.json()["error"].startswith(PLAN_LIMIT) and "starter" in r.json()["error"]
    sub = await _subscription(client, owner["token"])
    assert sub["plan"] == "starter"
    assert sub["limits"] == {"apps": 3, "devices": 10_000, "events_per_month": 1_000_000}
    assert sub["usage"]["apps"] == 3


async def test_create_app__enterprise_org__no_app_limit(client: Client, database_url: str) -> None:
    # Given an enterprise org
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "enterprise")
    # When it creates more apps than the pro plan allows / Then all are created
    for _ in range(12):
        await client.create_app(owner["token"])
    sub = await _subscription(client, owner["token"])
    assert sub["plan"] == "enterprise"
    assert sub["limits"] == {"apps": None, "devices": None, "events_per_month": None}
    assert sub["usage"]["apps"] == 12


async def test_register__default_plan_starter__new_orgs_start_on_starter(platform: Platform) -> None:
    # Given a server whose self-hoster chose starter for new orgs
    proc, base = platform.serve(DEFAULT_PLAN="starter")
    client = Client(base)
    try:
        # When an org registers / Then it is on starter, with its limits
        owner = await client.register()
        sub = await _subscription(client, owner["token"])
        assert (sub["plan"], sub["limits"]["apps"]) == ("starter", 3)
        for _ in range(3):
            await client.create_app(owner["token"])
        r = await client.request(
            "POST", "/apps", owner["token"], json={"name": "4", "package_name": "com.example.four"}
        )
        assert r.status_code == 403
    finally:
        await client.close()
        proc.stop()


async def test_delete_app__free_org__slot_frees_for_a_new_app(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    assert (await client.request("DELETE", f"/apps/{app['id']}", owner["token"])).status_code == 200
    await client.create_app(owner["token"])
    assert (await _subscription(client, owner["token"]))["usage"]["apps"] == 1


# --- the device quota ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "device_count", [FREE_DEVICES, 5 * FREE_DEVICES], ids=["at-limit", "over-after-downgrade"]
)
async def test_register_device__device_quota_spent__new_device_403_existing_device_200(
    client: Client, database_url: str, device_count: int
) -> None:
    # Given a free org with one registered device, its device count at (or past) the plan's limit
    owner = await client.register()
    app = await client.create_app(owner["token"])
    known = await _register(client, app, "known-device")
    assert known.status_code == 200
    await _set_device_count(database_url, _org(owner), device_count)
    # When a new device registers
    new = await _register(client, app, "new-device")
    # Then it is refused with the plan's message, and not stored or counted
    assert new.status_code == 403, new.text
    assert new.json()["error"].startswith(PLAN_LIMIT)
    assert "1,000 devices" in new.json()["error"]
    assert await _stored_devices(database_url, _org(owner)) == ["known-device"]
    assert await _device_count(database_url, _org(owner)) == device_count
    # and the device already registered keeps working
    again = await client.request(
        "POST",
        "/devices/register",
        headers={"X-SDK-Key": app["sdk_key"]},
        json={"android_id": "known-device", "app_version": "2.0"},
    )
    assert again.status_code == 200, again.text
    assert again.json()["device"]["id"] == known.json()["device"]["id"]
    assert await _device_count(database_url, _org(owner)) == device_count
    assert (await _subscription(client, owner["token"]))["usage"]["devices"] == device_count


async def test_auto_register__device_quota_spent__new_device_403_existing_device_200(
    client: Client, database_url: str
) -> None:
    # Given a free org whose app has a device, the quota spent
    owner = await client.register()
    headers = {"X-API-Key": await _org_key(client, owner["token"])}
    body = {"package_name": "com.example.auto", "android_id": "known-device"}
    first = await client.request("POST", "/sdk/auto-register", headers=headers, json=body)
    assert first.status_code == 200, first.text
    await _set_device_count(database_url, _org(owner), FREE_DEVICES)
    # When a new device launches / Then 403; the known device still registers
    new = await client.request(
        "POST", "/sdk/auto-register", headers=headers, json={**body, "android_id": "new-device"}
    )
    assert new.status_code == 403
    assert new.json()["error"].startswith(PLAN_LIMIT)
    again = await client.request("POST", "/sdk/auto-register", headers=headers, json=body)
    assert again.status_code == 200
    assert again.json()["device_action"] == "updated"
    assert await _stored_devices(database_url, _org(owner)) == ["known-device"]


async def test_register_device__one_slot_left__concurrent_new_devices_take_exactly_it(
    client: Client, database_url: str
) -> None:
    # Given a free org with five slots left
    owner = await client.register()
    app = await client.create_app(owner["token"])
    await _set_device_count(database_url, _org(owner), FREE_DEVICES - 5)
    # When twenty new devices register at once
    responses = await asyncio.gather(*(_register(client, app, f"dev-{i}") for i in range(20)))
    # Then five are admitted, the rest refused, and the counter stops at the limit
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 5 + [403] * 15
    assert len(await _stored_devices(database_url, _org(owner))) == 5
    assert await _device_count(database_url, _org(owner)) == FREE_DEVICES


async def test_register_device__last_slot__same_new_device_from_ten_requests__all_200_counted_once(
    client: Client, database_url: str
) -> None:
    # Given a free org with exactly one slot left
    owner = await client.register()
    app = await client.create_app(owner["token"])
    await _set_device_count(database_url, _org(owner), FREE_DEVICES - 1)
    # When one new device registers through ten requests at once (an SDK retrying)
    responses = await asyncio.gather(*(_register(client, app, "retrying-device") for _ in range(10)))
    # Then every request gets the device (it is within the quota), counted once
    assert [r.status_code for r in responses] == [200] * 10, [
        r.text for r in responses if r.status_code != 200
    ]
    assert len({r.json()["device"]["id"] for r in responses}) == 1
    assert await _device_count(database_url, _org(owner)) == FREE_DEVICES


async def test_delete_app__frees_its_devices_slots(client: Client, database_url: str) -> None:
    # Given a starter org with two apps holding 3 and 2 devices
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "starter")
    doomed, kept = await client.create_app(owner["token"]), await client.create_app(owner["token"])
    for android_id in ("a", "b", "c"):
        assert (await _register(client, doomed, android_id)).status_code == 200
    for android_id in ("a", "d"):
        assert (await _register(client, kept, android_id)).status_code == 200
    assert await _device_count(database_url, _org(owner)) == 5
    # When the first app is deleted
    r = await client.request("DELETE", f"/apps/{doomed['id']}", owner["token"])
    # Then its devices no longer count
    assert r.status_code == 200
    assert r.json()["deleted"]["devices"] == 3
    assert await _device_count(database_url, _org(owner)) == 2
    assert (await _subscription(client, owner["token"]))["usage"]["devices"] == 2


async def test_delete_app__at_device_quota__new_devices_admitted_again(
    client: Client, database_url: str
) -> None:
    # Given a free org at its device limit, the devices all in its one app
    owner = await client.register()
    app = await client.create_app(owner["token"])
    for android_id in ("a", "b"):
        assert (await _register(client, app, android_id)).status_code == 200
    await _set_device_count(database_url, _org(owner), FREE_DEVICES)
    assert (await _register(client, app, "c")).status_code == 403
    # When the app is deleted and a new one created
    assert (await client.request("DELETE", f"/apps/{app['id']}", owner["token"])).status_code == 200
    assert await _device_count(database_url, _org(owner)) == FREE_DEVICES - 2
    replacement = await client.create_app(owner["token"])
    # Then a new device fits again
    assert (await _register(client, replacement, "c")).status_code == 200
    assert await _device_count(database_url, _org(owner)) == FREE_DEVICES - 1


async def test_delete_app__while_devices_register__counter_matches_stored_devices(
    client: Client, database_url: str
) -> None:
    # Given a starter org with two apps, devices registering on the first
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "starter")
    doomed, kept = await client.create_app(owner["token"]), await client.create_app(owner["token"])
    assert (await _register(client, kept, "kept-device")).status_code == 200

    async def register_many() -> list[httpx.Response]:
        return await asyncio.gather(*(_register(client, doomed, f"dev-{i}") for i in range(60)))

    # When the first app is deleted while they register
    async def delete_soon() -> httpx.Response:
        await asyncio.sleep(0.05)
        return await client.request("DELETE", f"/apps/{doomed['id']}", owner["token"])

    registered, deleted = await asyncio.gather(register_many(), delete_soon())
    # Then the delete succeeds, registrations either landed or were refused, and the counter is exact
    assert deleted.status_code == 200
    assert {r.status_code for r in registered} <= {200, 401, 404}, [
        r.text for r in registered if r.status_code >= 500
    ]
    assert await _stored_devices(database_url, _org(owner)) == ["kept-device"]
    assert await _device_count(database_url, _org(owner)) == 1


# --- counters ------------------------------------------------------------------------------------------


async def test_register_device__distinct_and_repeated__counted_once_each(
    client: Client, database_url: str
) -> None:
    # Given a free org's app
    owner = await client.register()
    app = await client.create_app(owner["token"])
    # When seven distinct devices register, three of them twice
    for i in range(7):
        assert (await _register(client, app, f"dev-{i}")).status_code == 200
    for i in range(3):
        assert (await _register(client, app, f"dev-{i}")).status_code == 200
    # Then seven devices are counted
    assert (await _subscription(client, owner["token"]))["usage"]["devices"] == 7
    assert await _device_count(database_url, _org(owner)) == 7


async def test_register_device__same_new_device_ten_times_at_once__counted_once(
    client: Client, database_url: str
) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    responses = await asyncio.gather(*(_register(client, app, "same-device") for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.json()["device"]["id"] for r in responses}) == 1
    assert (await _subscription(client, owner["token"]))["usage"]["devices"] == 1
    assert await _device_count(database_url, _org(owner)) == 1


async def test_register_device__several_apps__counted_per_org(client: Client, database_url: str) -> None:
    # Given a starter org with two apps, and another org
    owner, other = await client.register(), await client.register()
    await _set_plan(database_url, _org(owner), "starter")
    first, second = await client.create_app(owner["token"]), await client.create_app(owner["token"])
    other_app = await client.create_app(other["token"])
    # When devices register on each (the same android_id in two apps is two devices)
    for app, android_id in ((first, "a"), (first, "b"), (second, "a"), (other_app, "z")):
        assert (await _register(client, app, android_id)).status_code == 200
    # Then each org counts its own
    assert (await _subscription(client, owner["token"]))["usage"]["devices"] == 3
    assert (await _subscription(client, other["token"]))["usage"]["devices"] == 1


# --- GET /billing/subscription -------------------------------------------------------------------------


async def test_subscription__new_free_org__plan_limits_and_empty_usage(client: Client) -> None:
    owner = await client.register()
    r = await client.request("GET", "/billing/subscription", owner["token"])
    assert r.status_code == 200
    assert r.json() == {
        "plan": "free",
        "status": "active",
        "current_period_end": None,
        "cancel_at_period_end": False,
        "limits": {"apps": 1, "devices": 1_000, "events_per_month": 100_000},
        "usage": {"apps": 0, "devices": 0, "events_this_month": 0},
    }


@pytest.mark.parametrize(
    ("plan", "limits"),
    [
        ("free", {"apps": 1, "devices": 1_000, "events_per_month": 100_000}),
        ("starter", {"apps": 3, "devices": 10_000, "events_per_month": 1_000_000}),
        ("pro", {"apps": 10, "devices": 100_000, "events_per_month": 10_000_000}),
        ("enterprise", {"apps": None, "devices": None, "events_per_month": None}),
    ],
)
async def test_subscription__each_plan__its_limits_status_active(
    client: Client, database_url: str, plan: str, limits: dict[str, int | None]
) -> None:
    owner = await client.register()
    await _set_plan(database_url, _org(owner), plan)
    sub = await _subscription(client, owner["token"])
    assert (sub["plan"], sub["status"], sub["limits"]) == (plan, "active", limits)


async def test_subscription__org_usage_rows__events_of_the_current_month(
    client: Client, database_url: str
) -> None:
    # Given usage rows for this month, last month, and another org
    owner, other = await client.register(), await client.register()
    today = (await _sql(database_url, "SELECT (now() AT TIME ZONE 'UTC')::date AS d"))[0]["d"]
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    insert = "INSERT INTO org_usage (org_id, month, events) VALUES ($1, $2, $3)"
    await _sql(database_url, insert, _org(owner), this_month, 1234)
    await _sql(database_url, insert, _org(owner), last_month, 99_999)
    await _sql(database_url, insert, _org(other), this_month, 5)
    # When the owner reads the subscription / Then only this month's events of the org count
    assert (await _subscription(client, owner["token"]))["usage"]["events_this_month"] == 1234
    assert (await _subscription(client, other["token"]))["usage"]["events_this_month"] == 5


def test_month_start__any_day__first_of_its_month() -> None:
    assert usage.month_start(date(2026, 2, 28)) == date(2026, 2, 1)
    assert usage.month_start(date(2026, 12, 1)) == date(2026, 12, 1)


async def test_subscription__roles__owner_and_admin_200_viewer_403(client: Client, database_url: str) -> None:
    owner = await client.register()
    admin = await add_member(database_url, _org(owner), "admin", client)
    viewer = await add_member(database_url, _org(owner), "viewer", client)
    assert (await client.request("GET", "/billing/subscription", owner["token"])).status_code == 200
    assert (await client.request("GET", "/billing/subscription", admin["token"])).status_code == 200
    r = await client.request("GET", "/billing/subscription", viewer["token"])
    assert r.status_code == 403
    assert "limits" not in r.json()


async def test_subscription__no_token_or_sdk_key__401(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    assert (await client.request("GET", "/billing/subscription")).status_code == 401
    r = await client.request("GET", "/billing/subscription", headers={"X-SDK-Key": app["sdk_key"]})
    assert r.status_code == 401


# --- rate-limit tiers follow the plan ------------------------------------------------------------------


async def test_rate_limits__pro_org__api_1000_and_sdk_2000(client: Client, database_url: str) -> None:
    # Given a pro org (its app created after the change, so no cached key holds the old plan)
    owner = await client.register()
    await _set_plan(database_url, _org(owner), "pro")
    app = await client.create_app(owner["token"])
    # When its user and its SDK call / Then the pro tiers apply
    api = await client.request("GET", "/billing/subscription", owner["token"])
    assert api.status_code == 200
    assert api.headers["X-RateLimit-Limit"] == "1000"
    sdk = await _register(client, app, "dev-1")
    assert sdk.status_code == 200
    assert sdk.headers["X-RateLimit-Limit"] == "2000"


async def test_rate_limits__free_org__api_100_and_sdk_200(client: Client) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    api = await client.request("GET", "/billing/subscription", owner["token"])
    assert api.headers["X-RateLimit-Limit"] == "100"
    assert (await _register(client, app, "dev-1")).headers["X-RateLimit-Limit"] == "200"


# --- pipelines.usage: the counter itself ---------------------------------------------------------------


@pytest.fixture
async def org_id(database_url: str) -> int:
    """A free org inserted directly (no API process needed)."""
    rows = await _sql(
        database_url,
        "INSERT INTO orgs (name, plan, api_key, device_count, created_at) "
        "VALUES ('Unit', 'free', $1, 0, now()) RETURNING id",
        "ok_" + uuid.uuid4().hex,
    )
    return rows[0]["id"]


async def _reserve_one(database_url: str, org_id: int, plan: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await usage.reserve_devices(conn, org_id, plan, 1)
            await asyncio.sleep(0.01)  # hold the row a moment, as a device insert would
        return True
    except PlanLimitReached:
        return False
    finally:
        await conn.close()


async def test_reserve_devices__concurrent_single_slots__never_past_the_limit(
    database_url: str, org_id: int
) -> None:
    # Given a free org with ten slots left
    await _set_device_count(database_url, org_id, FREE_DEVICES - 10)
    # When forty reservations race, each in its own connection and transaction
    results = await asyncio.gather(*(_reserve_one(database_url, org_id, "free") for _ in range(40)))
    # Then exactly ten succeed and the counter stops at the limit
    assert results.count(True) == 10
    assert await _device_count(database_url, org_id) == FREE_DEVICES


async def test_reserve_devices__more_than_left__refused_whole(database_url: str, org_id: int) -> None:
    await _set_device_count(database_url, org_id, FREE_DEVICES - 3)
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(PlanLimitReached, match="^Plan limit reached"):
            await usage.reserve_devices(conn, org_id, "free", 4)
        assert await _device_count(database_url, org_id) == FREE_DEVICES - 3
        await usage.reserve_devices(conn, org_id, "free", 3)
        assert await _device_count(database_url, org_id) == FREE_DEVICES
    finally:
        await conn.close()


async def test_reserve_devices__rolled_back__slot_not_taken(database_url: str, org_id: int) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await usage.reserve_devices(conn, org_id, "free", 1)
                raise RuntimeError("device insert failed")
    finally:
        await conn.close()
    assert await _device_count(database_url, org_id) == 0


async def test_reserve_devices__enterprise__no_limit(database_url: str, org_id: int) -> None:
    await _set_device_count(database_url, org_id, 5_000_000)
    conn = await asyncpg.connect(database_url)
    try:
        await usage.reserve_devices(conn, org_id, "enterprise", 1000)
    finally:
        await conn.close()
    assert await _device_count(database_url, org_id) == 5_001_000


async def test_release_devices__gives_back_never_below_zero(database_url: str, org_id: int) -> None:
    await _set_device_count(database_url, org_id, 5)
    conn = await asyncpg.connect(database_url)
    try:
        await usage.release_devices(conn, org_id, 2)
        assert await _device_count(database_url, org_id) == 3
        await usage.release_devices(conn, org_id, 10)
        assert await _device_count(database_url, org_id) == 0
        await usage.release_devices(conn, org_id, 0)
        assert await _device_count(database_url, org_id) == 0
    finally:
        await conn.close()


async def test_reserve_then_release__concurrent__counter_consistent(database_url: str, org_id: int) -> None:
    # Given a free org at its limit
    await _set_device_count(database_url, org_id, FREE_DEVICES)

    async def release_one() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                await usage.release_devices(conn, org_id, 1)
        finally:
            await conn.close()

    # When five slots are released while fifteen reservations race
    releases = [release_one() for _ in range(5)]
    reservations = [_reserve_one(database_url, org_id, "free") for _ in range(15)]
    results = await asyncio.gather(*releases, *reservations)
    # Then the counter equals the limit minus releases plus admitted reservations, never above the limit
    admitted = sum(1 for r in results[5:] if r)
    assert admitted <= 5
    assert await _device_count(database_url, org_id) == FREE_DEVICES - 5 + admitted


@pytest.fixture
async def orm(database_url: str) -> AsyncIterator[None]:
    """Tortoise in the test process, for the pipeline functions that use the ORM."""
    await Tortoise.init(config=tortoise_config(database_url, 2), _enable_global_fallback=True)
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def test_add_events__twice_and_other_month__summed_per_month(
    database_url: str, org_id: int, orm: None
) -> None:
    # Given events counted in two batches this month and one last month
    this_month = usage.month_start()
    conn = await asyncpg.connect(database_url)
    try:
        await usage.add_events(conn, org_id, 40)
        await usage.add_events(conn, org_id, 2)
        await usage.add_events(conn, org_id, 0)
        await usage.add_events(conn, org_id, 500, (this_month - timedelta(days=1)).replace(day=1))
    finally:
        await conn.close()
    # Then this month has their sum, in one row per month
    assert await usage.events_this_month(org_id) == 42
    rows = await _sql(
        database_url, "SELECT month, events FROM org_usage WHERE org_id = $1 ORDER BY month", org_id
    )
    assert [r["events"] for r in rows] == [500, 42]
    assert (await usage.subscription(org_id))["usage"]["events_this_month"] == 42


async def test_check_events_quota__up_to_the_limit_admitted_past_it_refused(
    database_url: str, org_id: int, orm: None
) -> None:
    # Given a free org with 99,990 events this month
    conn = await asyncpg.connect(database_url)
    try:
        await usage.add_events(conn, org_id, 99_990)
    finally:
        await conn.close()
    # When batches arrive / Then one reaching the limit exactly passes, one past it is refused
    await usage.check_events_quota(org_id, "free", 10)
    with pytest.raises(PlanLimitReached, match="^Plan limit reached: the free plan allows 100,000 events"):
        await usage.check_events_quota(org_id, "free", 11)
    await usage.check_events_quota(org_id, "starter", 11)
    await usage.check_events_quota(org_id, "enterprise", 10**9)
