"""The Android SDK (sdk/android: Vaimanasoft.java and Vaimanasoft.kt, the same public API) on the
JVM against the running platform: registration on first launch, batching (size, background,
timer, flush), the on-device queue across a process kill while the API is down, retries (429
Retry-After, 5xx backoff, 4xx dropped), flags against the shared vectors through the platform,
ETag/304, TTL and offline fallback, profile and ad strategy, FCM token, revenue, no I/O on the
calling (main) thread and no thread left after shutdown. Every test runs for both languages."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sdk.conftest import Account, OwnServer, fetch, make_account, wait_value
from tests.sdk.faultproxy import FaultProxy
from tests.sdk.jvm import ANDROID, FLAVOURS, Harness, build, missing_tool

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "sdk" / "flag-vectors.json").read_text())
BATCH = "/api/v4/events/batch"
REGISTER = "/api/v4/devices/register"
FLAGS = "/api/v4/sdk/flags"
COUNT_EVENTS = "SELECT count(*) FROM events WHERE app_id = $1"
QUIET = {"flushIntervalMs": 600_000, "retryBaseMs": 200, "retryMaxMs": 2000}  # no timer flushes

pytestmark = pytest.mark.usefixtures("worker")
Launch = Callable[..., Harness]


@pytest.fixture(scope="module", params=FLAVOURS)
def classpath(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The SDK of one language compiled with the stubs and the harness (once per module)."""
    problem = missing_tool(request.param)
    if problem:
        pytest.skip(problem)
    return build(request.param, tmp_path_factory.mktemp(f"jvm-{request.param}"))


@pytest.fixture
def launch(classpath: list[str], tmp_path: Path) -> Iterator[Launch]:
    """Starts app processes (JVMs) sharing one device directory; closes them at the end."""
    started: list[Harness] = []

    def start(**init: Any) -> Harness:
        h = Harness(classpath, tmp_path / f"jvm-{len(started)}.log")
        started.append(h)
        if init:
            h.call("init", **{"dir": str(tmp_path / "device"), **init})
        return h

    yield start
    for h in started:
        h.close()


def wait_log(harness: Harness, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in harness.log():
        assert time.monotonic() < deadline, f"{text!r} not logged:\n{harness.log()[-2000:]}"
        time.sleep(0.05)


def init_args(account: Account, url: str, **options: Any) -> dict[str, Any]:
    return {"sdkKey": account.sdk_key, "baseUrl": url, "options": {**QUIET, **options}}


async def test_vectors__the_sdk_evaluation_matches_every_shared_vector(launch: Launch) -> None:
    # Given the shared vector file / When the SDK's own evaluation runs over it (no server)
    result = launch().call("vectors", path=str(ROOT / "sdk" / "flag-vectors.json"))
    # Then every case, walk, rollout boundary and CRC text matches
    expected = sum(len(VECTORS[k]) for k in ("cases", "walks", "rollouts", "crc32"))
    assert (result["checked"], result["failures"]) == (expected, [])


async def test_first_launch__registers_once_with_the_device_details(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given a first launch from the Play Store
    app = init_args(account, proxy.url) | {"secureAndroidId": "a1b2c3d4e5f60718", "appVersion": "2.3.1"}
    first = launch(**app, installer="com.android.vending")
    # Then the device registers with its details, before the flags are fetched (targeting needs them)
    proxy.wait_for(FLAGS, 1)
    rows = await fetch(
        database_url,
        "SELECT android_id, brand, model, android_version, app_version, country, install_type FROM devices "
        "WHERE app_id = $1",
        account.app_id,
    )
    assert [tuple(r) for r in rows] == [
        ("a1b2c3d4e5f60718", "google", "Pixel 8", "14", "2.3.1", "DE", "store")
    ]
    paths = [e.path for e in proxy.exchanges]
    assert paths.index(REGISTER) < paths.index(FLAGS)
    first.call("shutdown")
    first.close()
    # When the app starts again / Then it does not register again
    again = launch(**app)
    proxy.wait_for(FLAGS, 2)
    assert len(proxy.requests(REGISTER)) == 1
    again.call("shutdown")
    again.close()
    # When an update starts / Then it registers the new version
    launch(**(app | {"appVersion": "2.4.0"}))
    proxy.wait_for(FLAGS, 3)
    assert len(proxy.requests(REGISTER)) == 2
    assert (
        await wait_value(
            database_url,
            "SELECT app_version FROM devices WHERE app_id = $1",
            account.app_id,
            expected="2.4.0",
        )
        == "2.4.0"
    )


async def test_batching__on_size_background_flush_and_timer(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    sdk = launch(**init_args(account, proxy.url), secureAndroidId="batch-device")
    proxy.wait_for(FLAGS, 1)
    # Given 49 events: nothing is sent
    sdk.call("trackMany", name="level_up", count=49)
    assert sdk.call("waitQueue", size=49) == 49
    time.sleep(0.5)
    assert proxy.requests(BATCH) == []
    # When the 50th is tracked / Then a batch of 50 is sent
    sdk.call("track", name="level_up", props={"n": 49})
    assert [len(b.body["events"]) for b in proxy.wait_for(BATCH, 1)] == [50]
    # 20 more wait for flush(); 3 more for the app going to the background
    sdk.call("trackMany", name="page_view", count=20)
    assert sdk.call("waitQueue", size=20) == 20
    sdk.call("flush")
    proxy.wait_for(BATCH, 2)
    sdk.call("trackMany", name="ad_watched", count=3)
    assert sdk.call("waitQueue", size=3) == 3
    assert sdk.call("background") == 1  # onTrimMemory(TRIM_MEMORY_UI_HIDDEN), as the system calls it
    batches = proxy.wait_for(BATCH, 3)
    assert [len(b.body["events"]) for b in batches] == [50, 20, 3]
    sdk.call("shutdown")
    # And with a timer of 0.5 s, 2 events go without any call
    timed = launch(**init_args(account, proxy.url, flushIntervalMs=500), secureAndroidId="batch-device")
    timed.call("trackMany", name="session_start", count=2)
    assert [len(b.body["events"]) for b in proxy.wait_for(BATCH, 4)][3] == 2
    # Then every event was stored once, each with its event_id, every batch with sent_at
    sent_ids = [e["event_id"] for b in proxy.requests(BATCH) for e in b.body["events"]]
    assert len(set(sent_ids)) == 75 and all(b.body["sent_at"].endswith("Z") for b in proxy.requests(BATCH))
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=75) == 75
    rows = await fetch(database_url, "SELECT event_id::text FROM events WHERE app_id = $1", account.app_id)
    assert sorted(r["event_id"] for r in rows) == sorted(sent_ids)


async def test_offline__events_stored_on_the_device_survive_a_kill_and_are_stored_once(
    launch: Launch, account: Account, own_server: OwnServer, database_url: str
) -> None:
    # Given a registered device, then the API goes down
    app = init_args(account, own_server.url) | {"secureAndroidId": "offline-device"}
    first = launch(**app)
    assert (
        await wait_value(
            database_url, "SELECT count(*) FROM devices WHERE app_id = $1", account.app_id, expected=1
        )
        == 1
    )
    own_server.stop()
    # When 30 events are tracked, a flush fails, and the app process is killed
    first.call("trackMany", name="level_up", count=30)
    first.call("flush")
    assert first.call("waitQueue", size=30) == 30
    wait_log(first, "retrying in")  # the flush ran (after the events were written), and failed
    first.kill()
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=0, timeout=1) == 0
    # And the app starts again once the API is back
    own_server.start()
    second = launch(**app)
    # Then the stored events are sent at start and stored exactly once
    assert second.call("waitQueue", size=0) == 0
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=30) == 30
    distinct = "SELECT count(DISTINCT event_id) FROM events WHERE app_id = $1"
    assert await wait_value(database_url, distinct, account.app_id, expected=30) == 30
    second.call("shutdown")
    second.close()
    # And a third start sends nothing again
    third = launch(**app)
    third.call("refreshFlags")
    assert third.call("queueSize") == 0
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=30) == 30


async def test_retry__429_waits_for_retry_after_then_5xx_backs_off(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given a 429 with Retry-After: 2, then two 503s (base delay 0.3 s)
    proxy.inject(BATCH, 429, headers={"Retry-After": "2"})
    proxy.inject(BATCH, 503, times=2)
    sdk = launch(
        **init_args(account, proxy.url, retryBaseMs=300, retryMaxMs=5000), secureAndroidId="retry-device"
    )
    # When 5 events are flushed
    sdk.call("trackMany", name="page_view", count=5)
    sdk.call("flush")
    attempts = proxy.wait_for(BATCH, 4)
    # Then the attempts wait Retry-After, then at least half of 0.3 s, then half of 0.6 s; stored once
    assert [a.status for a in attempts] == [429, 503, 503, 202]
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] >= 2.0 and gaps[1] >= 0.15 and gaps[2] >= 0.3, gaps
    assert len({e["event_id"] for a in attempts for e in a.body["events"]}) == 5
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=5) == 5


async def test_4xx__drops_the_batch_and_a_wrong_key_drops_everything(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given a 400 for the first batch (batches of 2)
    proxy.inject(BATCH, 400)
    sdk = launch(**init_args(account, proxy.url, maxBatchSize=2), secureAndroidId="drop-device")
    sdk.call("track", name="page_view", props={"i": 0})
    sdk.call("track", name="page_view", props={"i": 1})
    proxy.wait_for(BATCH, 1)
    sdk.call("track", name="page_view", props={"i": 2})
    sdk.call("track", name="page_view", props={"i": 3})
    # Then the first is dropped, not retried; the second stored
    assert [b.status for b in proxy.wait_for(BATCH, 2)] == [400, 202]
    assert sdk.call("waitQueue", size=0) == 0
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=2) == 2
    rows = await fetch(database_url, "SELECT event_data FROM events WHERE app_id = $1", account.app_id)
    assert sorted(json.loads(r["event_data"])["i"] for r in rows) == [2, 3]
    sdk.call("shutdown")
    # And with a key the platform does not know, the 401s drop the events instead of piling them up
    wrong = launch(**(init_args(account, proxy.url) | {"sdkKey": "sk_0000000000000000"}), secureAndroidId="x")
    wrong.call("trackMany", name="page_view", count=3)
    wrong.call("flush")
    assert wrong.call("waitQueue", size=0) == 0
    assert proxy.wait_for(BATCH, 3)[-1].status == 401


async def test_flags__shared_vectors_through_the_platform(
    launch: Launch, client: Any, proxy: FaultProxy, database_url: str, tmp_path: Path
) -> None:
    # Given the vector flags (50/30/20), each at the rollout of its first case's bucket + 1, then at it
    account = await make_account(client, database_url, plan="enterprise")  # many launches: no rate limit
    cta = VECTORS["variants_50_30_20"]
    first_case: dict[str, dict[str, Any]] = {}
    for case in VECTORS["cases"]:
        first_case.setdefault(case["flag_key"], case)
    flags = {
        key: await account.create_flag(
            key, flag_type="multivariate", rollout_pct=c["bucket"] + 1, variants=cta
        )
        for key, c in first_case.items()
    }
    devices = sorted({c["android_id"] for c in VECTORS["cases"]})
    for shift in (1, 0):
        for key, c in first_case.items():
            await account.update_flag(flags[key]["id"], rollout_pct=c["bucket"] + shift)
        # When each vector device's app starts and reads its flags (one JVM, one device after the other)
        sdk = launch()
        for android_id in devices:
            sdk.call(
                "init", dir=str(tmp_path / android_id), **init_args(account, proxy.url, androidId=android_id)
            )
            assert sdk.call("refreshFlags") is True
            cases = [c for c in VECTORS["cases"] if c["android_id"] == android_id]
            got = sdk.call("flags", keys=[c["flag_key"] for c in cases])
            # Then on exactly when bucket < rollout, with the vector's variant and its value
            for c in cases:
                rollout = first_case[c["flag_key"]]["bucket"] + shift
                on = c["bucket"] < rollout
                value = {v["key"]: v["value"] for v in cta}.get(c["variant"]) if on else None
                assert got[c["flag_key"]] == {
                    "enabled": on,
                    "enabledDefaultTrue": on,
                    "variant": c["variant"] if on else None,
                    "value": value,
                }, (c, rollout)
            sdk.call("shutdown")


async def test_flags__etag_304_ttl_offline_fallback_and_cache_across_restart(
    launch: Launch, account: Account, proxy: FaultProxy
) -> None:
    cta = await account.create_flag(
        "cta_color", flag_type="multivariate", rollout_pct=100, variants=VECTORS["variants_50_30_20"]
    )
    await account.create_flag("dark_mode", rollout_pct=100)
    app = init_args(account, proxy.url, androidId="a1b2c3d4e5f60718", flagsTtlMs=1000)
    sdk = launch(**app)
    # Given the flags fetched at start
    assert sdk.call("refreshFlags") is True
    got = sdk.call("flags", keys=["cta_color", "dark_mode", "missing"])
    assert got["cta_color"] == {
        "enabled": True,
        "enabledDefaultTrue": True,
        "variant": "green",
        "value": "#22C55E",
    }
    assert got["dark_mode"]["enabled"] is True and got["dark_mode"]["variant"] is None
    assert (got["missing"]["enabled"], got["missing"]["enabledDefaultTrue"]) == (False, True)
    assert sdk.call("getValue", key="cta_color", default="#000000") == {"value": "#22C55E", "class": "String"}
    assert sdk.call("getValue", key="cta_color", default=7) == {"value": 7, "class": "Integer"}
    # When refreshed again / Then a conditional request answered 304, the same values
    assert sdk.call("refreshFlags") is True
    fetched = proxy.requests(FLAGS)
    assert (
        fetched[-1].status == 304
        and fetched[-1].headers["If-None-Match"] == fetched[0].response_headers["ETag"]
    )
    assert sdk.call("flags", keys=["cta_color"])["cta_color"]["variant"] == "green"
    # After the TTL a read refreshes in the background
    count = len(proxy.requests(FLAGS))
    time.sleep(1.1)
    sdk.call("flags", keys=["dark_mode"])
    assert len(proxy.wait_for(FLAGS, count + 1)) == count + 1
    # A changed flag answers 200 with the new evaluation
    await account.update_flag(cta["id"], rollout_pct=0)
    assert sdk.call("refreshFlags") is True
    assert proxy.requests(FLAGS)[-1].status == 200
    assert sdk.call("flags", keys=["cta_color"])["cta_color"] == {
        "enabled": False,
        "enabledDefaultTrue": False,
        "variant": None,
        "value": None,
    }
    # Offline: the cached flags stay in use
    proxy.inject(FLAGS, 503, times=100)
    assert sdk.call("refreshFlags") is False
    assert sdk.call("flags", keys=["dark_mode"])["dark_mode"]["enabled"] is True
    sdk.call("shutdown")
    sdk.close()
    # And after a restart still offline, the flags kept on the device answer
    again = launch(**app)
    assert again.call("refreshFlags") is False
    assert again.call("flags", keys=["dark_mode"])["dark_mode"]["enabled"] is True


async def test_device_calls__events_profile_fcm_revenue_no_main_thread_io_no_thread_left(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    sdk = launch(**init_args(account, proxy.url), secureAndroidId="calls-device")
    # When the app uses every call of the API
    sdk.call("trackSessionStart")
    sdk.call("trackPurchase", productId="premium_monthly", amount=9.99)
    sdk.call("trackAdWatched")
    sdk.call("trackFeatureUsed", feature="dark_mode")
    sdk.call("trackPageView", page="settings")
    sdk.call("trackBundle", name="button_clicked", props={"button": "subscribe", "n": 3, "on": True})
    sdk.call("track", name="nested", props={"level": {"world": 2}, "tags": None})
    sdk.call("track", name="Not A Valid Name")  # refused by the SDK, never sent
    sdk.call(
        "trackAdRevenue",
        adType="rewarded",
        adNetwork="admob",
        revenue=0.0035,
        ecpm=3.5,
        geoTier="tier3",
        country="IN",
    )
    sdk.call("updateFcmToken", token="fcm-token-1")
    sdk.call("trackCrossPromo", campaignId=7, event="click")
    sdk.call("trackSessionEnd")
    sdk.call("flush")
    assert sdk.call("waitQueue", size=0) == 0
    # Then the events, counters, revenue and token are stored
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=8) == 8
    rows = await fetch(
        database_url, "SELECT event_type, event_data FROM events WHERE app_id = $1", account.app_id
    )
    data = {r["event_type"]: json.loads(r["event_data"]) for r in rows}
    assert data["purchase"] == {"product_id": "premium_monthly", "amount": 9.99, "currency": "USD"}
    assert data["feature_used"] == {"feature": "dark_mode"} and data["page_view"] == {"page": "settings"}
    assert data["button_clicked"] == {"button": "subscribe", "n": 3, "on": True}
    assert data["nested"] == {"level": {"world": 2}, "tags": None}
    assert set(data["session_end"]) == {"duration_sec"}
    device = await fetch(
        database_url,
        "SELECT purchases, ad_watches, sessions_count, fcm_token FROM devices WHERE app_id = $1",
        account.app_id,
    )
    assert [tuple(r) for r in device] == [(1, 1, 1, "fcm-token-1")]
    revenue = await fetch(
        database_url,
        "SELECT ad_type, geo_tier, country FROM revenue_events WHERE app_id = $1",
        account.app_id,
    )
    assert [tuple(r) for r in revenue] == [("rewarded", "tier3", "IN")]
    # The cross-promotion call has API.md's shape (its route is another area's: answered 404 here)
    assert [e.body for e in proxy.requests("/api/v4/sdk/crosspromo/track")] == [
        {"campaign_id": 7, "event": "click", "android_id": "calls-device"}
    ]
    assert sdk.call("crossPromo") is None
    # Profile and ad strategy accessors
    profile = sdk.call("refreshProfile")
    assert profile["segment"] == "POWER_USER" and profile["total_purchases"] == 1
    accessors = sdk.call("profile")
    assert accessors["segment"] == "POWER_USER" and accessors["adStrategy"] == profile["ad_strategy"]
    assert accessors["adsEnabled"] == profile["ad_strategy"]["ads_enabled"]
    assert accessors["interstitialCap"] == profile["ad_strategy"]["interstitial_cap"]
    # And no call did file or network I/O on the calling (main) thread
    strict = sdk.call("strict")
    if not strict["available"]:
        pytest.skip("this JVM cannot install a SecurityManager: the main-thread I/O check did not run")
    assert strict["violations"] == []
    # After shutdown no SDK thread is left
    sdk.call("shutdown")
    deadline = time.monotonic() + 15
    while sdk.call("threads") and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert sdk.call("threads") == []


async def test_android_id__the_shared_buggy_id_is_replaced_by_a_kept_random_id(
    launch: Launch, account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given Settings.Secure.ANDROID_ID is 9774d56d682e549c (shared by many Android 2.2 devices)
    app = init_args(account, proxy.url) | {"secureAndroidId": "9774d56d682e549c"}
    first = launch(**app)
    proxy.wait_for(FLAGS, 1)
    first.call("shutdown")
    first.close()
    launch(**app)
    proxy.wait_for(FLAGS, 2)
    # Then one device registered, under a random id kept across starts
    ids = {e.body["android_id"] for e in proxy.requests(REGISTER)} | {
        q.query.split("=", 1)[1] for q in proxy.requests(FLAGS)
    }
    assert len(ids) == 1 and re.fullmatch(r"[0-9a-f]{32}", ids.pop())
    assert (
        await wait_value(
            database_url, "SELECT count(*) FROM devices WHERE app_id = $1", account.app_id, expected=1
        )
        == 1
    )


def test_sources__only_android_sdk_classes_java_and_org_json() -> None:
    # The SDK files import nothing else (no Gradle dependency) and never call a stub-only member
    for source in ("Vaimanasoft.java", "Vaimanasoft.kt"):
        text = (ANDROID / source).read_text()
        imports = re.findall(r"^import ([\w.]+)", text, re.MULTILINE)
        assert imports and all(i.startswith(("android.", "java.", "org.json.")) for i in imports), source
        assert "testOnly" not in text and "TestOnly" not in text, source
