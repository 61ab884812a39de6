"""The Python SDK (sdk/python) against the running platform: batching, the on-disk queue across a
process restart, exactly-once storage of replayed batches, retries (429 Retry-After, 5xx backoff,
4xx dropped), flags with ETag/304 and offline fallback, and the device calls. Events are stored by
the session's real worker; the proxy (tests.sdk.faultproxy) records what the SDK sent."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from vaimanasoft_sdk import APIError, AsyncVaimanasoft, Vaimanasoft

from tests.sdk.conftest import Account, OwnServer, fetch, wait_value
from tests.sdk.faultproxy import FaultProxy

ROOT = Path(__file__).resolve().parents[2]
BATCH = "/api/v4/events/batch"
FLAGS = "/api/v4/sdk/flags"
COUNT_EVENTS = "SELECT count(*) FROM events WHERE app_id = $1"
CTA = [
    {"key": "green", "value": "#22C55E", "weight": 50},
    {"key": "orange", "value": "#F59E0B", "weight": 30},
    {"key": "blue", "value": "#3B82F6", "weight": 20},
]

pytestmark = pytest.mark.usefixtures("worker")


def sdk(account: Account, url: str, queue: Path | None = None, **options: Any) -> Vaimanasoft:
    options.setdefault("background", False)
    options.setdefault("retry_base", 0.2)
    options.setdefault("retry_max", 2.0)
    return Vaimanasoft(account.sdk_key, url, queue, **options)


def run_app(url: str, key: str, queue: Path, **args: Any) -> dict[str, Any]:
    """tests.sdk.sdk_process in a process of its own (an app run); returns what it printed."""
    argv = [sys.executable, "-m", "tests.sdk.sdk_process", "--url", url, "--key", key, "--queue", str(queue)]
    for name, value in args.items():
        argv += [f"--{name}", str(value)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "sdk" / "python"), str(ROOT)])}
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_batches__at_most_50_events_each_with_event_id_and_sent_at(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given 120 events tracked for 3 devices
    client = sdk(account, proxy.url)
    ids = [client.track(f"dev-{i % 3}", "page_view", {"page": f"p{i}"}) for i in range(120)]
    # When flushed
    result = client.flush()
    client.close()
    # Then three batches of 50, 50 and 20 were sent, each with sent_at, and every event is stored once
    assert (result.sent, result.dropped, result.pending) == (120, 0, 0)
    batches = proxy.requests(BATCH)
    assert [len(b.body["events"]) for b in batches] == [50, 50, 20]
    assert all(b.status == 202 and b.body["sent_at"].endswith("Z") for b in batches)
    assert [e["event_id"] for b in batches for e in b.body["events"]] == ids
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=120) == 120
    rows = await fetch(
        database_url, "SELECT event_id::text, event_data FROM events WHERE app_id = $1", account.app_id
    )
    assert {r["event_id"] for r in rows} == set(ids)


async def test_restart__events_queued_while_the_server_is_down_are_stored_exactly_once(
    account: Account, own_server: OwnServer, database_url: str, tmp_path: Path
) -> None:
    # Given the platform's API is down
    queue = tmp_path / "queue.db"
    own_server.stop()
    # When an app run tracks 75 events for 4 devices and exits without reaching the server
    first = run_app(own_server.url, account.sdk_key, queue, track=75, devices=4, flush=0)
    assert (first["sent"], first["pending"]) == (0, 75)
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=0, timeout=1) == 0
    # And the next run starts after the API is back
    own_server.start()
    second = run_app(own_server.url, account.sdk_key, queue, flush=30)
    # Then the queued events are sent and stored exactly once
    assert (second["sent"], second["pending"]) == (75, 0)
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=75) == 75
    rows = await fetch(database_url, "SELECT event_id::text FROM events WHERE app_id = $1", account.app_id)
    assert sorted(r["event_id"] for r in rows) == sorted(first["event_ids"])
    # And a third run has nothing left to send
    assert run_app(own_server.url, account.sdk_key, queue, flush=5)["sent"] == 0


async def test_replayed_batch__stored_once(account: Account, proxy: FaultProxy, database_url: str) -> None:
    # Given the platform stores a batch but its answer is lost (the proxy turns the 202 into a 500)
    proxy.inject(BATCH, 500, forward=True)
    client = sdk(account, proxy.url)
    ids = [client.track("replay-dev", "ad_watched") for _ in range(10)]
    # When the SDK retries the same batch
    result = client.flush(timeout=20)
    client.close()
    # Then it sent it twice, with the same event ids, and the platform stored it once
    sent = proxy.requests(BATCH)
    assert [b.status for b in sent] == [500, 202] and result.sent == 10
    assert (
        [e["event_id"] for e in sent[0].body["events"]]
        == [e["event_id"] for e in sent[1].body["events"]]
        == ids
    )
    # And one more replay of the recorded body (a client sending it again) changes nothing
    r = httpx.post(
        proxy.target + "/api/v4/events/batch", json=sent[0].body, headers={"X-SDK-Key": account.sdk_key}
    )
    assert r.status_code == 202
    await asyncio.sleep(1)
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=10) == 10
    device_watches = await fetch(
        database_url, "SELECT ad_watches FROM devices WHERE app_id = $1", account.app_id
    )
    assert [r["ad_watches"] for r in device_watches] == [10]


async def test_429__the_next_attempt_waits_for_retry_after(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given the platform answers the first batch with 429 and Retry-After: 2
    proxy.inject(BATCH, 429, headers={"Retry-After": "2"})
    client = sdk(account, proxy.url)
    for i in range(5):
        client.track("rl-dev", "page_view", {"i": i})
    # When flushed
    result = client.flush(timeout=20)
    client.close()
    # Then the second attempt came no earlier than 2 seconds after the first, and the events are stored once
    first, second = proxy.requests(BATCH)
    assert (first.status, second.status, result.sent) == (429, 202, 5)
    assert second.at - first.at >= 2.0
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=5) == 5


async def test_5xx__retried_with_growing_backoff(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given three 503s in a row (base delay 0.2 s: waits in [0.1, 0.2], [0.2, 0.4], [0.4, 0.8])
    proxy.inject(BATCH, 503, times=3)
    client = sdk(account, proxy.url, retry_base=0.2, retry_max=10)
    client.track("retry-dev", "page_view")
    # When flushing with time to spare
    result = client.flush(timeout=20)
    client.close()
    # Then four attempts, each wait at least half its doubling cap, and the event stored
    attempts = proxy.requests(BATCH)
    assert [a.status for a in attempts] == [503, 503, 503, 202] and result.sent == 1
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert [g >= 0.2 * 2**k / 2 for k, g in enumerate(gaps)] == [True, True, True], gaps
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=1) == 1


async def test_4xx__drops_the_batch_and_sends_the_next(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given a 400 for the first batch (batches of 2)
    proxy.inject(BATCH, 400)
    client = sdk(account, proxy.url, flush_at=2)
    for i in range(4):
        client.track("drop-dev", "page_view", {"i": i})
    # When flushed
    result = client.flush()
    client.close()
    # Then the first batch is dropped, not retried, and the second stored
    assert (result.sent, result.dropped, result.pending) == (2, 2, 0)
    assert [b.status for b in proxy.requests(BATCH)] == [400, 202]
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=2) == 2
    rows = await fetch(database_url, "SELECT event_data FROM events WHERE app_id = $1", account.app_id)
    assert sorted(json.loads(r["event_data"])["i"] for r in rows) == [2, 3]


async def test_wrong_key__the_platforms_401_drops_events(server: str) -> None:
    # Given a client with a key the platform does not know
    client = Vaimanasoft("sk_0000000000000000", f"{server}/api/v4", background=False)
    client.track("dev", "page_view")
    # When flushed / Then the 401 drops the batch (nothing is retried forever); direct calls raise
    assert dataclasses.asdict(client.flush()) == {"sent": 0, "dropped": 1, "pending": 0}
    with pytest.raises(APIError) as refused:
        client.register("dev")
    assert refused.value.status == 401
    client.close()


async def test_flags__etag_304_ttl_and_offline_fallback(account: Account, proxy: FaultProxy) -> None:
    # Given a multivariate flag at 100 % and a boolean one
    cta = await account.create_flag("cta_color", flag_type="multivariate", rollout_pct=100, variants=CTA)
    await account.create_flag("dark_mode", rollout_pct=100)
    client = sdk(account, proxy.url, flags_ttl=0.5)
    device = client.device("a1b2c3d4e5f60718")
    # When read / Then the shared vector's variant, values typed by the default
    assert device.get_variant("cta_color") == "green" and device.is_enabled("dark_mode")
    assert device.get_value("cta_color", "#000000") == "#22C55E"
    assert device.get_value("cta_color", 0) == 0  # a string value for an int default: the default
    assert device.is_enabled("missing") is False and device.is_enabled("missing", True) is True
    # Within the TTL no request; after it, a conditional one answered 304
    device.is_enabled("dark_mode")
    assert len(proxy.requests(FLAGS)) == 1
    await asyncio.sleep(0.6)
    device.is_enabled("dark_mode")
    first, second = proxy.requests(FLAGS)
    assert (first.status, second.status) == (200, 304)
    assert second.headers["If-None-Match"] == first.response_headers["ETag"]
    # A changed flag answers 200 with the new evaluation
    await account.update_flag(cta["id"], rollout_pct=0)
    assert device.refresh_flags()["cta_color"] == {"enabled": False, "type": "multivariate"}
    assert proxy.requests(FLAGS)[-1].status == 200 and device.get_variant("cta_color") is None
    # Offline: the last known flags; for a device never fetched, the defaults
    proxy.inject(FLAGS, 503, times=2)
    await asyncio.sleep(0.6)
    assert device.is_enabled("dark_mode") is True
    assert client.is_enabled("device-never-seen", "dark_mode") is False
    # (a failed fetch counts for the TTL: the next reads do not each wait for the server)
    attempts = len(proxy.requests(FLAGS))
    assert device.is_enabled("dark_mode") is True and not client.is_enabled("device-never-seen", "dark_mode")
    assert len(proxy.requests(FLAGS)) == attempts
    proxy.inject(FLAGS, 503)
    with pytest.raises(APIError):
        device.refresh_flags()
    client.close()


async def test_flags__shared_vectors_through_the_platform(account: Account, proxy: FaultProxy) -> None:
    # Given the vector flags (50/30/20) with a rollout just above the first case's bucket, for each key
    vectors = json.loads((ROOT / "sdk" / "flag-vectors.json").read_text())["cases"]
    rollouts = {}
    for case in vectors:
        if case["flag_key"] not in rollouts:
            rollouts[case["flag_key"]] = case["bucket"] + 1
            await account.create_flag(
                case["flag_key"], flag_type="multivariate", rollout_pct=case["bucket"] + 1, variants=CTA
            )
    client = sdk(account, proxy.url)
    # When each vector device reads its flags / Then enabled iff bucket < rollout, with the vector's variant
    for case in vectors:
        flag = client.get_flags(case["android_id"])[case["flag_key"]]
        enabled = case["bucket"] < rollouts[case["flag_key"]]
        assert flag["enabled"] is enabled, case
        assert flag.get("variant") == (case["variant"] if enabled else None), case
    client.close()


async def test_device_calls__register_fcm_profile_revenue_experiments(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    client = sdk(account, proxy.url)
    device = client.device("calls-device")
    # Registration stores the details; the FCM token route updates the token
    registered = device.register(
        brand="Pixel", model="8", app_version="2.0.1", country="de", install_type="store"
    )
    assert registered["android_id"] == "calls-device" and registered["user_segment"] == "new"
    device.update_fcm_token("fcm-token-1")
    rows = await fetch(
        database_url,
        "SELECT brand, model, app_version, country, install_type, fcm_token FROM devices WHERE app_id = $1",
        account.app_id,
    )
    assert [tuple(r) for r in rows] == [("Pixel", "8", "2.0.1", "DE", "store", "fcm-token-1")]
    # Profile and ad strategy
    profile = device.get_profile()
    assert profile["segment"] == "NEW_USER" and profile["ad_strategy"] == device.get_ad_strategy()
    assert device.profile_action("purchase_made", amount=4.99, product_id="gems")["segment"] == "POWER_USER"
    # Revenue is a queued call, sent in order with the events
    device.track_purchase("premium", 9.99)
    device.track_ad_revenue("rewarded", 0.0035, ad_network="admob", ecpm=3.5, geo_tier="tier3", country="IN")
    device.track_session_start()
    assert client.flush().sent == 3
    assert [r.path for r in proxy.requests("/api/v4/sdk/revenue")] == ["/api/v4/sdk/revenue"]
    revenue = await fetch(
        database_url,
        "SELECT ad_type, ad_network, geo_tier FROM revenue_events WHERE app_id = $1",
        account.app_id,
    )
    assert [tuple(r) for r in revenue] == [("rewarded", "admob", "tier3")]
    assert (
        await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=3) == 3
    )  # profile purchase too
    # Experiments: none running
    assert device.get_experiments() == {}
    # Bad input is refused before anything is queued
    with pytest.raises(ValueError):
        device.track("Not A Valid Name")
    with pytest.raises(ValueError):
        device.track("big", {"blob": "x" * 9000})
    assert client.queue_size() == 0
    client.close()


async def test_crosspromo__calls_have_the_contract_shapes(account: Account, proxy: FaultProxy) -> None:
    # (The cross-promotion routes belong to another area: here only what the SDK sends is checked.)
    client = sdk(account, proxy.url)
    client.track_crosspromo("cp-device", 7, "click")
    client.flush(timeout=0)
    with pytest.raises(ValueError):
        client.track_crosspromo("cp-device", 7, "like")
    sent = proxy.requests("/api/v4/sdk/crosspromo/track")
    assert [s.body for s in sent] == [{"android_id": "cp-device", "campaign_id": 7, "event": "click"}]
    try:
        client.get_crosspromo("cp-device")
    except APIError:
        pass  # not served yet
    assert proxy.requests("/api/v4/sdk/crosspromo")[0].query == "android_id=cp-device"
    client.close()


async def test_background_sender__sends_full_batches_and_on_the_interval(
    account: Account, proxy: FaultProxy, database_url: str
) -> None:
    # Given a client with its sender thread (batches of 10, every 0.5 s)
    client = sdk(account, proxy.url, background=True, flush_at=10, flush_interval=0.5)
    # When 23 events are tracked and nothing else is called
    for i in range(23):
        client.track("bg-device", "page_view", {"i": i})
    # Then they all reach the platform
    assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=23) == 23
    sizes = [len(b.body["events"]) for b in proxy.requests(BATCH)]
    assert sum(sizes) == 23 and max(sizes) <= 10
    client.close()


async def test_async_client__batches_flags_profile_and_restart(
    account: Account, own_server: OwnServer, database_url: str, tmp_path: Path
) -> None:
    queue = tmp_path / "async-queue.db"
    await account.create_flag("dark_mode", rollout_pct=100)
    # Given the API is down, 60 events are tracked by an async client that then closes
    own_server.stop()
    first = AsyncVaimanasoft(account.sdk_key, own_server.url, queue, background=False, retry_base=0.2)
    ids = [first.track(f"async-{i % 2}", "level_up", {"i": i}) for i in range(60)]
    assert (await first.close(timeout=0)).pending == 60
    # When a new client on the same queue runs with the API back
    own_server.start()
    async with AsyncVaimanasoft(
        account.sdk_key, own_server.url, queue, background=True, flush_interval=0.2
    ) as vs:
        # Then the background task sends them, once
        assert await wait_value(database_url, COUNT_EVENTS, account.app_id, expected=60) == 60
        device = vs.device("async-0")
        assert await device.is_enabled("dark_mode") is True
        assert (await device.get_profile())["segment"] in {"NEW_USER", "POWER_USER", "ACTIVE_USER"}
        await device.register(app_version="3.0")
    rows = await fetch(database_url, "SELECT event_id::text FROM events WHERE app_id = $1", account.app_id)
    assert sorted(r["event_id"] for r in rows) == sorted(ids)


@pytest.mark.parametrize("missing", ["", "dev ice", "x" * 129])
def test_android_id__checked_before_anything_is_sent(missing: str) -> None:
    client = Vaimanasoft("sk_0123456789abcdef", "http://127.0.0.1:9/api/v4", background=False)
    with pytest.raises(ValueError):
        client.track(missing, "page_view")
    assert client.queue_size() == 0
    client.close(timeout=0)


def test_unknown_device_field__refused() -> None:
    client = Vaimanasoft("sk_0123456789abcdef", "http://127.0.0.1:9/api/v4", background=False)
    with pytest.raises(ValueError):
        client.register("dev", colour="red")
    client.close(timeout=0)


def test_event_ids_are_uuid4() -> None:
    client = Vaimanasoft("sk_0123456789abcdef", "http://127.0.0.1:9/api/v4", background=False)
    assert uuid.UUID(client.track("dev", "page_view")).version == 4
    client.close(timeout=0)
