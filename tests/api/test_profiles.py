"""Profiles, built-in segments, ad strategy, revenue, FCM tokens and device erasure over HTTP
(API.md section 1: profile, revenue, fcm-token, "Device counters", "Built-in segments", "Ad strategy";
section 3: DELETE /dashboard/devices/{id})."""

from __future__ import annotations

import asyncio
import re
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member, poll_job

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SEGMENTS = ["NEW_USER", "ACTIVE_USER", "POWER_USER", "CASUAL_USER", "DORMANT_USER", "CHURNED_USER"]
STRATEGY_KEYS = {
    "ads_enabled",
    "interstitial_enabled",
    "ad_cooldown_sec",
    "interstitial_cap",
    "interstitial_daily_cap",
    "rewarded_cap",
    "app_open_cooldown_sec",
    "app_open_daily_cap",
    "pre_show_delay_ms",
    "banner_enabled",
    "native_enabled",
    "config_version",
}
PROFILE_KEYS = {
    "device_id",
    "segment",
    "country",
    "total_ad_watches",
    "days_since_first_install",
    "total_purchases",
    "total_revenue",
    "purchase_history",
    "sessions_30d",
    "last_seen",
    "app_version",
    "ad_strategy",
}


async def _setup(client: Client) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """An owner, their app, and the app's SDK headers."""
    owner = await client.register()
    app = await client.create_app(owner["token"])
    return owner, app, {"X-SDK-Key": app["sdk_key"]}


async def _register(client: Client, sdk: dict[str, str], android_id: str, **fields: Any) -> int:
    r = await client.request(
        "POST", "/devices/register", headers=sdk, json={"android_id": android_id, **fields}
    )
    assert r.status_code == 200, r.text
    return r.json()["device"]["id"]


async def _profile(client: Client, sdk: dict[str, str], android_id: str) -> dict[str, Any]:
    r = await client.request("GET", "/sdk/profile", headers=sdk, params={"android_id": android_id})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True
    return r.json()["profile"]


async def _action(
    client: Client, sdk: dict[str, str], android_id: str, action: str, **params: Any
) -> dict[str, Any]:
    r = await client.request(
        "POST", "/sdk/profile", headers=sdk, json={"android_id": android_id, "action": action, **params}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _strategies(client: Client, token: str, app_id: int) -> dict[str, dict[str, Any]]:
    r = await client.request("GET", f"/apps/{app_id}/ad-strategy", token)
    assert r.status_code == 200, r.text
    return r.json()["strategies"]


async def _send_batch(client: Client, sdk: dict[str, str], token: str, events: list[dict[str, Any]]) -> None:
    """POST /events/batch and wait until the worker has stored it."""
    r = await client.request("POST", "/events/batch", headers=sdk, json={"events": events})
    assert r.status_code == 202, r.text
    job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done", job


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _shift_device(db: asyncpg.Connection, device_id: int, first_days: float, last_days: float) -> None:
    """Make a device first seen `first_days` and last seen `last_days` ago (time passing, nothing else)."""
    await db.execute(
        "UPDATE devices SET first_seen_at = now() - make_interval(secs => $2), "
        "last_seen_at = now() - make_interval(secs => $3) WHERE id = $1",
        device_id,
        first_days * 86400,
        last_days * 86400,
    )


async def _reclassify() -> dict[str, int]:
    """The nightly reclassification, run in this process (what actors.segments.reclassify_devices calls)."""
    from core.db import close_db, init_db
    from core.settings import get_settings
    from pipelines import segments

    await init_db(get_settings())
    try:
        return await segments.reclassify_all(None)
    finally:
        await close_db()


# --- GET /sdk/profile -------------------------------------------------------------------------------------


async def test_profile__unknown_device__404(client: Client, stranger: Client) -> None:
    # Given two apps, a device registered in the second only
    _, _, sdk = await _setup(client)
    _, _, other_sdk = await _setup(stranger)
    await _register(client, other_sdk, "elsewhere")
    # Then the first app knows neither an unknown android_id nor the other app's device
    for android_id in ("nobody", "elsewhere"):
        r = await client.request("GET", "/sdk/profile", headers=sdk, params={"android_id": android_id})
        assert r.status_code == 404
        assert "error" in r.json()


async def test_profile__registered_device__shape_of_api_md_new_user(client: Client) -> None:
    # Given a device just registered
    owner, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "fresh-1", country="in", app_version="1.4.0")
    # When its profile is read
    profile = await _profile(client, sdk, "fresh-1")
    # Then it has every field of API.md section 1, for a new device
    assert PROFILE_KEYS <= set(profile)
    assert profile["device_id"] == device_id
    assert profile["segment"] == "NEW_USER"
    assert profile["country"] == "IN"
    assert profile["app_version"] == "1.4.0"
    assert (profile["total_ad_watches"], profile["total_purchases"], profile["sessions_30d"]) == (0, 0, 0)
    assert profile["total_revenue"] == 0
    assert profile["days_since_first_install"] == 0
    assert profile["purchase_history"] == []
    assert ISO_Z.match(profile["last_seen"])
    last_seen = datetime.fromisoformat(profile["last_seen"])
    assert abs((datetime.now(UTC) - last_seen).total_seconds()) < 60
    strategies = await _strategies(client, owner["token"], app["id"])
    assert profile["ad_strategy"] == strategies["NEW_USER"]
    assert profile["ad_strategy"]["config_version"] == 1
    assert profile["ad_strategy"]["interstitial_enabled"] is False


async def test_profile__missing_or_bad_android_id__400(client: Client) -> None:
    _, _, sdk = await _setup(client)
    for params in ({}, {"android_id": ""}, {"android_id": "has space"}, {"android_id": "x" * 129}):
        r = await client.request("GET", "/sdk/profile", headers=sdk, params=params)
        assert r.status_code == 400, (params, r.text)


# --- POST /sdk/profile ------------------------------------------------------------------------------------


async def test_profile_action__ad_watched_x50__power_user_and_its_strategy(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a registered device
    owner, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "watcher")
    # When it watches 49 ads (concurrently), it is still new
    results = await asyncio.gather(*[_action(client, sdk, "watcher", "ad_watched") for _ in range(49)])
    assert {r["segment"] for r in results} == {"NEW_USER"}
    assert (await _profile(client, sdk, "watcher"))["segment"] == "NEW_USER"
    # and the 50th makes it a power user, answered with the POWER_USER strategy
    fiftieth = await _action(client, sdk, "watcher", "ad_watched")
    strategies = await _strategies(client, owner["token"], app["id"])
    assert fiftieth == {"segment": "POWER_USER", "ad_strategy": strategies["POWER_USER"]}
    # Then the profile reads the same, with the 50 watches counted, each stored as an event
    profile = await _profile(client, sdk, "watcher")
    assert profile["segment"] == "POWER_USER"
    assert profile["ad_strategy"] == strategies["POWER_USER"]
    assert profile["total_ad_watches"] == 50
    assert profile["sessions_30d"] == 0
    rows = await db.fetch(
        "SELECT event_type, event_data::text AS data FROM events WHERE device_id = $1", device_id
    )
    assert [(r["event_type"], r["data"]) for r in rows] == [("ad_watched", "{}")] * 50
    device = await db.fetchrow(
        "SELECT user_segment, ad_watches, ad_watches_30d FROM devices WHERE id = $1", device_id
    )
    assert dict(device) == {"user_segment": "power_user", "ad_watches": 50, "ad_watches_30d": 50}


async def test_profile_action__session_start_x20__power_user(client: Client, db: asyncpg.Connection) -> None:
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "sessions")
    for _ in range(19):
        last = await _action(client, sdk, "sessions", "session_start")
    assert last["segment"] == "NEW_USER"
    assert (await _action(client, sdk, "sessions", "session_start"))["segment"] == "POWER_USER"
    profile = await _profile(client, sdk, "sessions")
    assert (profile["segment"], profile["sessions_30d"]) == ("POWER_USER", 20)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM events WHERE device_id = $1 AND event_type = 'session_start'", device_id
        )
        == 20
    )


async def test_profile_action__purchase_made__history_totals_power_user(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a registered device
    owner, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "buyer")
    # When it makes two purchases (a second apart, so newest first is well defined)
    first = await _action(
        client, sdk, "buyer", "purchase_made", product_id="gems_100", amount=4.99, currency="USD"
    )
    await asyncio.sleep(1.1)
    await _action(client, sdk, "buyer", "purchase_made", product_id="no_ads", amount=5, currency="EUR")
    # Then one purchase already made it a power user
    strategies = await _strategies(client, owner["token"], app["id"])
    assert first == {"segment": "POWER_USER", "ad_strategy": strategies["POWER_USER"]}
    profile = await _profile(client, sdk, "buyer")
    assert profile["segment"] == "POWER_USER"
    assert profile["total_purchases"] == 2
    assert profile["total_revenue"] == pytest.approx(9.99, abs=1e-9)
    history = profile["purchase_history"]
    assert [(p["product_id"], p["amount"], p["currency"]) for p in history] == [
        ("no_ads", 5, "EUR"),
        ("gems_100", 4.99, "USD"),
    ]
    assert all(set(p) == {"product_id", "amount", "currency", "at"} and ISO_Z.match(p["at"]) for p in history)
    assert history[0]["at"] > history[1]["at"]
    # and each purchase is stored as a `purchase` event
    rows = await db.fetch(
        "SELECT event_type, event_data FROM events WHERE device_id = $1 ORDER BY id", device_id
    )
    assert [r["event_type"] for r in rows] == ["purchase", "purchase"]
    assert '"product_id": "gems_100"' in rows[0]["event_data"] and '"amount": 4.99' in rows[0]["event_data"]


async def test_purchase_history__more_than_20__last_20_newest_first(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given 22 purchases sent by the SDK in two batches, a minute apart each, oldest first
    owner, _, sdk = await _setup(client)
    await _register(client, sdk, "whale")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    purchases = [
        {
            "android_id": "whale",
            "event_type": "purchase",
            "created_at": _iso(start + timedelta(minutes=i)),
            "event_data": {"product_id": f"p{i}", "amount": i + 1, "currency": "USD"},
        }
        for i in range(22)
    ]
    await _send_batch(client, sdk, owner["token"], purchases[:12])
    await _send_batch(client, sdk, owner["token"], purchases[12:])
    # When the profile is read
    profile = await _profile(client, sdk, "whale")
    # Then the history holds the 20 newest, newest first; the totals count all 22
    history = profile["purchase_history"]
    assert [p["product_id"] for p in history] == [f"p{i}" for i in range(21, 1, -1)]
    assert [p["at"] for p in history] == [purchases[i]["created_at"] for i in range(21, 1, -1)]
    assert profile["total_purchases"] == 22
    assert profile["total_revenue"] == sum(range(1, 23))
    assert profile["segment"] == "POWER_USER"


async def test_profile_action__update_country_and_app_update__stored_and_recorded(
    client: Client, db: asyncpg.Connection
) -> None:
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "mover", country="IN", app_version="1.0")
    await _action(client, sdk, "mover", "update_country", country="de")
    await _action(client, sdk, "mover", "app_update", app_version="2.1.0")
    profile = await _profile(client, sdk, "mover")
    assert (profile["country"], profile["app_version"]) == ("DE", "2.1.0")
    row = await db.fetchrow("SELECT country, app_version FROM devices WHERE id = $1", device_id)
    assert dict(row) == {"country": "DE", "app_version": "2.1.0"}
    events = await db.fetch(
        "SELECT event_type, event_data FROM events WHERE device_id = $1 ORDER BY id", device_id
    )
    assert [(e["event_type"], e["event_data"]) for e in events] == [
        ("update_country", '{"country": "DE"}'),
        ("app_update", '{"app_version": "2.1.0"}'),
    ]


async def test_profile_action__every_action__stored_as_its_event_type(
    client: Client, db: asyncpg.Connection
) -> None:
    _, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "all-actions")
    await _action(client, sdk, "all-actions", "session_start")
    await _action(client, sdk, "all-actions", "ad_watched")
    await _action(client, sdk, "all-actions", "purchase_made", product_id="x", amount=1.5, currency="USD")
    await _action(client, sdk, "all-actions", "update_country", country="FR")
    await _action(client, sdk, "all-actions", "app_update", app_version="3")
    rows = await db.fetch("SELECT app_id, device_id, event_type FROM events ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (app["id"], device_id, t)
        for t in ("session_start", "ad_watched", "purchase", "update_country", "app_update")
    ]
    daily = await db.fetchrow(
        "SELECT active_devices, events, sessions, ad_watches, purchases, purchase_revenue "
        "FROM app_daily WHERE app_id = $1",
        app["id"],
    )
    assert dict(daily) == {
        "active_devices": 1,
        "events": 5,
        "sessions": 1,
        "ad_watches": 1,
        "purchases": 1,
        "purchase_revenue": Decimal("1.5"),
    }


async def test_profile_action__invalid__400_nothing_stored(client: Client, db: asyncpg.Connection) -> None:
    # Given an app with one registered device
    _, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "known")
    bad = [
        {"android_id": "known", "action": "explode"},
        {"android_id": "known"},
        {"action": "ad_watched"},
        {"android_id": "known", "action": "purchase_made", "product_id": "gems"},
        {"android_id": "known", "action": "purchase_made", "amount": -1},
        {"android_id": "known", "action": "purchase_made", "amount": "4.99"},
        {"android_id": "known", "action": "purchase_made", "amount": 1, "currency": "US"},
        {"android_id": "known", "action": "update_country"},
        {"android_id": "known", "action": "update_country", "country": "DEU"},
        {"android_id": "known", "action": "update_country", "country": "1A"},
        {"android_id": "known", "action": "app_update"},
        {"android_id": "bad id", "action": "ad_watched"},
        {"android_id": "stranger", "action": "purchase_made"},
        {"android_id": "stranger", "action": "update_country", "country": "XYZ"},
    ]
    # When each invalid action is posted
    for body in bad:
        r = await client.request("POST", "/sdk/profile", headers=sdk, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "details" in r.json(), body
    # Then nothing was stored: no event, no new device, no counter moved
    assert await db.fetchval("SELECT count(*) FROM events") == 0
    assert [r["id"] for r in await db.fetch("SELECT id FROM devices WHERE app_id = $1", app["id"])] == [
        device_id
    ]
    row = await db.fetchrow("SELECT ad_watches, purchases, country FROM devices WHERE id = $1", device_id)
    assert dict(row) == {"ad_watches": 0, "purchases": 0, "country": None}
    assert await db.fetchval("SELECT count(*) FROM app_daily_events") == 0


async def test_profile_action__unknown_android_id__device_created(
    client: Client, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client)
    answer = await _action(client, sdk, "first-contact", "session_start")
    assert answer["segment"] == "NEW_USER"
    profile = await _profile(client, sdk, "first-contact")
    assert (profile["segment"], profile["sessions_30d"]) == ("NEW_USER", 1)
    device = await db.fetchrow(
        "SELECT id, user_segment FROM devices WHERE app_id = $1 AND android_id = $2",
        app["id"],
        "first-contact",
    )
    assert device["id"] == profile["device_id"] and device["user_segment"] == "new"
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 1


async def test_first_launch__register_and_action_concurrently__one_device_each_counted_once(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app whose SDKs register and send a first action at the same moment, for many devices
    owner, app, sdk = await _setup(client)
    names = [f"launch-{i}" for i in range(90)]  # 180 SDK calls: under the free tier's 200 a minute

    async def first_launch(name: str) -> list[int]:
        register, action = await asyncio.gather(
            client.request("POST", "/devices/register", headers=sdk, json={"android_id": name}),
            client.request(
                "POST", "/sdk/profile", headers=sdk, json={"android_id": name, "action": "session_start"}
            ),
        )
        return [register.status_code, action.status_code]

    # When they all launch together
    codes = await asyncio.gather(*[first_launch(n) for n in names])
    # Then every call succeeded, each device exists once, counted once in the quota and the rollups
    assert codes == [[200, 200]] * len(names), [c for c in codes if c != [200, 200]]
    assert await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app["id"]) == len(names)
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == len(
        names
    )
    await _assert_rollups_match(db, app["id"])


# --- segments by time -------------------------------------------------------------------------------------


async def test_segments__by_time_alone__computed_at_read_then_stored_nightly(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given four devices registered today, then made older by time alone
    _, _, sdk = await _setup(client)
    ids = {name: await _register(client, sdk, name) for name in ("churned", "dormant", "active", "casual")}
    await _shift_device(db, ids["churned"], first_days=50, last_days=40)
    await _shift_device(db, ids["dormant"], first_days=25, last_days=20)
    await _shift_device(db, ids["active"], first_days=10, last_days=0)
    await _shift_device(db, ids["casual"], first_days=20, last_days=10)
    # When their profiles are read, the segment is computed at read time
    expected = {
        "churned": "CHURNED_USER",
        "dormant": "DORMANT_USER",
        "active": "ACTIVE_USER",
        "casual": "CASUAL_USER",
    }
    for name, segment in expected.items():
        profile = await _profile(client, sdk, name)
        assert profile["segment"] == segment, name
    assert (await _profile(client, sdk, "churned"))["days_since_first_install"] == 50
    churned = await _profile(client, sdk, "churned")
    assert churned["ad_strategy"]["ads_enabled"] is False
    # while the stored segment still says new (nothing has happened to the devices)
    stored = await db.fetch("SELECT id, user_segment FROM devices")
    assert {r["user_segment"] for r in stored} == {"new"}
    # Then the nightly reclassification stores the new segments, and a second run changes nothing
    assert await _reclassify() == {"changed": 4, "segments_moved": 4}
    stored = {r["id"]: r["user_segment"] for r in await db.fetch("SELECT id, user_segment FROM devices")}
    assert stored == {ids[name]: name for name in ids}
    assert await _reclassify() == {"changed": 0, "segments_moved": 0}


async def test_segments__inactivity_boundaries__15_and_30_days(
    client: Client, db: asyncpg.Connection
) -> None:
    _, _, sdk = await _setup(client)
    cases = {
        "d14": (60, 14.9, "CASUAL_USER"),
        "d15": (60, 15.05, "DORMANT_USER"),
        "d30": (60, 29.95, "DORMANT_USER"),
        "d31": (60, 30.05, "CHURNED_USER"),
        "n6": (6.9, 0, "NEW_USER"),
        "a7": (7.05, 6.9, "ACTIVE_USER"),
        "c7": (7.1, 7.05, "CASUAL_USER"),
    }
    for name, (first, last, _) in cases.items():
        await _shift_device(db, await _register(client, sdk, name), first_days=first, last_days=last)
    for name, (_, _, segment) in cases.items():
        assert (await _profile(client, sdk, name))["segment"] == segment, name


async def test_segments__churned_device_acts_again__active_again(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a device inactive for 40 days
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "returning")
    await _shift_device(db, device_id, first_days=60, last_days=40)
    assert (await _profile(client, sdk, "returning"))["segment"] == "CHURNED_USER"
    # When it starts a session, the action recomputes its segment: seen today, first seen long ago
    assert (await _action(client, sdk, "returning", "session_start"))["segment"] == "ACTIVE_USER"
    assert await db.fetchval("SELECT user_segment FROM devices WHERE id = $1", device_id) == "active"


async def test_segments__30_day_counters__expire_nightly_and_on_ingest(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given two power users by 20 sessions, still seen today, first seen 40 days ago
    _, _, sdk = await _setup(client)
    ids = {}
    for name in ("old", "recent"):
        ids[name] = await _register(client, sdk, name)
        for _ in range(20):
            await _action(client, sdk, name, "session_start")
        await _shift_device(db, ids[name], first_days=40, last_days=0)
    # When their sessions are moved back in time: 30 days (outside the window) and 29 days (inside)
    for name, days in (("old", 30), ("recent", 29)):
        await db.execute("UPDATE device_days SET day = day - $2::int WHERE device_id = $1", ids[name], days)
        await db.execute(
            "UPDATE events SET created_at = created_at - make_interval(days => $2) WHERE device_id = $1",
            ids[name],
            days,
        )
    # Then the nightly pass expires the old counters only
    # (its segment moves too: power_user -> active)
    assert await _reclassify() == {"changed": 1, "segments_moved": 1}
    rows = {
        r["id"]: dict(r)
        for r in await db.fetch("SELECT id, user_segment, sessions_30d, sessions_count FROM devices")
    }
    assert rows[ids["old"]] == {
        "id": ids["old"],
        "user_segment": "active",
        "sessions_30d": 0,
        "sessions_count": 20,
    }
    assert rows[ids["recent"]] == {
        "id": ids["recent"],
        "user_segment": "power_user",
        "sessions_30d": 20,
        "sessions_count": 20,
    }
    old = await _profile(client, sdk, "old")
    assert (old["segment"], old["sessions_30d"]) == ("ACTIVE_USER", 0)
    assert (await _profile(client, sdk, "recent"))["segment"] == "POWER_USER"
    # and a new session counts within the window only (1, not 21)
    again = await _action(client, sdk, "old", "session_start")
    assert again["segment"] == "ACTIVE_USER"
    assert (await _profile(client, sdk, "old"))["sessions_30d"] == 1


async def test_segments__30_day_counters_expire_on_ingest_without_the_nightly_pass(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a power user (50 ad watches) whose watches are now 31 days old, seen today
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "lapsed")
    for _ in range(50):
        await _action(client, sdk, "lapsed", "ad_watched")
    await _shift_device(db, device_id, first_days=45, last_days=0)
    await db.execute("UPDATE device_days SET day = day - 31 WHERE device_id = $1", device_id)
    # When it watches one more ad, ingest recomputes the window: one watch in 30 days
    answer = await _action(client, sdk, "lapsed", "ad_watched")
    # Then it is no longer a power user
    assert answer["segment"] == "ACTIVE_USER"
    row = await db.fetchrow("SELECT ad_watches, ad_watches_30d FROM devices WHERE id = $1", device_id)
    assert dict(row) == {"ad_watches": 51, "ad_watches_30d": 1}


async def test_segments__nightly_actor_on_the_worker__reclassifies(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a device that turned churned by time alone
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "gone-quiet")
    await _shift_device(db, device_id, first_days=50, last_days=40)
    # When the schedule's actor runs on the worker
    from actors.segments import reclassify_devices

    reclassify_devices.send("test-tick")
    # Then the device row is reclassified
    for _ in range(150):
        if await db.fetchval("SELECT user_segment FROM devices WHERE id = $1", device_id) == "churned":
            break
        await asyncio.sleep(0.1)
    assert await db.fetchval("SELECT user_segment FROM devices WHERE id = $1", device_id) == "churned"


# --- ad strategy ------------------------------------------------------------------------------------------


async def test_ad_strategy__get__six_segments_shipped_defaults(client: Client) -> None:
    owner, app, _ = await _setup(client)
    strategies = await _strategies(client, owner["token"], app["id"])
    assert sorted(strategies) == sorted(SEGMENTS)
    for segment, strategy in strategies.items():
        assert STRATEGY_KEYS <= set(strategy), segment
        assert strategy["config_version"] == 1
    assert strategies["NEW_USER"]["interstitial_enabled"] is False
    assert strategies["CHURNED_USER"]["ads_enabled"] is False
    assert strategies["ACTIVE_USER"]["ads_enabled"] is True


async def test_ad_strategy__put__merges_and_bumps_config_version(client: Client) -> None:
    # Given the shipped defaults
    owner, app, _ = await _setup(client)
    path = f"/apps/{app['id']}/ad-strategy"
    defaults = await _strategies(client, owner["token"], app["id"])
    # When POWER_USER is changed twice, with extra keys of each allowed type
    first = await client.request(
        "PUT",
        path,
        owner["token"],
        json={
            "segment": "POWER_USER",
            "strategy": {
                "interstitial_cap": 1,
                "banner_enabled": False,
                "house_ads": True,
                "floor_ecpm": 0.75,
                "mediation": "max",
            },
        },
    )
    assert first.status_code == 200, first.text
    assert first.json()["segment"] == "POWER_USER"
    assert first.json()["strategy"]["config_version"] == 2
    second = await client.request(
        "PUT", path, owner["token"], json={"segment": "POWER_USER", "strategy": {"ad_cooldown_sec": 240}}
    )
    assert second.status_code == 200, second.text
    # Then the changes merge over the defaults and the version goes 1 -> 2 -> 3
    expected = {
        **defaults["POWER_USER"],
        "interstitial_cap": 1,
        "banner_enabled": False,
        "house_ads": True,
        "floor_ecpm": 0.75,
        "mediation": "max",
        "ad_cooldown_sec": 240,
        "config_version": 3,
    }
    assert second.json()["strategy"] == expected
    now = await _strategies(client, owner["token"], app["id"])
    assert now["POWER_USER"] == expected
    # and the other segments are untouched
    assert {s: v for s, v in now.items() if s != "POWER_USER"} == {
        s: v for s, v in defaults.items() if s != "POWER_USER"
    }


async def test_ad_strategy__wrong_types__400_with_details_nothing_changed(client: Client) -> None:
    owner, app, _ = await _setup(client)
    path = f"/apps/{app['id']}/ad-strategy"
    before = await _strategies(client, owner["token"], app["id"])
    bad = [
        ({"ads_enabled": "yes"}, "ads_enabled"),
        ({"ads_enabled": 1}, "ads_enabled"),
        ({"interstitial_cap": -1}, "interstitial_cap"),
        ({"interstitial_cap": 1.5}, "interstitial_cap"),
        ({"ad_cooldown_sec": True}, "ad_cooldown_sec"),
        ({"pre_show_delay_ms": "100"}, "pre_show_delay_ms"),
        ({"extra": {"nested": 1}}, "extra"),
        ({"extra": [1, 2]}, "extra"),
        ({"extra": None}, "extra"),
        ({"config_version": 9}, "config_version"),
        ({"interstitial_cap": 2, "native_enabled": "no"}, "native_enabled"),
    ]
    for strategy, key in bad:
        r = await client.request(
            "PUT", path, owner["token"], json={"segment": "ACTIVE_USER", "strategy": strategy}
        )
        assert r.status_code == 400, (strategy, r.text)
        assert key in r.json().get("details", {}), (strategy, r.json())
    for body in (
        {"segment": "WHALE_USER", "strategy": {"ads_enabled": True}},
        {"segment": "power_user", "strategy": {"ads_enabled": True}},
        {"strategy": {"ads_enabled": True}},
        {"segment": "POWER_USER"},
        {"segment": "POWER_USER", "strategy": "ads off"},
    ):
        r = await client.request("PUT", path, owner["token"], json=body)
        assert r.status_code == 400, (body, r.text)
    assert await _strategies(client, owner["token"], app["id"]) == before


async def test_ad_strategy__concurrent_puts__each_applied_versions_in_sequence(client: Client) -> None:
    # Given a segment never changed
    owner, app, _ = await _setup(client)
    path = f"/apps/{app['id']}/ad-strategy"
    # When eight changes of it arrive at once
    answers = await asyncio.gather(
        *[
            client.request(
                "PUT", path, owner["token"], json={"segment": "ACTIVE_USER", "strategy": {f"k{i}": i}}
            )
            for i in range(8)
        ]
    )
    # Then each was applied once, each answered with its own version 2..9
    assert [r.status_code for r in answers] == [200] * 8, [r.text for r in answers]
    assert sorted(r.json()["strategy"]["config_version"] for r in answers) == list(range(2, 10))
    strategy = (await _strategies(client, owner["token"], app["id"]))["ACTIVE_USER"]
    assert strategy["config_version"] == 9
    assert {k: strategy[k] for k in strategy if k.startswith("k")} == {f"k{i}": i for i in range(8)}


async def test_ad_strategy__values_out_of_range__400_not_500(client: Client) -> None:
    # Given the shipped defaults
    owner, app, _ = await _setup(client)
    path = f"/apps/{app['id']}/ad-strategy"
    # When settings too large for the SDK or the JSON encoder, or too long, are sent
    too_big = [
        {"interstitial_cap": 2**31},
        {"interstitial_cap": 2**64},
        {"huge": 10**30},
        {"huge": -(2**63) - 1},
        {"x" * 65: 1},
        {"s": "y" * 256},
    ]
    for strategy in too_big:
        r = await client.request(
            "PUT", path, owner["token"], json={"segment": "NEW_USER", "strategy": strategy}
        )
        # Then each is refused with the key named, nothing changed
        assert r.status_code == 400, (strategy, r.text)
        assert set(r.json()["details"]) == set(strategy)
    assert (await _strategies(client, owner["token"], app["id"]))["NEW_USER"]["config_version"] == 1
    # while the largest allowed values are taken and read back
    largest = {
        "interstitial_cap": 2**31 - 1,
        "big": 2**63 - 1,
        "small": -(2**63 - 1),
        "ratio": 1e308,
        "y" * 64: "z" * 255,
    }
    r = await client.request("PUT", path, owner["token"], json={"segment": "NEW_USER", "strategy": largest})
    assert r.status_code == 200, r.text
    assert (await _strategies(client, owner["token"], app["id"]))["NEW_USER"] == {
        **r.json()["strategy"],
        **largest,
    }


async def test_ad_strategy__viewer_reads_admin_writes_other_org_404(
    client: Client, stranger: Client, database_url: str
) -> None:
    owner, app, _ = await _setup(client)
    path = f"/apps/{app['id']}/ad-strategy"
    body = {"segment": "NEW_USER", "strategy": {"rewarded_cap": 3}}
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    # A viewer reads but cannot change
    assert (await client.request("GET", path, viewer["token"])).status_code == 200
    assert (await client.request("PUT", path, viewer["token"], json=body)).status_code == 403
    assert (await _strategies(client, owner["token"], app["id"]))["NEW_USER"]["config_version"] == 1
    # an admin may
    r = await client.request("PUT", path, admin["token"], json=body)
    assert r.status_code == 200 and r.json()["strategy"]["rewarded_cap"] == 3
    # another org's owner sees nothing
    other = await stranger.register()
    assert (await client.request("GET", path, other["token"])).status_code == 404
    assert (await client.request("PUT", path, other["token"], json=body)).status_code == 404
    assert (await client.request("GET", "/apps/999999999/ad-strategy", owner["token"])).status_code == 404
    assert (await _strategies(client, owner["token"], app["id"]))["NEW_USER"]["rewarded_cap"] == 3


async def test_ad_strategy__updated__power_user_profile_returns_it(client: Client) -> None:
    # Given a power user
    owner, app, sdk = await _setup(client)
    await _register(client, sdk, "payer")
    await _action(client, sdk, "payer", "purchase_made", product_id="vip", amount=9.99, currency="USD")
    # When the POWER_USER strategy is changed
    r = await client.request(
        "PUT",
        f"/apps/{app['id']}/ad-strategy",
        owner["token"],
        json={"segment": "POWER_USER", "strategy": {"ads_enabled": False, "tier": "gold"}},
    )
    assert r.status_code == 200, r.text
    # Then its profile (and its next action) carry the updated strategy, version 2
    profile = await _profile(client, sdk, "payer")
    assert profile["ad_strategy"] == r.json()["strategy"]
    assert (
        profile["ad_strategy"]["ads_enabled"],
        profile["ad_strategy"]["tier"],
        profile["ad_strategy"]["config_version"],
    ) == (False, "gold", 2)
    assert (await _action(client, sdk, "payer", "session_start"))["ad_strategy"] == r.json()["strategy"]
    # while a new device still gets the NEW_USER defaults
    await _register(client, sdk, "newbie")
    assert (await _profile(client, sdk, "newbie"))["ad_strategy"] == (
        await _strategies(client, owner["token"], app["id"])
    )["NEW_USER"]


async def test_ad_strategy__update__in_activity_log_with_before_after(client: Client) -> None:
    owner, app, _ = await _setup(client)
    r = await client.request(
        "PUT",
        f"/apps/{app['id']}/ad-strategy",
        owner["token"],
        json={"segment": "CASUAL_USER", "strategy": {"interstitial_daily_cap": 4, "promo": "x"}},
    )
    assert r.status_code == 200, r.text
    log = await client.request(
        "GET", "/settings/activity", owner["token"], params={"action": "ad_strategy.update"}
    )
    assert log.status_code == 200, log.text
    entries = log.json()["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["resource_id"], entry["user_id"]) == (str(app["id"]), owner["user"]["id"])
    assert entry["details"] == {
        "segment": "CASUAL_USER",
        "interstitial_daily_cap": {"before": 6, "after": 4},
        "promo": {"before": None, "after": "x"},
        "config_version": {"before": 1, "after": 2},
    }


# --- POST /sdk/revenue ------------------------------------------------------------------------------------


async def test_revenue__impressions__stored_and_counted_exactly(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a registered device
    _, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "viewer-1")
    # When two impressions and one purchase are reported
    impressions = [
        {
            "ad_type": "rewarded",
            "ad_network": "admob",
            "revenue": 0.0125,
            "ecpm": 12.5,
            "geo_tier": "tier1",
            "country": "us",
        },
        {
            "ad_type": "banner",
            "ad_network": "unity",
            "revenue": 0.00031,
            "geo_tier": "tier3",
            "country": "IN",
        },
    ]
    for body in impressions:
        r = await client.request("POST", "/sdk/revenue", headers=sdk, json={"android_id": "viewer-1", **body})
        assert r.status_code == 200, r.text
        assert r.json() == {"success": True}
    await _action(client, sdk, "viewer-1", "purchase_made", product_id="coins", amount=4.99, currency="USD")
    # Then each impression is a row with its network, type, tier and country (upper-case)
    rows = await db.fetch(
        "SELECT app_id, device_id, ad_type, ad_network, revenue, ecpm, geo_tier, country "
        "FROM revenue_events ORDER BY id"
    )
    assert [dict(r) for r in rows] == [
        {
            "app_id": app["id"],
            "device_id": device_id,
            "ad_type": "rewarded",
            "ad_network": "admob",
            "revenue": Decimal("0.0125"),
            "ecpm": Decimal("12.5"),
            "geo_tier": "tier1",
            "country": "US",
        },
        {
            "app_id": app["id"],
            "device_id": device_id,
            "ad_type": "banner",
            "ad_network": "unity",
            "revenue": Decimal("0.00031"),
            "ecpm": None,
            "geo_tier": "tier3",
            "country": "IN",
        },
    ]
    # and the device and the day's rollup moved by exactly the amounts
    assert await db.fetchval("SELECT ad_revenue FROM devices WHERE id = $1", device_id) == Decimal("0.01281")
    daily = await db.fetchrow(
        "SELECT ad_revenue, ad_impressions, purchase_revenue FROM app_daily WHERE app_id = $1", app["id"]
    )
    assert dict(daily) == {
        "ad_revenue": Decimal("0.01281"),
        "ad_impressions": 2,
        "purchase_revenue": Decimal("4.99"),
    }
    # and the profile sums purchase and ad revenue
    profile = await _profile(client, sdk, "viewer-1")
    assert profile["total_revenue"] == pytest.approx(5.00281, abs=1e-9)
    assert profile["total_purchases"] == 1


async def test_revenue__invalid__400_nothing_stored(client: Client, db: asyncpg.Connection) -> None:
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "ads")
    ok_body = {"android_id": "ads", "ad_type": "interstitial", "revenue": 0.01}
    bad = [
        {**ok_body, "ad_type": "video"},
        {**ok_body, "geo_tier": "tier4"},
        {**ok_body, "revenue": -0.01},
        {**ok_body, "revenue": "0.01"},
        {**ok_body, "ecpm": -1},
        {**ok_body, "country": "USA"},
        {k: v for k, v in ok_body.items() if k != "ad_type"},
        {k: v for k, v in ok_body.items() if k != "revenue"},
        {k: v for k, v in ok_body.items() if k != "android_id"},
    ]
    for body in bad:
        r = await client.request("POST", "/sdk/revenue", headers=sdk, json=body)
        assert r.status_code == 400, (body, r.text)
        assert "details" in r.json(), body
    assert await db.fetchval("SELECT count(*) FROM revenue_events") == 0
    assert await db.fetchval("SELECT ad_revenue FROM devices WHERE id = $1", device_id) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM app_daily WHERE ad_impressions <> 0 OR ad_revenue <> 0") == 0
    )


async def test_revenue__unknown_device__404_nothing_stored(client: Client, db: asyncpg.Connection) -> None:
    _, _, sdk = await _setup(client)
    r = await client.request(
        "POST", "/sdk/revenue", headers=sdk, json={"android_id": "ghost", "ad_type": "banner", "revenue": 0.5}
    )
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM revenue_events") == 0
    assert await db.fetchval("SELECT count(*) FROM devices") == 0
    assert await db.fetchval("SELECT count(*) FROM app_daily WHERE ad_impressions <> 0") == 0


# --- POST /devices/fcm-token ------------------------------------------------------------------------------


async def test_fcm_token__known_device__stored(client: Client, db: asyncpg.Connection) -> None:
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "pushable", fcm_token="old-token")
    r = await client.request(
        "POST",
        "/devices/fcm-token",
        headers=sdk,
        json={"android_id": "pushable", "fcm_token": "fcm:new-token_123"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True}
    assert await db.fetchval("SELECT fcm_token FROM devices WHERE id = $1", device_id) == "fcm:new-token_123"


async def test_fcm_token__unknown_device_404__missing_fields_400(
    client: Client, db: asyncpg.Connection
) -> None:
    _, _, sdk = await _setup(client)
    device_id = await _register(client, sdk, "pushable")
    r = await client.request(
        "POST", "/devices/fcm-token", headers=sdk, json={"android_id": "ghost", "fcm_token": "t"}
    )
    assert r.status_code == 404
    for body in (
        {"android_id": "pushable"},
        {"android_id": "pushable", "fcm_token": ""},
        {"fcm_token": "t"},
        {"android_id": "pushable", "fcm_token": 42},
    ):
        r = await client.request("POST", "/devices/fcm-token", headers=sdk, json=body)
        assert r.status_code == 400, (body, r.text)
    assert await db.fetchval("SELECT fcm_token FROM devices WHERE id = $1", device_id) is None
    assert await db.fetchval("SELECT count(*) FROM devices") == 1


# --- DELETE /dashboard/devices/{id} -----------------------------------------------------------------------

# The rollups recomputed from the rows that remain (what app_daily / app_daily_events must equal).
RECOMPUTED_DAILY = """
WITH ev AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, * FROM events WHERE app_id = $1
), rev AS (
    SELECT (created_at AT TIME ZONE 'UTC')::date AS day, * FROM revenue_events WHERE app_id = $1
), dev AS (
    SELECT (first_seen_at AT TIME ZONE 'UTC')::date AS day FROM devices WHERE app_id = $1
), days AS (SELECT day FROM ev UNION SELECT day FROM rev UNION SELECT day FROM dev)
SELECT d.day,
    (SELECT count(DISTINCT device_id) FROM ev WHERE ev.day = d.day) AS active_devices,
    (SELECT count(*) FROM dev WHERE dev.day = d.day) AS new_devices,
    (SELECT count(*) FROM ev WHERE ev.day = d.day) AS events,
    (SELECT count(*) FROM ev WHERE ev.day = d.day AND event_type = 'session_start') AS sessions,
    (SELECT count(*) FROM ev WHERE ev.day = d.day AND event_type = 'ad_watched') AS ad_watches,
    (SELECT count(*) FROM ev WHERE ev.day = d.day AND event_type = 'purchase') AS purchases,
    (SELECT coalesce(sum((event_data ->> 'amount')::numeric), 0) FROM ev
        WHERE ev.day = d.day AND event_type = 'purchase') AS purchase_revenue,
    (SELECT coalesce(sum(revenue), 0) FROM rev WHERE rev.day = d.day) AS ad_revenue,
    (SELECT count(*) FROM rev WHERE rev.day = d.day) AS ad_impressions
FROM days d
"""
DAILY_COLUMNS = (
    "active_devices",
    "new_devices",
    "events",
    "sessions",
    "ad_watches",
    "purchases",
    "purchase_revenue",
    "ad_revenue",
    "ad_impressions",
)


async def _rollups(db: asyncpg.Connection, app_id: int) -> tuple[dict[Any, dict], dict[Any, dict]]:
    """(app_daily, its recomputation) and (app_daily_events, its recomputation), all-zero rows left out."""

    def nonzero(rows: list[asyncpg.Record]) -> dict[Any, dict]:
        return {r["day"]: {c: r[c] for c in DAILY_COLUMNS} for r in rows if any(r[c] for c in DAILY_COLUMNS)}

    daily = nonzero(
        await db.fetch(f"SELECT day, {', '.join(DAILY_COLUMNS)} FROM app_daily WHERE app_id = $1", app_id)
    )
    recomputed = nonzero(await db.fetch(RECOMPUTED_DAILY, app_id))
    types = {
        (r["day"], r["event_type"]): r["count"]
        for r in await db.fetch(
            "SELECT day, event_type, count FROM app_daily_events WHERE app_id = $1 AND count <> 0", app_id
        )
    }
    types_recomputed = {
        (r["day"], r["event_type"]): r["n"]
        for r in await db.fetch(
            "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, event_type, count(*) AS n FROM events "
            "WHERE app_id = $1 GROUP BY 1, 2",
            app_id,
        )
    }
    return (daily, recomputed), (types, types_recomputed)


async def _assert_rollups_match(db: asyncpg.Connection, app_id: int) -> None:
    (daily, recomputed), (types, types_recomputed) = await _rollups(db, app_id)
    wrong = {
        (day, c): (daily.get(day, {}).get(c), recomputed.get(day, {}).get(c))
        for day in daily.keys() | recomputed.keys()
        for c in DAILY_COLUMNS
        if daily.get(day, {}).get(c, 0) != recomputed.get(day, {}).get(c, 0)
    }
    assert wrong == {}, "app_daily (stored, recomputed) differ"
    assert types == types_recomputed


async def _device_with_history(client: Client, sdk: dict[str, str], token: str, android_id: str) -> int:
    """A registered device with events on two days (sent by the SDK), a profile purchase and two impressions."""
    device_id = await _register(client, sdk, android_id, country="GB")
    yesterday = _iso(datetime.now(UTC) - timedelta(days=1))
    await _send_batch(
        client,
        sdk,
        token,
        [
            {"android_id": android_id, "event_type": "session_start", "created_at": yesterday},
            {
                "android_id": android_id,
                "event_type": "purchase",
                "created_at": yesterday,
                "event_data": {"product_id": "starter", "amount": 1.5, "currency": "USD"},
            },
            {"android_id": android_id, "event_type": "session_start"},
            {"android_id": android_id, "event_type": "ad_watched"},
            {"android_id": android_id, "event_type": "level_up", "event_data": {"level": 3}},
        ],
    )
    await _action(client, sdk, android_id, "purchase_made", product_id="gems", amount=2.25, currency="USD")
    for revenue in (0.02, 0.0031):
        r = await client.request(
            "POST",
            "/sdk/revenue",
            headers=sdk,
            json={
                "android_id": android_id,
                "ad_type": "interstitial",
                "ad_network": "admob",
                "revenue": revenue,
            },
        )
        assert r.status_code == 200, r.text
    return device_id


async def test_erase_device__receipt_rows_gone_rollups_forget_it(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given two devices with events on two days, purchases and ad revenue
    owner, app, sdk = await _setup(client)
    org_id = owner["user"]["org_id"]
    gone = await _device_with_history(client, sdk, owner["token"], "erase-me")
    kept = await _device_with_history(client, sdk, owner["token"], "keep-me")
    await _assert_rollups_match(db, app["id"])
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 2
    # When the owner erases one of them
    r = await client.request("DELETE", f"/dashboard/devices/{gone}", owner["token"])
    # Then the receipt counts what went
    assert r.status_code == 200, r.text
    assert r.json() == {
        "deleted": {
            "events": 6,
            "revenue_events": 2,
            "experiment_exposures": 0,
            "segment_memberships": 0,
            "device_days": 2,
            "devices": 1,
        }
    }
    for table in ("events", "revenue_events", "device_days"):
        assert await db.fetchval(f"SELECT count(*) FROM {table} WHERE device_id = $1", gone) == 0, table
        assert await db.fetchval(f"SELECT count(*) FROM {table} WHERE device_id = $1", kept) > 0, table
    assert await db.fetchval("SELECT count(*) FROM devices WHERE id = $1", gone) == 0
    # and the rollups equal a recomputation from what remains
    await _assert_rollups_match(db, app["id"])
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 1
    # and the SDK's same android_id is an unknown device, then a new one
    missing = await client.request("GET", "/sdk/profile", headers=sdk, params={"android_id": "erase-me"})
    assert missing.status_code == 404
    again = await _register(client, sdk, "erase-me")
    assert again != gone
    profile = await _profile(client, sdk, "erase-me")
    assert (profile["total_purchases"], profile["total_revenue"], profile["purchase_history"]) == (0, 0, [])
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 2
    await _assert_rollups_match(db, app["id"])
    # and the erasure is in the activity log
    log = await client.request("GET", "/settings/activity", owner["token"], params={"action": "device.erase"})
    assert [(e["resource_id"], e["details"]) for e in log.json()["entries"]] == [
        (
            str(gone),
            {
                "deleted": {
                    "events": 6,
                    "revenue_events": 2,
                    "experiment_exposures": 0,
                    "segment_memberships": 0,
                    "device_days": 2,
                    "devices": 1,
                }
            },
        )
    ]


async def test_erase_device__while_revenue_arrives__no_error_rollups_exact(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given devices with ad revenue
    owner, app, sdk = await _setup(client)
    ids = {f"rev-{i}": await _register(client, sdk, f"rev-{i}") for i in range(12)}

    async def impression(name: str) -> int:
        r = await client.request(
            "POST",
            "/sdk/revenue",
            headers=sdk,
            json={"android_id": name, "ad_type": "banner", "revenue": 0.001},
        )
        return r.status_code

    for name in ids:
        assert await impression(name) == 200
    # When each is erased while more of its impressions arrive
    results = await asyncio.gather(
        *[
            asyncio.gather(
                client.request("DELETE", f"/dashboard/devices/{device_id}", owner["token"]),
                *[impression(name) for _ in range(4)],
            )
            for name, device_id in ids.items()
        ]
    )
    # Then every erasure succeeded, each impression was stored (200) or found no device (404)
    for erased, *impressions in results:
        assert erased.status_code == 200, erased.text
        assert set(impressions) <= {200, 404}, impressions
    # and nothing of theirs remains, in the tables or the rollups
    assert await db.fetchval("SELECT count(*) FROM revenue_events") == 0
    assert await db.fetchval("SELECT count(*) FROM devices") == 0
    await _assert_rollups_match(db, app["id"])


async def test_erase_device__twice_at_once__one_receipt_one_404_counted_once(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a device with events, next to another
    owner, app, sdk = await _setup(client)
    device_id = await _register(client, sdk, "double")
    await _register(client, sdk, "other")
    for action in ("session_start", "ad_watched"):
        await _action(client, sdk, "double", action)
        await _action(client, sdk, "other", action)
    # When two erasures of it arrive at once
    first, second = await asyncio.gather(
        *[client.request("DELETE", f"/dashboard/devices/{device_id}", owner["token"]) for _ in range(2)]
    )
    # Then one answers the receipt, the other 404; the device is taken out of the counts once
    assert sorted([first.status_code, second.status_code]) == [200, 404]
    receipt = first if first.status_code == 200 else second
    assert receipt.json() == {
        "deleted": {
            "events": 2,
            "revenue_events": 0,
            "experiment_exposures": 0,
            "segment_memberships": 0,
            "device_days": 1,
            "devices": 1,
        }
    }
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == 1
    await _assert_rollups_match(db, app["id"])


async def test_erase_device__registered_only__receipt_and_rollups(
    client: Client, database_url: str, db: asyncpg.Connection
) -> None:
    # Given a device that registered and did nothing else, next to one that acted
    owner, app, sdk = await _setup(client)
    silent = await _register(client, sdk, "silent")
    await _register(client, sdk, "busy")
    await _action(client, sdk, "busy", "session_start")
    # When the silent one is erased by an admin
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    r = await client.request("DELETE", f"/dashboard/devices/{silent}", admin["token"])
    # Then the receipt has only the device, and the rollups still match
    assert r.status_code == 200, r.text
    assert r.json() == {
        "deleted": {
            "events": 0,
            "revenue_events": 0,
            "experiment_exposures": 0,
            "segment_memberships": 0,
            "device_days": 0,
            "devices": 1,
        }
    }
    await _assert_rollups_match(db, app["id"])


async def test_erase_device__roles_and_ids__403_404(
    client: Client, stranger: Client, database_url: str, db: asyncpg.Connection
) -> None:
    owner, _, sdk = await _setup(client)
    org_id = owner["user"]["org_id"]
    first = await _register(client, sdk, "d1")
    second = await _register(client, sdk, "d2")
    viewer = await add_member(database_url, org_id, "viewer", client)
    admin = await add_member(database_url, org_id, "admin", client)
    other_owner, _, other_sdk = await _setup(stranger)
    foreign = await _register(client, other_sdk, "d1")
    # A viewer may not erase
    r = await client.request("DELETE", f"/dashboard/devices/{first}", viewer["token"])
    assert r.status_code == 403
    # another org's device, an unknown id, and ids beyond bigint are 404
    for device_id in (
        foreign,
        9_999_999_999,
        9_223_372_036_854_775_807,
        9_223_372_036_854_775_808,
        99_999_999_999_999_999_999,
    ):
        r = await client.request("DELETE", f"/dashboard/devices/{device_id}", owner["token"])
        assert r.status_code == 404, (device_id, r.text)
    r = await client.request("DELETE", f"/dashboard/devices/{first}", other_owner["token"])
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM devices") == 3
    # an admin may, and a second erasure of the same id is 404
    r = await client.request("DELETE", f"/dashboard/devices/{second}", admin["token"])
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["devices"] == 1
    assert (await client.request("DELETE", f"/dashboard/devices/{second}", owner["token"])).status_code == 404
    assert sorted(r["id"] for r in await db.fetch("SELECT id FROM devices")) == sorted([first, foreign])
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", org_id) == 1


async def test_batches_of_both_device_partitions_stored_side_by_side__counters_rollups_quota_exact(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given 40 devices whose android_ids fall into both ingest partitions (flushed side by side, sharing
    # the app's rollup rows), each sending two batches at once: new devices, events over three days
    owner = await client.register()
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])  # sdk tier
    app = await client.create_app(owner["token"])
    sdk = {"X-SDK-Key": app["sdk_key"]}
    names = [f"side-{i}" for i in range(40)]
    assert {zlib.crc32(n.encode()) % 2 for n in names} == {0, 1}
    now = datetime.now(UTC)
    kinds = ["session_start", "ad_watched", "purchase", "level_up", "ad_watched"]

    def batch(name: str, part: int) -> list[dict[str, Any]]:
        return [
            {
                "android_id": name,
                "event_type": kinds[(i + part) % len(kinds)],
                "created_at": _iso(now - timedelta(days=(i + part) % 3, minutes=i + 1)),
                **({"event_data": {"amount": 1.25}} if kinds[(i + part) % len(kinds)] == "purchase" else {}),
            }
            for i in range(10)
        ]

    # When all 80 batches arrive together
    await asyncio.gather(
        *(_send_batch(client, sdk, owner["token"], batch(n, part)) for n in names for part in (0, 1))
    )
    # Then every device's counters equal a direct count over its stored events
    wrong = await db.fetch(
        """
        SELECT d.android_id FROM devices d JOIN (
            SELECT device_id, min(created_at) AS first_at, max(created_at) AS last_at,
                count(*) FILTER (WHERE event_type = 'session_start') AS sessions,
                count(*) FILTER (WHERE event_type = 'ad_watched') AS ad_watches,
                count(*) FILTER (WHERE event_type = 'purchase') AS purchases
            FROM events WHERE app_id = $1 GROUP BY device_id) e ON e.device_id = d.id
        WHERE (d.first_seen_at, d.last_seen_at, d.sessions_count, d.ad_watches, d.purchases,
               d.purchase_revenue) IS DISTINCT FROM
              (e.first_at, e.last_at, e.sessions::int, e.ad_watches::int, e.purchases::int, e.purchases * 1.25)""",
        app["id"],
    )
    assert [r["android_id"] for r in wrong] == []
    assert await db.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app["id"]) == 800
    # and the app's rollups, and the quota, count each device and event once
    await _assert_rollups_match(db, app["id"])
    assert await db.fetchval("SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]) == len(
        names
    )
