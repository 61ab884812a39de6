"""A/B experiments over HTTP: management, status transitions, SDK assignment with first-exposure
records, results statistics, isolation, the activity log and device erasure (API.md section 6 and
GET /sdk/experiments of section 1)."""

from __future__ import annotations

import asyncio
import math
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from scipy import integrate
from scipy import stats as sps

from pipelines import stats
from tests.support import Client, add_member, poll_job

STATUSES = ("draft", "running", "paused", "completed")
ALLOWED = {
    ("draft", "running"),
    ("running", "paused"),
    ("paused", "running"),
    ("running", "completed"),
    ("paused", "completed"),
}
# how to reach each status from a new draft
PATH_TO = {
    "draft": [],
    "running": ["running"],
    "paused": ["running", "paused"],
    "completed": ["running", "completed"],
}
TWO_VARIANTS = [
    {"key": "control", "name": "Control", "weight": 50},
    {"key": "treatment", "name": "Green", "weight": 50},
]


# --- helpers ----------------------------------------------------------------------------------------------


async def _setup(
    client: Client, db: asyncpg.Connection | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """An owner, their app and its SDK headers; with `db`, the org is made enterprise first (so the
    sdk and api tiers admit the many requests of a test; before any SDK request caches the plan)."""
    owner = await client.register()
    if db is not None:
        await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    app = await client.create_app(owner["token"])
    return owner, app, {"X-SDK-Key": app["sdk_key"]}


async def _create(client: Client, token: str, app_id: int, **fields: Any) -> dict[str, Any]:
    body = {
        "app_id": app_id,
        "name": "Checkout button",
        "variants": TWO_VARIANTS,
        "target_metric": "purchase",
        **fields,
    }
    r = await client.request("POST", "/experiments", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _status(
    client: Client, token: str, experiment: dict[str, Any], status: str, app_id: int | None = None
) -> Any:
    return await client.request(
        "PUT",
        f"/experiments/{experiment['id']}/status",
        token,
        json={"app_id": app_id or experiment["app_id"], "status": status},
    )


async def _move(client: Client, token: str, experiment: dict[str, Any], *statuses: str) -> dict[str, Any]:
    for status in statuses:
        r = await _status(client, token, experiment, status)
        assert r.status_code == 200, r.text
        experiment = r.json()
    return experiment


async def _get(client: Client, token: str, experiment_id: int) -> dict[str, Any]:
    r = await client.request("GET", f"/experiments/{experiment_id}", token)
    assert r.status_code == 200, r.text
    return r.json()


async def _list(client: Client, token: str, app_id: int) -> list[dict[str, Any]]:
    r = await client.request("GET", "/experiments", token, params={"app_id": app_id})
    assert r.status_code == 200, r.text
    return r.json()["experiments"]


async def _sdk(client: Client, sdk: dict[str, str], android_id: str) -> dict[str, Any]:
    r = await client.request("GET", "/sdk/experiments", headers=sdk, params={"android_id": android_id})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"experiments"}
    return r.json()["experiments"]


async def _results(client: Client, token: str, experiment_id: int) -> dict[str, Any]:
    r = await client.request("GET", f"/experiments/{experiment_id}/results", token)
    assert r.status_code == 200, r.text
    return r.json()


async def _send_batch(client: Client, sdk: dict[str, str], token: str, events: list[dict[str, Any]]) -> None:
    """POST /events/batch and wait until the worker has stored it."""
    r = await client.request("POST", "/events/batch", headers=sdk, json={"events": events})
    assert r.status_code == 202, r.text
    job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done", job


def _variant(experiment_id: int, android_id: str, variants: list[dict[str, Any]]) -> str:
    """The assignment of API.md section 6, computed here independently of the product code."""
    pick = zlib.crc32(f"exp:{experiment_id}:{android_id}".encode()) % sum(v["weight"] for v in variants)
    edge = 0
    for v in variants:
        edge += v["weight"]
        if pick < edge:
            return v["key"]
    raise AssertionError("no variant")


def _ids_by_variant(experiment: dict[str, Any], wanted: dict[str, int], prefix: str) -> dict[str, list[str]]:
    """android_ids chosen by their computed variant: exactly wanted[key] of each variant."""
    chosen: dict[str, list[str]] = {k: [] for k in wanted}
    n = 0
    while any(len(chosen[k]) < wanted[k] for k in wanted):
        android_id = f"{prefix}-{n}"
        key = _variant(experiment["id"], android_id, experiment["variants"])
        if key in chosen and len(chosen[key]) < wanted[key]:
            chosen[key].append(android_id)
        n += 1
    return chosen


async def _expose(client: Client, sdk: dict[str, str], experiment: dict[str, Any], ids: list[str]) -> None:
    """Each device asks for its experiments (in chunks) and gets its computed variant."""
    for start in range(0, len(ids), 25):
        chunk = ids[start : start + 25]
        served = await asyncio.gather(*[_sdk(client, sdk, a) for a in chunk])
        for android_id, got in zip(chunk, served, strict=True):
            assert got[str(experiment["id"])] == {
                "name": experiment["name"],
                "variant": _variant(experiment["id"], android_id, experiment["variants"]),
            }


async def _eventually(check: Any, timeout: float = 2.0) -> float:
    """Poll `check()` until it is true; returns how long it took (fails after `timeout`)."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.02)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _exposures(db: asyncpg.Connection, experiment_id: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT x.*, d.android_id FROM experiment_exposures x JOIN devices d ON d.id = x.device_id "
        "WHERE x.experiment_id = $1 ORDER BY x.id",
        experiment_id,
    )


def _wilson_scipy(x: int, n: int) -> tuple[float, float]:
    ci = sps.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


def _z_test_scipy(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return 2 * sps.norm.sf(abs(x1 / n1 - x2 / n2) / se)


def _prob_beat_scipy(x_c: int, n_c: int, x_v: int, n_v: int) -> float:
    """P(p_v > p_c) for Beta(1 + x, 1 + n - x) posteriors by numerical integration."""
    control, variant = sps.beta(1 + x_c, 1 + n_c - x_c), sps.beta(1 + x_v, 1 + n_v - x_v)
    value, _ = integrate.quad(lambda p: variant.pdf(p) * control.cdf(p), 0, 1, epsabs=1e-12, limit=200)
    return value


# --- management -------------------------------------------------------------------------------------------


async def test_experiments__create_list_get_update_delete__round_trip(client: Client) -> None:
    # Given an owner and their app
    owner, app, _ = await _setup(client)
    token = owner["token"]
    # When they create an experiment
    variants = [
        {"key": "control", "name": "Blue", "weight": 50},
        {"key": "green", "name": "Green", "weight": 50},
    ]
    r = await client.request(
        "POST",
        "/experiments",
        token,
        json={
            "app_id": app["id"],
            "name": "CTA colour",
            "description": "Blue vs green",
            "variants": variants,
            "target_metric": "purchase",
        },
    )
    # Then it is a draft with no assignments
    assert r.status_code == 201, r.text
    created = r.json()
    assert {
        k: created[k]
        for k in (
            "app_id",
            "name",
            "description",
            "variants",
            "target_metric",
            "status",
            "assignments",
            "started_at",
            "ended_at",
        )
    } == {
        "app_id": app["id"],
        "name": "CTA colour",
        "description": "Blue vs green",
        "variants": variants,
        "target_metric": "purchase",
        "status": "draft",
        "assignments": {"control": 0, "green": 0},
        "started_at": None,
        "ended_at": None,
    }
    assert created["created_at"].endswith("Z") and created["updated_at"].endswith("Z")
    second = await _create(client, token, app["id"], name="Paywall copy")
    # and the list of the app and GET of one answer it
    assert [e["id"] for e in await _list(client, token, app["id"])] == [created["id"], second["id"]]
    assert (await _list(client, token, app["id"]))[0] == created
    assert await _get(client, token, created["id"]) == created
    r = await client.request("GET", "/experiments", token)
    assert r.status_code == 400, r.text  # app_id is required
    # When it is renamed and described
    r = await client.request(
        "PUT",
        f"/experiments/{created['id']}",
        token,
        json={"name": "CTA colour v2", "description": "Blue vs green, again"},
    )
    # Then the change is stored, nothing else moved
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["description"], r.json()["variants"], r.json()["status"]) == (
        "CTA colour v2",
        "Blue vs green, again",
        variants,
        "draft",
    )
    assert (await _get(client, token, created["id"]))["name"] == "CTA colour v2"
    # When it is deleted
    r = await client.request("DELETE", f"/experiments/{created['id']}", token)
    # Then it is gone: 404 on GET and a second DELETE; the other one stays
    assert r.status_code == 200 and r.json() == {"success": True}
    assert (await client.request("GET", f"/experiments/{created['id']}", token)).status_code == 404
    assert (await client.request("DELETE", f"/experiments/{created['id']}", token)).status_code == 404
    assert [e["id"] for e in await _list(client, token, app["id"])] == [second["id"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"variants": [{"key": "only", "weight": 100}]}, "variants"),
        ({"variants": []}, "variants"),
        ({"variants": [{"key": "a", "weight": 50}, {"key": "a", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "a", "weight": 0}, {"key": "b", "weight": 0}]}, "variants"),
        ({"variants": [{"key": "a", "weight": -1}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "a", "weight": 1.5}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "a", "weight": "50"}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "a"}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "Control", "weight": 50}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "has space", "weight": 50}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": [{"key": "", "weight": 50}, {"key": "b", "weight": 50}]}, "variants"),
        ({"variants": "control,treatment"}, "variants"),
        ({"target_metric": None}, "target_metric"),
        ({"target_metric": ""}, "target_metric"),
        ({"target_metric": "Purchase"}, "target_metric"),
        ({"target_metric": "made purchase"}, "target_metric"),
        ({"target_metric": "x" * 65}, "target_metric"),
        ({"target_metric": 7}, "target_metric"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
    ],
)
async def test_experiments__invalid_create__400_nothing_stored(
    client: Client, db: asyncpg.Connection, body: dict[str, Any], field: str
) -> None:
    # Given an app
    owner, app, _ = await _setup(client)
    full = {
        "app_id": app["id"],
        "name": "Checkout button",
        "variants": TWO_VARIANTS,
        "target_metric": "purchase",
    }
    # When an experiment is created with one field wrong (None: the field left out)
    body = {**full, **body}
    body = {k: v for k, v in body.items() if v is not None}
    r = await client.request("POST", "/experiments", owner["token"], json=body)
    # Then 400 naming the field, and nothing is stored
    assert r.status_code == 400, r.text
    assert field in str(r.json().get("details")), r.json()
    assert await db.fetchval("SELECT count(*) FROM experiments WHERE app_id = $1", app["id"]) == 0


async def test_experiments__unknown_app__404_and_missing_app_id__400(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an owner with an app
    owner, app, _ = await _setup(client)
    body = {"name": "Checkout button", "variants": TWO_VARIANTS, "target_metric": "purchase"}
    # When an experiment names an app that does not exist, or none
    r = await client.request(
        "POST", "/experiments", owner["token"], json={**body, "app_id": app["id"] + 10_000}
    )
    assert r.status_code == 404, r.text
    r = await client.request("POST", "/experiments", owner["token"], json=body)
    assert r.status_code == 400, r.text
    r = await client.request("GET", "/experiments", owner["token"], params={"app_id": app["id"] + 10_000})
    assert r.status_code == 404, r.text
    # Then nothing is stored anywhere
    assert await db.fetchval("SELECT count(*) FROM experiments") == 0


async def test_experiments__update_variants_while_draft_only__400_once_started(client: Client) -> None:
    # Given a draft experiment
    owner, app, _ = await _setup(client)
    token = owner["token"]
    experiment = await _create(client, token, app["id"])
    url = f"/experiments/{experiment['id']}"
    three = [
        {"key": "a", "name": None, "weight": 1},
        {"key": "b", "name": None, "weight": 1},
        {"key": "c", "name": None, "weight": 2},
    ]
    # When its variants and metric change while it is a draft: accepted
    r = await client.request("PUT", url, token, json={"variants": three, "target_metric": "signup"})
    assert r.status_code == 200, r.text
    assert (r.json()["variants"], r.json()["target_metric"], r.json()["assignments"]) == (
        three,
        "signup",
        {"a": 0, "b": 0, "c": 0},
    )
    # but invalid variants or metric are 400 and change nothing
    for body in (
        {"variants": three[:1]},
        {"variants": [three[0], three[0]]},
        {"variants": [{**v, "weight": 0} for v in three]},
        {"target_metric": "Bad Metric"},
        {"name": ""},
        {"name": None},
        {"variants": None},
        {"target_metric": None},
    ):
        r = await client.request("PUT", url, token, json=body)
        assert r.status_code == 400, (body, r.text)
    assert (await _get(client, token, experiment["id"]))["variants"] == three
    # When it has started
    await _move(client, token, experiment, "running")
    # Then variants and target_metric are frozen (400, unchanged); name and description still change
    for body in (
        {"variants": TWO_VARIANTS},
        {"target_metric": "purchase"},
        {"name": "Renamed", "target_metric": "purchase"},
    ):
        r = await client.request("PUT", url, token, json=body)
        assert r.status_code == 400, (body, r.text)
    now = await _get(client, token, experiment["id"])
    assert (now["variants"], now["target_metric"], now["name"]) == (three, "signup", "Checkout button")
    r = await client.request("PUT", url, token, json={"name": "Renamed", "description": "while running"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed", r.text
    # (the same variants as stored are no change, so not refused)
    r = await client.request("PUT", url, token, json={"variants": three})
    assert r.status_code == 200, r.text
    await _move(client, token, experiment, "paused")
    r = await client.request("PUT", url, token, json={"target_metric": "purchase"})
    assert r.status_code == 400, r.text


# --- status transitions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", STATUSES)
async def test_experiments__status_transitions__only_the_allowed_moves(
    client: Client, db: asyncpg.Connection, start: str
) -> None:
    # Given one experiment in `start` for every target status
    owner, app, _ = await _setup(client, db)
    token = owner["token"]
    for target in STATUSES:
        experiment = await _move(client, token, await _create(client, token, app["id"]), *PATH_TO[start])
        assert experiment["status"] == start
        # When it is asked to move to `target`
        r = await _status(client, token, experiment, target)
        after = await _get(client, token, experiment["id"])
        # Then only the documented moves are 200; every other one is 400 and changes nothing
        if (start, target) in ALLOWED:
            assert r.status_code == 200, (start, target, r.text)
            assert r.json()["status"] == target and after["status"] == target
            assert after["started_at"] is not None
            assert (after["ended_at"] is not None) == (target == "completed")
        else:
            assert r.status_code == 400, (start, target, r.text)
            assert "error" in r.json()
            assert after == experiment, (start, target)


async def test_experiments__status_body__app_id_required_and_of_the_experiment(
    client: Client, stranger: Client, db: asyncpg.Connection
) -> None:
    # Given an experiment, a second app of the same org, and another org's app
    owner, app, _ = await _setup(client, db)
    token = owner["token"]
    experiment = await _create(client, token, app["id"])
    sibling = await client.create_app(token)
    other = await stranger.register()
    other_app = await stranger.create_app(other["token"])
    url = f"/experiments/{experiment['id']}/status"
    # When the status body misses app_id or status, or has an unknown status: 400
    for body in (
        {"status": "running"},
        {"app_id": app["id"]},
        {"app_id": app["id"], "status": "archived"},
        {"app_id": str(app["id"]), "status": "running"},
    ):
        r = await client.request("PUT", url, token, json=body)
        assert r.status_code == 400, (body, r.text)
    # When it names another app, even of the own org: 404
    for app_id in (sibling["id"], other_app["id"], app["id"] + 10_000):
        r = await client.request("PUT", url, token, json={"app_id": app_id, "status": "running"})
        assert r.status_code == 404, (app_id, r.text)
    # and so does an update or delete addressed through another app
    r = await client.request(
        "PUT", f"/experiments/{experiment['id']}", token, json={"app_id": sibling["id"], "name": "moved"}
    )
    assert r.status_code == 404, r.text
    r = await client.request(
        "DELETE", f"/experiments/{experiment['id']}", token, params={"app_id": sibling["id"]}
    )
    assert r.status_code == 404, r.text
    # Then the experiment is still a draft; with its own app it starts
    assert (await _get(client, token, experiment["id"]))["status"] == "draft"
    assert (await _status(client, token, experiment, "running")).status_code == 200


# --- GET /sdk/experiments ---------------------------------------------------------------------------------


async def test_sdk_experiments__running_only__deterministic_variants__devices_and_counts(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a running experiment with uneven weights, another running one, and one in every other status
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    uneven = [
        {"key": "a", "name": "A", "weight": 50},
        {"key": "b", "name": "B", "weight": 30},
        {"key": "c", "name": "C", "weight": 20},
    ]
    main = await _move(
        client, token, await _create(client, token, app["id"], name="Uneven", variants=uneven), "running"
    )
    second = await _move(client, token, await _create(client, token, app["id"], name="Even"), "running")
    await _create(client, token, app["id"], name="Draft")
    paused = await _move(
        client, token, await _create(client, token, app["id"], name="Paused"), "running", "paused"
    )
    await _move(client, token, await _create(client, token, app["id"], name="Done"), "running", "completed")
    ids = [f"device-{n}" for n in range(50)]
    # When 50 unknown devices ask for their experiments
    served = await asyncio.gather(*[_sdk(client, sdk, a) for a in ids])
    # Then each gets exactly the running experiments, with the variant computed from crc32 and the weights
    for android_id, got in zip(ids, served, strict=True):
        assert got == {
            str(main["id"]): {"name": "Uneven", "variant": _variant(main["id"], android_id, uneven)},
            str(second["id"]): {"name": "Even", "variant": _variant(second["id"], android_id, TWO_VARIANTS)},
        }
    expected = Counter(_variant(main["id"], a, uneven) for a in ids)
    assert set(expected) == {"a", "b", "c"}  # the walk over cumulative weights is exercised for each variant
    # and asking again answers the same
    assert await asyncio.gather(*[_sdk(client, sdk, a) for a in ids[:10]]) == served[:10]
    # and every unknown android_id became a device of the app
    rows = await db.fetch("SELECT android_id FROM devices WHERE app_id = $1", app["id"])
    assert sorted(r["android_id"] for r in rows) == sorted(ids)
    # and one exposure per device and running experiment was recorded, with the served variant
    exposures = await _exposures(db, main["id"])
    assert sorted((x["android_id"], x["variant"]) for x in exposures) == sorted(
        (a, _variant(main["id"], a, uneven)) for a in ids
    )
    assert len(await _exposures(db, second["id"])) == 50
    assert await db.fetchval("SELECT count(*) FROM experiment_exposures") == 100
    # and the assignments counts of the list and of GET reflect the exposures
    listed = {e["id"]: e for e in await _list(client, token, app["id"])}
    assert listed[main["id"]]["assignments"] == {k: expected.get(k, 0) for k in ("a", "b", "c")}
    assert sum(listed[second["id"]]["assignments"].values()) == 50
    assert listed[paused["id"]]["assignments"] == {"control": 0, "treatment": 0}
    assert (await _get(client, token, main["id"]))["assignments"] == listed[main["id"]]["assignments"]


async def test_sdk_experiments__concurrent_first_requests__one_device_one_exposure(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a running experiment
    owner, app, sdk = await _setup(client, db)
    experiment = await _move(
        client, owner["token"], await _create(client, owner["token"], app["id"]), "running"
    )
    # When an unknown device asks 20 times at once
    served = await asyncio.gather(*[_sdk(client, sdk, "racer") for _ in range(20)])
    # Then every answer is the same variant
    variant = _variant(experiment["id"], "racer", TWO_VARIANTS)
    assert all(s == {str(experiment["id"]): {"name": "Checkout button", "variant": variant}} for s in served)
    # and one device and exactly one exposure row exist
    assert (
        await db.fetchval(
            "SELECT count(*) FROM devices WHERE app_id = $1 AND android_id = 'racer'", app["id"]
        )
        == 1
    )
    exposures = await _exposures(db, experiment["id"])
    assert [(x["android_id"], x["variant"]) for x in exposures] == [("racer", variant)]
    assert (await _get(client, owner["token"], experiment["id"]))["assignments"] == {
        "control": int(variant == "control"),
        "treatment": int(variant == "treatment"),
    }


async def test_sdk_experiments__pause_stops_serving__resume_keeps_the_variant(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a running experiment a device was exposed to
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    experiment = await _move(client, token, await _create(client, token, app["id"]), "running")
    key = str(experiment["id"])
    first = await _sdk(client, sdk, "old-device")
    assert first == {
        key: {"name": "Checkout button", "variant": _variant(experiment["id"], "old-device", TWO_VARIANTS)}
    }
    [exposure] = await _exposures(db, experiment["id"])
    # When it is paused
    await _move(client, token, experiment, "paused")

    async def not_served() -> bool:
        return await _sdk(client, sdk, "old-device") == {}

    # Then the SDK stops returning it (soon: the API's cache is invalidated through Redis)
    await _eventually(not_served)
    # and new devices get nothing and no exposure is recorded
    for n in range(10):
        assert await _sdk(client, sdk, f"new-{n}") == {}
    assert await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app["id"]) == 11
    assert [dict(x) for x in await _exposures(db, experiment["id"])] == [dict(exposure)]
    # When it is resumed
    await _move(client, token, experiment, "running")

    async def served_again() -> bool:
        return key in await _sdk(client, sdk, "old-device")

    await _eventually(served_again)
    # Then the old device gets its same variant, and its exposure is still the one row of before
    assert await _sdk(client, sdk, "old-device") == first
    exposures = await _exposures(db, experiment["id"])
    assert [dict(x) for x in exposures] == [dict(exposure)]
    assert (await _get(client, token, experiment["id"]))["assignments"][exposure["variant"]] == 1
    # and a device that asked while it was paused is exposed now
    assert (await _sdk(client, sdk, "new-0"))[key]["variant"] == _variant(
        experiment["id"], "new-0", TWO_VARIANTS
    )
    assert len(await _exposures(db, experiment["id"])) == 2
    # When it is completed, it is not served any more
    await _move(client, token, experiment, "completed")
    await _eventually(not_served)


async def test_sdk_experiments__rename_reaches_the_sdk__bad_requests(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a running experiment the SDK has seen (the API caches it)
    owner, app, sdk = await _setup(client, db)
    experiment = await _move(
        client, owner["token"], await _create(client, owner["token"], app["id"]), "running"
    )
    assert (await _sdk(client, sdk, "d-1"))[str(experiment["id"])]["name"] == "Checkout button"
    # When it is renamed
    r = await client.request(
        "PUT", f"/experiments/{experiment['id']}", owner["token"], json={"name": "Renamed"}
    )
    assert r.status_code == 200, r.text

    async def renamed() -> bool:
        return (await _sdk(client, sdk, "d-1"))[str(experiment["id"])]["name"] == "Renamed"

    # Then the SDK serves the new name soon
    await _eventually(renamed)
    # and bad android_ids or keys are refused
    for params in ({}, {"android_id": ""}, {"android_id": "has space"}, {"android_id": "x" * 129}):
        r = await client.request("GET", "/sdk/experiments", headers=sdk, params=params)
        assert r.status_code == 400, params
    r = await client.request(
        "GET", "/sdk/experiments", headers={"X-SDK-Key": "sk_0000000000000000"}, params={"android_id": "a"}
    )
    assert r.status_code == 401
    r = await client.request("GET", "/sdk/experiments", params={"android_id": "a"})
    assert r.status_code == 401
    assert await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", app["id"]) == 1


# --- results ----------------------------------------------------------------------------------------------


async def test_results__crafted_data__counts_and_statistics_match_scipy(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given a running experiment 50/30/20 with 52/29/19 devices exposed through the SDK
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    variants = [
        {"key": "control", "name": "Control", "weight": 50},
        {"key": "b", "name": "B", "weight": 30},
        {"key": "c", "name": "C", "weight": 20},
    ]
    experiment = await _move(
        client,
        token,
        await _create(client, token, app["id"], variants=variants, target_metric="level_complete"),
        "running",
    )
    exposed = {"control": 52, "b": 29, "c": 19}
    converted = {"control": 10, "b": 9, "c": 2}
    ids = _ids_by_variant(experiment, exposed, "res")
    await _expose(client, sdk, experiment, [a for key in ids for a in ids[key]])
    # and conversions (the target metric after exposure) by the first devices of each variant
    events = [
        {"android_id": ids[key][i], "event_type": "level_complete"}
        for key in ids
        for i in range(converted[key])
    ]
    # and a second conversion by a converted device (counts once)
    events.append({"android_id": ids["b"][0], "event_type": "level_complete"})
    # and the target metric BEFORE exposure by a control device and a c device that do not convert after
    an_hour_ago = _iso(datetime.now(UTC) - timedelta(hours=1))
    events += [
        {"android_id": ids["control"][-1], "event_type": "level_complete", "created_at": an_hour_ago},
        {"android_id": ids["c"][-1], "event_type": "level_complete", "created_at": an_hour_ago},
    ]
    # and other event types by non-converting devices, and the metric by a device never exposed
    events += [
        {"android_id": ids["control"][-2], "event_type": "session_start"},
        {"android_id": ids["c"][-2], "event_type": "level_start"},
        {"android_id": "never-exposed", "event_type": "level_complete"},
    ]
    assert len(events) <= 50
    await _send_batch(client, sdk, token, events)
    # When the results are asked for
    results = await _results(client, token, experiment["id"])
    # Then the counts are exact
    assert (results["experiment_id"], results["control"], results["status"], results["target_metric"]) == (
        experiment["id"],
        "control",
        "running",
        "level_complete",
    )
    assert [(v["key"], v["exposed"], v["converted"]) for v in results["variants"]] == [
        (key, exposed[key], converted[key]) for key in ("control", "b", "c")
    ]
    # and every statistic equals an independent computation
    n_c, x_c = exposed["control"], converted["control"]
    for row in results["variants"]:
        n, x = row["exposed"], row["converted"]
        assert row["rate"] == pytest.approx(x / n, rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(stats.wilson_interval(x, n), rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(_wilson_scipy(x, n), rel=1e-9)
        assert row["ci_low"] < row["rate"] < row["ci_high"]
        if row["key"] == "control":
            assert (row["lift"], row["p_value"], row["prob_beat_control"]) == (None, None, None)
            continue
        assert row["lift"] == pytest.approx((x / n - x_c / n_c) / (x_c / n_c), rel=1e-12)
        assert row["p_value"] == pytest.approx(_z_test_scipy(x_c, n_c, x, n), rel=1e-9)
        assert 0 < row["prob_beat_control"] < 1
        assert row["prob_beat_control"] == pytest.approx(stats.prob_beat_control(x_c, n_c, x, n), rel=1e-12)
        assert row["prob_beat_control"] == pytest.approx(_prob_beat_scipy(x_c, n_c, x, n), abs=1e-7)
    by_key = {v["key"]: v for v in results["variants"]}
    assert by_key["b"]["lift"] > 0 and by_key["b"]["prob_beat_control"] > 0.5
    assert by_key["c"]["lift"] < 0 and by_key["c"]["prob_beat_control"] < 0.5
    # and the sample ratio matches the 50/30/20 split: chi-square p-value as scipy's, no warning
    total = sum(exposed.values())
    srm = sps.chisquare(
        [exposed[k] for k in ("control", "b", "c")], [total * w / 100 for w in (50, 30, 20)]
    ).pvalue
    assert results["srm_p_value"] == pytest.approx(srm, rel=1e-9)
    assert results["srm_p_value"] > 0.5 and results["srm_warning"] is False
    # and the pre-exposure events were stored (they exist, they just do not count)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM events WHERE app_id = $1 AND event_type = 'level_complete' "
            "AND created_at < now() - interval '30 minutes'",
            app["id"],
        )
        == 2
    )


async def test_results__unbalanced_split__srm_warning__no_conversions(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a running 50/50 experiment nobody has been exposed to
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    experiment = await _move(client, token, await _create(client, token, app["id"]), "running")
    # Then its results are empty, without statistics
    empty = await _results(client, token, experiment["id"])
    assert empty["variants"] == [
        {
            "key": key,
            "exposed": 0,
            "converted": 0,
            "rate": None,
            "ci_low": None,
            "ci_high": None,
            "lift": None,
            "p_value": None,
            "prob_beat_control": None,
        }
        for key in ("control", "treatment")
    ]
    assert (empty["srm_p_value"], empty["srm_warning"]) == (None, False)
    # When 60 control devices and 15 treatment devices are exposed (chosen by their computed variant)
    ids = _ids_by_variant(experiment, {"control": 60, "treatment": 15}, "srm")
    await _expose(client, sdk, experiment, ids["control"] + ids["treatment"])
    results = await _results(client, token, experiment["id"])
    # Then the sample-ratio mismatch is flagged, with scipy's chi-square p-value
    assert [(v["exposed"], v["converted"]) for v in results["variants"]] == [(60, 0), (15, 0)]
    srm = sps.chisquare([60, 15], [37.5, 37.5]).pvalue
    assert results["srm_p_value"] == pytest.approx(srm, rel=1e-9)
    assert results["srm_p_value"] < 0.001 and results["srm_warning"] is True
    # and without conversions: rate 0, interval from 0, lift undefined, no evidence of a difference
    control, treatment = results["variants"]
    assert (control["rate"], control["ci_low"], treatment["rate"], treatment["ci_low"]) == (0, 0, 0, 0)
    assert control["ci_high"] == pytest.approx(_wilson_scipy(0, 60)[1], rel=1e-9)
    assert (treatment["lift"], treatment["p_value"]) == (None, 1.0)
    assert treatment["prob_beat_control"] == pytest.approx(stats.prob_beat_control(0, 60, 0, 15), rel=1e-12)
    assert 0 < treatment["prob_beat_control"] < 1
    # and a paused experiment still answers its results
    await _move(client, token, experiment, "paused")
    assert (await _results(client, token, experiment["id"]))["variants"] == results["variants"]


# --- isolation and roles ----------------------------------------------------------------------------------


async def test_experiments__other_org__404_everywhere(client: Client, stranger: Client) -> None:
    # Given an experiment of one org, and another org with its own app
    owner, app, sdk = await _setup(client)
    experiment = await _move(
        client, owner["token"], await _create(client, owner["token"], app["id"]), "running"
    )
    other, other_app, other_sdk = await _setup(stranger)
    other_token = other["token"]
    url = f"/experiments/{experiment['id']}"
    # When the other org addresses it in any way: 404, never its data
    for method, path, kwargs in [
        ("GET", url, {}),
        ("PUT", url, {"json": {"name": "mine now"}}),
        ("PUT", url, {"json": {"app_id": other_app["id"], "name": "mine now"}}),
        ("PUT", f"{url}/status", {"json": {"app_id": app["id"], "status": "paused"}}),
        ("PUT", f"{url}/status", {"json": {"app_id": other_app["id"], "status": "paused"}}),
        ("DELETE", url, {}),
        ("DELETE", url, {"params": {"app_id": other_app["id"]}}),
        ("GET", f"{url}/results", {}),
        ("GET", "/experiments", {"params": {"app_id": app["id"]}}),
        (
            "POST",
            "/experiments",
            {
                "json": {
                    "app_id": app["id"],
                    "name": "x",
                    "variants": TWO_VARIANTS,
                    "target_metric": "purchase",
                }
            },
        ),
    ]:
        r = await stranger.request(method, path, other_token, **kwargs)
        assert r.status_code == 404, (method, path, kwargs, r.text)
        assert "Checkout" not in r.text
    # Then it is untouched, and the other org's own list is empty
    now = await _get(client, owner["token"], experiment["id"])
    assert (now["name"], now["status"]) == ("Checkout button", "running")
    assert await _list(stranger, other_token, other_app["id"]) == []
    # and the other app's SDK key does not see it, while its own key does
    assert await _sdk(stranger, other_sdk, "shared-device") == {}
    assert str(experiment["id"]) in await _sdk(client, sdk, "shared-device")


async def test_experiments__viewer_reads__admin_writes(client: Client, database_url: str) -> None:
    # Given an experiment, a viewer and an admin of the org
    owner, app, _ = await _setup(client)
    experiment = await _create(client, owner["token"], app["id"])
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    url = f"/experiments/{experiment['id']}"
    # Then the viewer reads the list, the experiment and its results
    for path, params in (("/experiments", {"app_id": app["id"]}), (url, {}), (f"{url}/results", {})):
        r = await client.request("GET", path, viewer["token"], params=params)
        assert r.status_code == 200, (path, r.text)
    # but every write is 403 and changes nothing
    for method, path, body in [
        (
            "POST",
            "/experiments",
            {"app_id": app["id"], "name": "x", "variants": TWO_VARIANTS, "target_metric": "purchase"},
        ),
        ("PUT", url, {"name": "viewer's"}),
        ("PUT", f"{url}/status", {"app_id": app["id"], "status": "running"}),
        ("DELETE", url, None),
    ]:
        r = await client.request(method, path, viewer["token"], json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert await _list(client, owner["token"], app["id"]) == [experiment]
    # and an admin may write
    r = await _status(client, admin["token"], experiment, "running")
    assert r.status_code == 200, r.text
    r = await client.request("DELETE", url, admin["token"])
    assert r.status_code == 200, r.text


# --- activity log and erasure -----------------------------------------------------------------------------


async def test_experiments__activity_log__create_status_delete(client: Client) -> None:
    # Given an experiment created, started, paused and deleted
    owner, app, _ = await _setup(client)
    token = owner["token"]
    experiment = await _create(client, token, app["id"], description="logged")
    await _move(client, token, experiment, "running", "paused")
    assert (await client.request("DELETE", f"/experiments/{experiment['id']}", token)).status_code == 200
    # When the activity log is read
    r = await client.request("GET", "/settings/activity", token, params={"action": "experiment.*"})
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    # Then each step is there, newest first, with its details
    assert [e["action"] for e in entries] == [
        "experiment.delete",
        "experiment.status",
        "experiment.status",
        "experiment.create",
    ]
    assert {e["resource_id"] for e in entries} == {str(experiment["id"])}
    assert {e["user_id"] for e in entries} == {owner["user"]["id"]}
    assert entries[3]["details"]["after"]["name"] == "Checkout button"
    assert entries[3]["details"]["after"]["target_metric"] == "purchase"
    assert entries[2]["details"] == {"before": {"status": "draft"}, "after": {"status": "running"}}
    assert entries[1]["details"] == {"before": {"status": "running"}, "after": {"status": "paused"}}
    assert entries[0]["details"]["before"]["name"] == "Checkout button"
    assert entries[0]["details"]["before"]["status"] == "paused"


async def test_erase_device__removes_its_exposures(client: Client, db: asyncpg.Connection) -> None:
    # Given two devices exposed to a running experiment
    owner, app, sdk = await _setup(client)
    token = owner["token"]
    experiment = await _move(client, token, await _create(client, token, app["id"]), "running")
    await _sdk(client, sdk, "erase-me")
    await _sdk(client, sdk, "keep-me")
    gone = await db.fetchval(
        "SELECT id FROM devices WHERE app_id = $1 AND android_id = 'erase-me'", app["id"]
    )
    # When the owner erases one
    r = await client.request("DELETE", f"/dashboard/devices/{gone}", token)
    # Then the receipt counts its exposure, and only its exposure is gone
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["experiment_exposures"] == 1 and r.json()["deleted"]["devices"] == 1
    assert [x["android_id"] for x in await _exposures(db, experiment["id"])] == ["keep-me"]
    assert sum((await _get(client, token, experiment["id"]))["assignments"].values()) == 1
    assert sum(v["exposed"] for v in (await _results(client, token, experiment["id"]))["variants"]) == 1
    # and the same android_id later is a new device, exposed anew
    await _sdk(client, sdk, "erase-me")
    again = await db.fetchval(
        "SELECT id FROM devices WHERE app_id = $1 AND android_id = 'erase-me'", app["id"]
    )
    assert again != gone
    assert sorted(x["android_id"] for x in await _exposures(db, experiment["id"])) == ["erase-me", "keep-me"]
