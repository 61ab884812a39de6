"""Custom segments over HTTP: management, rule validation, membership calculation against a crafted
data set for every field and operator, AND/OR logic, recalculation, flag targeting, isolation, roles
and device erasure (API.md section 4 "Custom segments"; README "Custom segments")."""

from __future__ import annotations

import asyncio
import math
import operator as op
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member, poll_job

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
NUMBER_FIELDS = (
    "days_since_install",
    "days_inactive",
    "event_count_30d",
    "session_count_30d",
    "ad_watches_30d",
    "purchase_count",
)
TEXT_FIELDS = ("country", "app_version", "brand", "install_type")
NUMBER_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": op.eq,
    "neq": op.ne,
    "gt": op.gt,
    "gte": op.ge,
    "lt": op.lt,
    "lte": op.le,
}
TEXT_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda a, b: a.lower() == b.lower(),
    "neq": lambda a, b: a.lower() != b.lower(),
    "contains": lambda a, b: b.lower() in a.lower(),
}


# --- helpers ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _with_worker(worker: None) -> None:
    """Recalculations and event batches are jobs: every test here has the session's worker."""


async def _setup(
    client: Client, db: asyncpg.Connection
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """An owner of an enterprise org (many apps, and the sdk/api tiers admit a test's many requests; made
    so before any request caches the plan), their app and its SDK headers."""
    owner = await client.register()
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    app = await client.create_app(owner["token"])
    return owner, app, {"X-SDK-Key": app["sdk_key"]}


def _rule(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


async def _create(
    client: Client, token: str, app_id: int, rules: list[dict[str, Any]] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"app_id": app_id, "name": "Segment", "rules": rules or [_rule("country", "eq", "DE")], **fields}
    r = await client.request("POST", "/segments", token, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _recalculate(client: Client, token: str, segment_id: int) -> int:
    """POST /segments/{id}/recalculate, waiting for the job; returns the device_count it answered.
    (202 only while the session's worker is still starting: then the job is polled.)"""
    r = await client.request("POST", f"/segments/{segment_id}/recalculate", token, params={"wait": 10})
    if r.status_code == 202:
        job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"})
        assert job["status"] == "done", job
        body = job["result"]
    else:
        assert r.status_code == 200, r.text
        body = r.json()
    assert body == {"device_count": body["device_count"], "segment_id": segment_id}
    return body["device_count"]


async def _members(db: asyncpg.Connection, segment_id: int) -> set[int]:
    rows = await db.fetch("SELECT device_id FROM custom_segment_members WHERE segment_id = $1", segment_id)
    return {r["device_id"] for r in rows}


async def _get(client: Client, token: str, segment_id: int) -> dict[str, Any]:
    r = await client.request("GET", f"/segments/{segment_id}", token)
    assert r.status_code == 200, r.text
    return r.json()


async def _list(client: Client, token: str, app_id: int) -> list[dict[str, Any]]:
    r = await client.request("GET", "/segments", token, params={"app_id": app_id})
    assert r.status_code == 200, r.text
    return r.json()["segments"]


async def _register(client: Client, sdk: dict[str, str], android_id: str, **fields: Any) -> int:
    r = await client.request(
        "POST", "/devices/register", headers=sdk, json={"android_id": android_id, **fields}
    )
    assert r.status_code == 200, r.text
    return r.json()["device"]["id"]


async def _action(client: Client, sdk: dict[str, str], android_id: str, action: str, **params: Any) -> None:
    r = await client.request(
        "POST", "/sdk/profile", headers=sdk, json={"android_id": android_id, "action": action, **params}
    )
    assert r.status_code == 200, r.text


async def _shift_device(db: asyncpg.Connection, device_id: int, first_days: float, last_days: float) -> None:
    """Make a device first seen `first_days` and last seen `last_days` ago (time passing, nothing else)."""
    await db.execute(
        "UPDATE devices SET first_seen_at = now() - make_interval(secs => $2), "
        "last_seen_at = now() - make_interval(secs => $3) WHERE id = $1",
        device_id,
        first_days * 86400,
        last_days * 86400,
    )


def _names_rule(details: dict[str, Any] | None, index: int) -> bool:
    """The 400's details name rule `index` (`rules[i]` from the rule check, `rules.i.<key>` from the schema)."""
    return any(
        k in (f"rules[{index}]", f"rules.{index}") or k.startswith(f"rules.{index}.") for k in details or {}
    )


# --- the crafted data set ---------------------------------------------------------------------------------

# Per device: what it registers with; profile actions (sent now) as (action, times); events sent by the
# SDK in one batch as (event_type, days ago, times); and finally (days since first seen, days since last seen).
PURCHASE = {"product_id": "gems", "amount": 1.5, "currency": "USD"}
DEVICES: dict[str, dict[str, Any]] = {
    "d0": {
        "register": {"country": "IN", "app_version": "1.4.0", "brand": "Samsung", "install_type": "organic"},
        "actions": [("session_start", 3), ("ad_watched", 2), ("purchase_made", 1)],
        "batch": [],
        "seen": (0.5, 0.2),
    },
    "d1": {
        "register": {"country": "US", "app_version": "2.0.1", "brand": "samsung", "install_type": "store"},
        "actions": [],
        # 29 days ago is inside the 30-day window, 30 days ago is not; purchases count whenever made
        "batch": [("session_start", 29, 2), ("ad_watched", 30, 4), ("purchase", 40, 2), ("level_up", 5, 1)],
        "seen": (45.5, 29.5),
    },
    "d2": {
        "register": {
            "country": "DE",
            "app_version": "2.10",
            "brand": "Xiaomi Redmi",
            "install_type": "store",
        },
        "actions": [],
        "batch": [],
        "seen": (3.5, 3.5),
    },
    "d3": {
        "register": {},  # no country, app version, brand or install type: each compares as ""
        "actions": [],
        "batch": [("session_start", 1, 5), ("ad_watched", 10, 5)],
        "seen": (10.5, 1.5),
    },
    "d4": {
        "register": {
            "country": "US",
            "app_version": "1.4.0-beta",
            "brand": "SAMSUNG Galaxy",
            "install_type": "organic",
        },
        "actions": [("ad_watched", 1)],
        "batch": [("purchase", 2, 1), ("ad_watched", 31, 3)],
        "seen": (30.5, 2.5),
    },
    "d5": {
        "register": {"country": "BR", "app_version": "3.0", "brand": "Google", "install_type": "organic"},
        "actions": [],
        "batch": [("level_up", 15, 6), ("session_start", 29, 1)],
        "seen": (15.5, 15.5),
    },
    "d6": {
        "register": {"country": "IN", "app_version": "2.0.1", "brand": "OnePlus", "install_type": "store"},
        "actions": [("session_start", 1)],
        "batch": [("purchase", 60, 3)],
        "seen": (60.5, 0.5),
    },
    "d7": {
        "register": {"country": "GB", "brand": "Nokia"},
        "actions": [],
        "batch": [("ad_watched", 3, 2), ("session_start", 3, 2)],
        "seen": (3.5, 3.2),
    },
}
ACTION_EVENT = {"session_start": "session_start", "ad_watched": "ad_watched", "purchase_made": "purchase"}


def _expected_attributes() -> dict[str, dict[str, Any]]:
    """Every field's value for each crafted device, computed from the recipe above."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in DEVICES.items():
        # (event type, days ago) of every event: profile actions happen today
        events = [(ACTION_EVENT[a], 0) for a, times in spec["actions"] for _ in range(times)]
        events += [(t, days) for t, days, times in spec["batch"] for _ in range(times)]
        recent = [t for t, days in events if days < 30]
        first, last = spec["seen"]
        out[name] = {
            "days_since_install": math.floor(first),
            "days_inactive": math.floor(last),
            "event_count_30d": len(recent),
            "session_count_30d": recent.count("session_start"),
            "ad_watches_30d": recent.count("ad_watched"),
            "purchase_count": sum(1 for t, _ in events if t == "purchase"),
            **{f: spec["register"].get(f) or "" for f in TEXT_FIELDS},
        }
    return out


EXPECTED = _expected_attributes()

# The event counters computed directly from the stored events (the 30 UTC days ending today).
DIRECT_COUNTS = """
SELECT d.android_id,
    count(e.id) FILTER (WHERE (e.created_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 30)
        AS event_count_30d,
    count(e.id) FILTER (WHERE (e.created_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 30
                        AND e.event_type = 'session_start') AS session_count_30d,
    count(e.id) FILTER (WHERE (e.created_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 30
                        AND e.event_type = 'ad_watched') AS ad_watches_30d,
    count(e.id) FILTER (WHERE e.event_type = 'purchase') AS purchase_count,
    floor(extract(epoch FROM now() - d.first_seen_at) / 86400)::int AS days_since_install,
    floor(extract(epoch FROM now() - d.last_seen_at) / 86400)::int AS days_inactive,
    coalesce(d.country, '') AS country, coalesce(d.app_version, '') AS app_version,
    coalesce(d.brand, '') AS brand, coalesce(d.install_type, '') AS install_type
FROM devices d LEFT JOIN events e ON e.device_id = d.id
WHERE d.app_id = $1 GROUP BY d.id
"""


async def _craft(
    client: Client, db: asyncpg.Connection, owner: dict[str, Any], app: dict[str, Any], sdk: dict[str, str]
) -> dict[str, int]:
    """The crafted devices, through the SDK paths (and time passing in the database); returns their ids."""
    names = list(DEVICES)
    ids = dict(
        zip(
            names,
            await asyncio.gather(
                *[_register(client, sdk, name, **DEVICES[name]["register"]) for name in names]
            ),
            strict=True,
        )
    )
    await asyncio.gather(
        *[
            _action(client, sdk, name, action, **(PURCHASE if action == "purchase_made" else {}))
            for name in names
            for action, times in DEVICES[name]["actions"]
            for _ in range(times)
        ]
    )
    # Past events as the SDK sends them: at noon UTC of the day so many days ago
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    batch = [
        {
            "android_id": name,
            "event_type": event_type,
            "created_at": (noon - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event_data": PURCHASE if event_type == "purchase" else {},
        }
        for name in names
        for event_type, days, times in DEVICES[name]["batch"]
        for _ in range(times)
    ]
    r = await client.request("POST", "/events/batch", headers=sdk, json={"events": batch})
    assert r.status_code == 202, r.text
    job = await poll_job(client, owner["token"], r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done", job
    for name in names:
        await _shift_device(db, ids[name], *DEVICES[name]["seen"])
    # The data set is what the recipe says, computed directly from the stored rows
    direct = {
        r["android_id"]: {k: r[k] for k in (*NUMBER_FIELDS, *TEXT_FIELDS)}
        for r in await db.fetch(DIRECT_COUNTS, app["id"])
    }
    assert direct == EXPECTED
    return ids


def _select(field: str, operator: str, value: Any) -> set[str]:
    """The crafted devices one rule selects, computed over the known attributes."""
    compare = NUMBER_OPERATORS[operator] if field in NUMBER_FIELDS else TEXT_OPERATORS[operator]
    return {name for name, attrs in EXPECTED.items() if compare(attrs[field], value)}


# Values per field: present in the data (eq/neq/boundaries), absent, and (for numbers) fractional.
VALUES: dict[str, list[Any]] = {
    "days_since_install": [3, 30, 2.5],
    "days_inactive": [0, 3, 15],
    "event_count_30d": [0, 3, 6.5],
    "session_count_30d": [0, 2, 5],
    "ad_watches_30d": [0, 2, 1.5],
    "purchase_count": [0, 1, 3],
    "country": ["in", "US", "u", "zz"],
    "app_version": ["2.0.1", "1.4", "BETA", "."],
    "brand": ["SAMSUNG", "samsung galaxy", "o", "%"],
    "install_type": ["Organic", "store", "or", "x"],
}


# --- management -------------------------------------------------------------------------------------------


async def test_segments__create_list_get_update_delete__round_trip(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app
    owner, app, _ = await _setup(client, db)
    token = owner["token"]
    # When a segment is created with only a name and rules
    rules = [_rule("country", "eq", "DE"), _rule("event_count_30d", "gte", 5)]
    r = await client.request(
        "POST", "/segments", token, json={"app_id": app["id"], "name": "Germans", "rules": rules}
    )
    # Then it is 201 with the defaults: AND, active, no members, never calculated
    assert r.status_code == 201, r.text
    created = r.json()
    assert {
        k: created[k]
        for k in (
            "app_id",
            "name",
            "description",
            "logic",
            "color",
            "rules",
            "is_active",
            "device_count",
            "last_calculated_at",
        )
    } == {
        "app_id": app["id"],
        "name": "Germans",
        "description": None,
        "logic": "AND",
        "color": None,
        "rules": rules,
        "is_active": True,
        "device_count": 0,
        "last_calculated_at": None,
    }
    assert ISO_Z.match(created["created_at"]) and ISO_Z.match(created["updated_at"])
    other = await _create(
        client,
        token,
        app["id"],
        name="Whales",
        description="big spenders",
        logic="OR",
        color="#22c55e",
        is_active=False,
        rules=[_rule("purchase_count", "gt", 10)],
    )
    assert (other["description"], other["logic"], other["color"], other["is_active"]) == (
        "big spenders",
        "OR",
        "#22c55e",
        False,
    )
    # and the list of the app has both, in creation order; each can be read alone
    assert [s["id"] for s in await _list(client, token, app["id"])] == [created["id"], other["id"]]
    assert await _get(client, token, created["id"]) == created
    assert await _get(client, token, other["id"]) == other
    # When fields are changed
    new_rules = [_rule("brand", "contains", "sam")]
    r = await client.request(
        "PUT",
        f"/segments/{created['id']}",
        token,
        json={
            "name": "Samsungs",
            "logic": "OR",
            "rules": new_rules,
            "color": "#000000",
            "description": "phones",
        },
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert {k: updated[k] for k in ("name", "logic", "rules", "color", "description", "is_active")} == {
        "name": "Samsungs",
        "logic": "OR",
        "rules": new_rules,
        "color": "#000000",
        "description": "phones",
        "is_active": True,
    }
    assert await _get(client, token, created["id"]) == updated
    # and the nullable description is cleared by null
    r = await client.request("PUT", f"/segments/{created['id']}", token, json={"description": None})
    assert r.status_code == 200 and r.json()["description"] is None
    # When a segment is deleted, it is gone: 404 to read, update, recalculate or delete again
    r = await client.request("DELETE", f"/segments/{other['id']}", token)
    assert r.status_code == 200 and r.json() == {"success": True}
    for method, path in (
        ("GET", f"/segments/{other['id']}"),
        ("PUT", f"/segments/{other['id']}"),
        ("POST", f"/segments/{other['id']}/recalculate"),
        ("DELETE", f"/segments/{other['id']}"),
    ):
        r = await client.request(method, path, token, json={"name": "x"} if method == "PUT" else None)
        assert r.status_code == 404, (method, path, r.text)
    assert [s["id"] for s in await _list(client, token, app["id"])] == [created["id"]]
    assert await db.fetchval("SELECT count(*) FROM custom_segments") == 1
    # and an unknown app, or none, is refused
    assert (
        await client.request("GET", "/segments", token, params={"app_id": app["id"] + 10_000})
    ).status_code == 404
    assert (await client.request("GET", "/segments", token)).status_code == 400
    r = await client.request(
        "POST", "/segments", token, json={"app_id": app["id"] + 10_000, "name": "x", "rules": rules}
    )
    assert r.status_code == 404
    # and the activity log has each change with its before/after
    r = await client.request("GET", "/settings/activity", token)
    entries = [
        e
        for e in r.json()["entries"]
        if e["action"] in ("segment.create", "segment.update", "segment.delete")
    ]
    assert [(e["action"], e["resource_id"]) for e in entries] == [
        ("segment.delete", str(other["id"])),
        ("segment.update", str(created["id"])),
        ("segment.update", str(created["id"])),
        ("segment.create", str(other["id"])),
        ("segment.create", str(created["id"])),
    ]
    assert entries[2]["details"] == {
        "before": {"name": "Germans", "logic": "AND", "rules": rules, "color": None, "description": None},
        "after": {
            "name": "Samsungs",
            "logic": "OR",
            "rules": new_rules,
            "color": "#000000",
            "description": "phones",
        },
    }
    assert entries[1]["details"] == {"before": {"description": "phones"}, "after": {"description": None}}
    assert entries[4]["details"]["after"]["name"] == "Germans"
    assert entries[0]["details"]["before"]["name"] == "Whales"


async def test_segments__update_with_nulls_or_bad_values__400_and_unchanged(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a segment
    owner, app, _ = await _setup(client, db)
    segment = await _create(client, owner["token"], app["id"], name="Kept", color="#123456")
    # When required fields are set to null, or to values the rules refuse
    bad = [
        ({"name": None}, "name"),
        ({"logic": None}, "logic"),
        ({"rules": None}, "rules"),
        ({"is_active": None}, "is_active"),
        ({"rules": []}, "rules"),
        ({"logic": "XOR"}, "logic"),
        ({"color": "red"}, "color"),
        ({"name": ""}, "name"),
        ({"rules": [_rule("country", "gt", "DE")]}, "rules[0]"),
        ({"rules": [_rule("country", "eq", "DE"), _rule("days_inactive", "eq", "7")]}, "rules[1]"),
    ]
    for body, field in bad:
        r = await client.request("PUT", f"/segments/{segment['id']}", owner["token"], json=body)
        # Then each is 400 naming the field, and the segment is unchanged
        assert r.status_code == 400, (body, r.text)
        details = r.json().get("details") or {}
        if field.startswith("rules["):
            assert _names_rule(details, int(field[6])), (body, details)
        else:
            assert any(k.split(".")[0] == field for k in details), (body, details)
    assert await _get(client, owner["token"], segment["id"]) == segment


# --- validation -------------------------------------------------------------------------------------------

VALID = _rule("country", "eq", "DE")


@pytest.mark.parametrize(
    "rules",
    [
        [VALID, _rule("favourite_colour", "eq", "red")],  # unknown field
        [VALID, _rule("days_inactive", "between", 3)],  # unknown operator
        [VALID, _rule("days_inactive", "contains", 3)],  # a text operator on a number field
        [VALID, _rule("country", "gt", "DE")],  # a number operator on a text field
        [VALID, _rule("brand", "lte", "x")],
        [VALID, _rule("days_inactive", "gt", "7")],  # a string on a number field
        [VALID, _rule("country", "eq", 49)],  # a number on a text field
        [VALID, _rule("purchase_count", "eq", True)],  # a bool on a number field
        [VALID, _rule("country", "eq", True)],
        [VALID, _rule("country", "eq", None)],
        [VALID, _rule("country", "eq", "")],
        [VALID, _rule("event_count_30d", "gte", None)],
        [VALID, _rule("event_count_30d", "gte", [1])],
        [VALID, _rule("event_count_30d", "gte", 1e13)],
        [VALID, {"field": "country", "operator": "eq"}],  # no value
        [VALID, {"operator": "eq", "value": "DE"}],  # no field
        [VALID, "country = DE"],
    ],
    ids=lambda rules: str(rules[-1]),
)
async def test_segments__invalid_rule__400_naming_it_nothing_stored(
    client: Client, db: asyncpg.Connection, rules: list[Any]
) -> None:
    # Given an app
    owner, app, _ = await _setup(client, db)
    # When a segment is created with a bad second rule
    r = await client.request(
        "POST", "/segments", owner["token"], json={"app_id": app["id"], "name": "Bad", "rules": rules}
    )
    # Then it is 400 naming that rule, and nothing is stored
    assert r.status_code == 400, r.text
    assert _names_rule(r.json().get("details"), 1), r.json()
    assert await db.fetchval("SELECT count(*) FROM custom_segments") == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rules": []}, "rules"),
        ({"rules": None}, "rules"),
        ({"rules": [VALID] * 21}, "rules"),
        ({"color": "green"}, "color"),
        ({"color": "#12345"}, "color"),
        ({"color": "#1234567"}, "color"),
        ({"logic": "XOR"}, "logic"),
        ({"logic": "and"}, "logic"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"is_active": "yes"}, "is_active"),
        ({"app_id": None}, "app_id"),
    ],
)
async def test_segments__invalid_body__400_naming_the_field_nothing_stored(
    client: Client, db: asyncpg.Connection, body: dict[str, Any], field: str
) -> None:
    owner, app, _ = await _setup(client, db)
    r = await client.request(
        "POST",
        "/segments",
        owner["token"],
        json={"app_id": app["id"], "name": "Bad", "rules": [VALID], **body},
    )
    assert r.status_code == 400, r.text
    assert any(k.split(".")[0] == field for k in r.json().get("details") or {}), r.json()
    assert await db.fetchval("SELECT count(*) FROM custom_segments") == 0


async def test_segments__21st_of_an_app__400_while_20_succeed(client: Client, db: asyncpg.Connection) -> None:
    # Given an app, and another app of the same org
    owner, app, _ = await _setup(client, db)
    other_app = await client.create_app(owner["token"])
    # When 22 segments are created at once
    results = await asyncio.gather(
        *[
            client.request(
                "POST",
                "/segments",
                owner["token"],
                json={"app_id": app["id"], "name": f"S{i}", "rules": [_rule("purchase_count", "gte", i)]},
            )
            for i in range(22)
        ]
    )
    # Then exactly 20 are created, the others are 400 naming the limit
    assert sorted(r.status_code for r in results) == [201] * 20 + [400] * 2
    assert all("app_id" in (r.json().get("details") or {}) for r in results if r.status_code == 400)
    assert await db.fetchval("SELECT count(*) FROM custom_segments WHERE app_id = $1", app["id"]) == 20
    assert len(await _list(client, owner["token"], app["id"])) == 20
    r = await client.request(
        "POST", "/segments", owner["token"], json={"app_id": app["id"], "name": "One more", "rules": [VALID]}
    )
    assert r.status_code == 400
    # and another app still can create one; a deletion makes room again
    await _create(client, owner["token"], other_app["id"])
    first = next(r.json() for r in results if r.status_code == 201)
    assert (await client.request("DELETE", f"/segments/{first['id']}", owner["token"])).status_code == 200
    await _create(client, owner["token"], app["id"])


# --- membership: every field and operator -----------------------------------------------------------------


@pytest.mark.parametrize("field", [*NUMBER_FIELDS, *TEXT_FIELDS])
async def test_segments__every_operator_of_a_field__members_equal_direct_computation(
    client: Client, worker: None, db: asyncpg.Connection, field: str
) -> None:
    # Given the crafted devices of one app
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    ids = await _craft(client, db, owner, app, sdk)
    operators = NUMBER_OPERATORS if field in NUMBER_FIELDS else TEXT_OPERATORS
    cases = [(operator, value) for operator in operators for value in VALUES[field]]
    assert len(cases) <= 20
    # When a one-rule segment per (operator, value) is created and recalculated
    segments = [
        await _create(
            client, token, app["id"], [_rule(field, operator, value)], name=f"{field} {operator} {value}"
        )
        for operator, value in cases
    ]
    counts = await asyncio.gather(*[_recalculate(client, token, s["id"]) for s in segments])
    # Then each one's members are the devices the rule selects, computed directly, and so is its count
    selected = []
    for (operator, value), segment, count in zip(cases, segments, counts, strict=True):
        expected = {ids[name] for name in _select(field, operator, value)}
        assert await _members(db, segment["id"]) == expected, (field, operator, value)
        assert count == len(expected), (field, operator, value)
        selected.append(expected)
    # (the cases are not vacuous: some select some devices, some none or all)
    assert any(0 < len(s) < len(ids) for s in selected)
    listed = {s["id"]: s for s in await _list(client, token, app["id"])}
    for segment, count in zip(segments, counts, strict=True):
        assert listed[segment["id"]]["device_count"] == count


async def test_segments__and_or__same_rules_differ_as_expected(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    # Given the crafted devices
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    ids = await _craft(client, db, owner, app, sdk)
    # When the same two rules are joined by AND and by OR
    rules = [_rule("country", "eq", "us"), _rule("event_count_30d", "gte", 3)]
    both = await _create(client, token, app["id"], rules, logic="AND")
    either = await _create(client, token, app["id"], rules, logic="OR")
    three = [
        _rule("install_type", "eq", "store"),
        _rule("days_inactive", "lt", 1),
        _rule("brand", "contains", "o"),
    ]
    all3 = await _create(client, token, app["id"], three, logic="AND")
    any3 = await _create(client, token, app["id"], three, logic="OR")
    for segment in (both, either, all3, any3):
        await _recalculate(client, token, segment["id"])
    # Then AND is the intersection, OR the union of what each rule selects, computed directly
    for segment, rule_set, combine in (
        (both, rules, set.intersection),
        (either, rules, set.union),
        (all3, three, set.intersection),
        (any3, three, set.union),
    ):
        expected = {
            ids[n] for n in combine(*[_select(r["field"], r["operator"], r["value"]) for r in rule_set])
        }
        assert await _members(db, segment["id"]) == expected, segment["logic"]
    assert await _members(db, both["id"]) < await _members(db, either["id"])
    assert await _members(db, all3["id"]) < await _members(db, any3["id"])
    assert await _members(db, both["id"]) == {ids["d1"]}
    assert await _members(db, all3["id"]) == {ids["d6"]}


# --- recalculation ----------------------------------------------------------------------------------------


async def test_segments__recalculation__count_time_and_members_follow_the_data(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given two German devices and an American one, and a segment of Germans never calculated
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    berlin = await _register(client, sdk, "berlin", country="DE")
    munich = await _register(client, sdk, "munich", country="de")
    await _register(client, sdk, "boston", country="US")
    segment = await _create(client, token, app["id"], [_rule("country", "eq", "de")])
    assert await _members(db, segment["id"]) == set()
    # When it is recalculated
    before = datetime.now(UTC).replace(microsecond=0)
    assert await _recalculate(client, token, segment["id"]) == 2
    # Then the list shows its count and when it was calculated
    (listed,) = await _list(client, token, app["id"])
    assert listed["device_count"] == 2
    assert ISO_Z.match(listed["last_calculated_at"])
    calculated = datetime.fromisoformat(listed["last_calculated_at"])
    assert before - timedelta(seconds=5) <= calculated <= datetime.now(UTC) + timedelta(seconds=5)
    assert await _members(db, segment["id"]) == {berlin, munich}
    # When one German device moves abroad, it stays a member until the next calculation
    await _action(client, sdk, "munich", "update_country", country="FR")
    assert await _members(db, segment["id"]) == {berlin, munich}
    # and a new German device joins only then
    hamburg = await _register(client, sdk, "hamburg", country="DE")
    assert (await _get(client, token, segment["id"]))["device_count"] == 2
    assert await _recalculate(client, token, segment["id"]) == 2
    assert await _members(db, segment["id"]) == {berlin, hamburg}
    # and a calculation that selects nobody empties it
    r = await client.request(
        "PUT", f"/segments/{segment['id']}", token, json={"rules": [_rule("country", "eq", "JP")]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["device_count"] == 2  # members follow at the next calculation
    assert await _recalculate(client, token, segment["id"]) == 0
    assert await _members(db, segment["id"]) == set()
    got = await _get(client, token, segment["id"])
    assert got["device_count"] == 0 and got["last_calculated_at"] >= listed["last_calculated_at"]


async def test_segments__inactive__kept_inactive_and_skipped_by_the_nightly_pass(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an active and an inactive segment over the same device
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    device = await _register(client, sdk, "only", country="DE")
    active = await _create(client, token, app["id"], name="On")
    inactive = await _create(client, token, app["id"], name="Off", is_active=False)
    assert inactive["is_active"] is False
    # When the nightly pass runs (what actors.segments.recalculate_segments calls)
    assert await _recalculate_all() == {"segments": 1}
    # Then only the active one was calculated
    listed = {s["name"]: s for s in await _list(client, token, app["id"])}
    assert (listed["On"]["device_count"], listed["On"]["last_calculated_at"] is not None) == (1, True)
    assert (listed["Off"]["device_count"], listed["Off"]["last_calculated_at"]) == (0, None)
    assert await _members(db, active["id"]) == {device}
    assert await _members(db, inactive["id"]) == set()
    # When the inactive one is changed and recalculated on demand, it stays inactive
    r = await client.request("PUT", f"/segments/{inactive['id']}", token, json={"description": "paused"})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert await _recalculate(client, token, inactive["id"]) == 1
    got = await _get(client, token, inactive["id"])
    assert (got["is_active"], got["device_count"], got["description"]) == (False, 1, "paused")
    assert got["last_calculated_at"] is not None
    # and turning it off and on is kept as well
    r = await client.request("PUT", f"/segments/{active['id']}", token, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await _get(client, token, active["id"]))["is_active"] is False
    assert await _recalculate_all() == {"segments": 0}


async def _recalculate_all() -> dict[str, int]:
    """The nightly pass, run in this process (what actors.segments.recalculate_segments calls)."""
    from core.db import close_db, init_db
    from core.settings import get_settings
    from pipelines import customsegments

    await init_db(get_settings())
    try:
        return await customsegments.recalculate_all(None)
    finally:
        await close_db()


async def test_segments__recalculate_without_waiting__202_then_job_done(
    client: Client, worker: None, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client, db)
    await _register(client, sdk, "one", country="DE")
    segment = await _create(client, owner["token"], app["id"])
    r = await client.request(
        "POST", f"/segments/{segment['id']}/recalculate", owner["token"], params={"wait": 0}
    )
    assert r.status_code in (200, 202), r.text
    if r.status_code == 202:
        job = await poll_job(client, owner["token"], r.json()["job_id"], {"done", "failed"})
        assert job["status"] == "done", job
        assert job["result"] == {"device_count": 1, "segment_id": segment["id"]}
    assert (await _get(client, owner["token"], segment["id"]))["device_count"] == 1


# --- flag targeting ---------------------------------------------------------------------------------------


async def test_segments__flag_targeting__members_only_after_calculation_delete_409(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given two German devices, an American one, a segment of Germans, and another app's segment
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    for name, country, brand in (("de-1", "DE", "Pixel"), ("de-2", "DE", "Moto"), ("us-1", "US", "Pixel")):
        await _register(client, sdk, name, country=country, brand=brand)
    segment = await _create(client, token, app["id"], [_rule("country", "eq", "DE")])
    other_app = await client.create_app(owner["token"])
    foreign = await _create(client, token, other_app["id"], [_rule("country", "eq", "DE")])
    # When a flag targets an unknown segment or another app's: 400
    for ids in ([segment["id"] + 10_000], [foreign["id"]], [segment["id"], foreign["id"]]):
        r = await client.request(
            "POST",
            "/flags",
            token,
            json={
                "app_id": app["id"],
                "name": "F",
                "flag_key": "germans_only",
                "is_enabled": True,
                "custom_segment_ids": ids,
            },
        )
        assert r.status_code == 400, (ids, r.text)
        assert "custom_segment_ids" in r.json()["details"]
    assert await db.fetchval("SELECT count(*) FROM feature_flags") == 0
    # When a flag targets the segment
    r = await client.request(
        "POST",
        "/flags",
        token,
        json={
            "app_id": app["id"],
            "name": "F",
            "flag_key": "germans_only",
            "is_enabled": True,
            "custom_segment_ids": [segment["id"]],
        },
    )
    assert r.status_code == 201, r.text
    flag = r.json()
    assert flag["custom_segment_ids"] == [segment["id"]]

    async def enabled() -> dict[str, bool]:
        out = {}
        for name in ("de-1", "de-2", "us-1"):
            r = await client.request("GET", "/sdk/flags", headers=sdk, params={"android_id": name})
            assert r.status_code == 200, r.text
            out[name] = r.json()["flags"]["germans_only"]["enabled"]
        return out

    async def eventually(want: dict[str, bool], timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while (got := await enabled()) != want:
            assert time.monotonic() < deadline, got
            await asyncio.sleep(0.05)

    # Then before any calculation no device matches (and the devices' attributes are cached now)
    await eventually({"de-1": False, "de-2": False, "us-1": False})
    # When the segment is calculated, its members see the flag and the others do not
    assert await _recalculate(client, token, segment["id"]) == 2
    await eventually({"de-1": True, "de-2": True, "us-1": False})
    # When the rules change so that a member leaves at the next calculation (the device itself unchanged,
    # so only the calculation can drop its cached membership), it no longer sees the flag
    r = await client.request(
        "PUT",
        f"/segments/{segment['id']}",
        token,
        json={"rules": [_rule("country", "eq", "DE"), _rule("brand", "eq", "pixel")]},
    )
    assert r.status_code == 200, r.text
    await eventually({"de-1": True, "de-2": True, "us-1": False})
    assert await _recalculate(client, token, segment["id"]) == 1
    await eventually({"de-1": True, "de-2": False, "us-1": False})
    # and a device that changes (its own cache entry dropped by the change) still waits for the calculation
    await _action(client, sdk, "us-1", "update_country", country="DE")
    await eventually({"de-1": True, "de-2": False, "us-1": False})
    assert await _recalculate(client, token, segment["id"]) == 2
    await eventually({"de-1": True, "de-2": False, "us-1": True})
    # Then the targeted segment cannot be deleted: 409, and it stays
    r = await client.request("DELETE", f"/segments/{segment['id']}", token)
    assert r.status_code == 409, r.text
    assert "germans_only" in r.json()["error"]
    assert (await _get(client, token, segment["id"]))["device_count"] == 2
    # until the flag stops targeting it
    r = await client.request("PUT", f"/flags/{flag['id']}", token, json={"custom_segment_ids": []})
    assert r.status_code == 200 and r.json()["custom_segment_ids"] == []
    r = await client.request("DELETE", f"/segments/{segment['id']}", token)
    assert r.status_code == 200, r.text
    assert (await client.request("GET", f"/segments/{segment['id']}", token)).status_code == 404
    assert (
        await db.fetchval("SELECT count(*) FROM custom_segment_members WHERE segment_id = $1", segment["id"])
        == 0
    )
    # and the untargeted flag is on for every device
    await eventually({"de-1": True, "de-2": True, "us-1": True})


# --- isolation and roles ----------------------------------------------------------------------------------


async def test_segments__other_org__404_everywhere(
    client: Client, stranger: Client, db: asyncpg.Connection
) -> None:
    # Given a segment of one org, and another org with an app of its own
    owner, app, sdk = await _setup(client, db)
    await _register(client, sdk, "mine", country="DE")
    segment = await _create(client, owner["token"], app["id"], name="Mine")
    other, other_app, _ = await _setup(stranger, db)
    other_token = other["token"]
    # When the other org addresses the segment or the app: 404, never its data
    for method, path, kwargs in (
        ("GET", f"/segments/{segment['id']}", {}),
        ("PUT", f"/segments/{segment['id']}", {"json": {"name": "Theirs"}}),
        ("DELETE", f"/segments/{segment['id']}", {}),
        ("POST", f"/segments/{segment['id']}/recalculate", {}),
        ("GET", "/segments", {"params": {"app_id": app["id"]}}),
        ("POST", "/segments", {"json": {"app_id": app["id"], "name": "x", "rules": [VALID]}}),
    ):
        r = await stranger.request(method, path, other_token, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
        assert "Mine" not in r.text
    # and a segment addressed through another app of the caller's own org is not found either
    second_app = await client.create_app(owner["token"])
    r = await client.request(
        "PUT",
        f"/segments/{segment['id']}",
        owner["token"],
        json={"app_id": second_app["id"], "name": "Moved"},
    )
    assert r.status_code == 404
    r = await client.request(
        "DELETE", f"/segments/{segment['id']}", owner["token"], params={"app_id": second_app["id"]}
    )
    assert r.status_code == 404
    # Then the segment is unchanged and uncalculated, and the other org's list is its own (empty)
    assert await _get(client, owner["token"], segment["id"]) == segment
    assert await _list(stranger, other_token, other_app["id"]) == []
    assert await db.fetchval("SELECT count(*) FROM custom_segment_members") == 0


async def test_segments__viewer_reads__admin_writes(
    client: Client, database_url: str, db: asyncpg.Connection
) -> None:
    # Given a segment, a viewer and an admin of the org
    owner, app, sdk = await _setup(client, db)
    await _register(client, sdk, "dev", country="DE")
    segment = await _create(client, owner["token"], app["id"])
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    # Then the viewer reads the list and the segment
    assert await _list(client, viewer["token"], app["id"]) == [segment]
    assert await _get(client, viewer["token"], segment["id"]) == segment
    # but may not create, change, delete or recalculate
    writes = (
        ("POST", "/segments", {"app_id": app["id"], "name": "v", "rules": [VALID]}),
        ("PUT", f"/segments/{segment['id']}", {"name": "viewer's"}),
        ("DELETE", f"/segments/{segment['id']}", None),
        ("POST", f"/segments/{segment['id']}/recalculate", None),
    )
    for method, path, body in writes:
        r = await client.request(method, path, viewer["token"], json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert await _get(client, owner["token"], segment["id"]) == segment
    assert await db.fetchval("SELECT count(*) FROM custom_segments") == 1
    # while an admin may
    r = await client.request("PUT", f"/segments/{segment['id']}", admin["token"], json={"name": "admin's"})
    assert r.status_code == 200 and r.json()["name"] == "admin's"
    assert await _recalculate(client, admin["token"], segment["id"]) == 1
    r = await client.request(
        "POST", "/segments", admin["token"], json={"app_id": app["id"], "name": "a", "rules": [VALID]}
    )
    assert r.status_code == 201
    assert (await client.request("DELETE", f"/segments/{r.json()['id']}", admin["token"])).status_code == 200


# --- device erasure ---------------------------------------------------------------------------------------


async def test_segments__erased_member__receipt_counts_membership_row_gone(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given two devices in a calculated segment (and in a second one)
    owner, app, sdk = await _setup(client, db)
    token = owner["token"]
    gone = await _register(client, sdk, "gone", country="DE")
    kept = await _register(client, sdk, "kept", country="DE")
    segment = await _create(client, token, app["id"])
    everyone = await _create(client, token, app["id"], [_rule("purchase_count", "gte", 0)])
    assert await _recalculate(client, token, segment["id"]) == 2
    assert await _recalculate(client, token, everyone["id"]) == 2
    # When one is erased
    r = await client.request("DELETE", f"/dashboard/devices/{gone}", token)
    # Then the receipt counts its two memberships, and their rows are gone
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["segment_memberships"] == 2
    assert r.json()["deleted"]["devices"] == 1
    assert await db.fetchval("SELECT count(*) FROM custom_segment_members WHERE device_id = $1", gone) == 0
    assert await _members(db, segment["id"]) == {kept}
    # and the next calculation counts what remains
    assert await _recalculate(client, token, segment["id"]) == 1


async def test_segments__erased_single_member__receipt_has_one_membership(
    client: Client, db: asyncpg.Connection
) -> None:
    owner, app, sdk = await _setup(client, db)
    device = await _register(client, sdk, "solo", country="DE")
    segment = await _create(client, owner["token"], app["id"])
    await _recalculate(client, owner["token"], segment["id"])
    r = await client.request("DELETE", f"/dashboard/devices/{device}", owner["token"])
    assert r.status_code == 200, r.text
    assert r.json() == {
        "deleted": {
            "events": 0,
            "revenue_events": 0,
            "experiment_exposures": 0,
            "segment_memberships": 1,
            "device_days": 0,
            "devices": 1,
        }
    }
    assert await _members(db, segment["id"]) == set()
