"""Dashboard reads over HTTP (API.md section 3; README "Dashboard"): overview, built-in segments, the
devices list and one device, trends, countries, revenue and events, each checked against a direct
computation over what was sent (the events, revenue_events and devices tables, never the rollups);
isolation, validation, roles, and erasure taken out of every number."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member, poll_job

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SEGMENT_ORDER = ["churned", "dormant", "power_user", "new", "active", "casual"]
READ_ROUTES = [
    "/dashboard/overview",
    "/dashboard/segments",
    "/dashboard/devices",
    "/dashboard/trends",
    "/dashboard/countries",
    "/dashboard/revenue",
    "/dashboard/events",
]

# Devices registered by the data set: android_id -> registration fields.
REGISTERED: dict[str, dict[str, Any]] = {
    "Alpha-01": {"brand": "Samsung", "model": "Galaxy S21", "country": "us"},
    "beta-02": {"brand": "samsung", "model": "Galaxy A52", "country": "IN"},
    "gamma-03": {"brand": "Google", "model": "Pixel 7", "country": "US"},
    "delta-04": {"brand": "Xiaomi", "model": "Redmi_Note%5", "country": "de"},
}
# Ad impressions: (android_id, ad_type, ad_network, revenue, geo_tier, country); every breakdown's sums differ.
IMPRESSIONS = [
    ("Alpha-01", "rewarded", "admob", 0.0125, "tier1", "US"),
    ("Alpha-01", "banner", "admob", 0.0003, "tier1", "us"),
    ("beta-02", "interstitial", "unity", 0.004, "tier3", "IN"),
    ("beta-02", "banner", None, 0.0002, None, None),
    ("gamma-03", "rewarded", "applovin", 0.02, "tier1", "US"),
    ("zeta-06", "native", "unity", 0.001, "tier2", "BR"),
]


@pytest.fixture(autouse=True)
def _with_worker(worker: None) -> None:
    """Event batches are stored by the worker: every test here has the session's worker."""


@dataclass
class Dataset:
    owner: dict[str, Any]
    app: dict[str, Any]
    sdk: dict[str, str]
    today: date

    @property
    def token(self) -> str:
        return self.owner["token"]

    @property
    def app_id(self) -> int:
        return self.app["id"]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(today: date, days_ago: int, hms: str) -> str:
    """`days_ago` UTC days before today at HH:MM:SS, as the SDK sends created_at."""
    return _iso(datetime.combine(today - timedelta(days=days_ago), time.fromisoformat(hms), UTC))


async def _away_from_midnight() -> None:
    """The data set and the expectations are computed for one UTC day: never straddle midnight."""
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), time(), UTC) - now).total_seconds()
    if left < 120:
        await asyncio.sleep(left + 1)


async def _setup(client: Client, db: asyncpg.Connection) -> Dataset:
    """An owner of an enterprise org (made so before any request caches the plan, so the sdk and api
    tiers admit a test's many requests), their app and its SDK headers."""
    await _away_from_midnight()
    owner = await client.register()
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    app = await client.create_app(owner["token"])
    return Dataset(owner, app, {"X-SDK-Key": app["sdk_key"]}, datetime.now(UTC).date())


async def _register(client: Client, data: Dataset, android_id: str, **fields: Any) -> int:
    r = await client.request(
        "POST", "/devices/register", headers=data.sdk, json={"android_id": android_id, **fields}
    )
    assert r.status_code == 200, r.text
    return r.json()["device"]["id"]


async def _send_batch(client: Client, data: Dataset, events: list[dict[str, Any]]) -> None:
    """POST /events/batch and wait until the worker has stored it."""
    r = await client.request("POST", "/events/batch", headers=data.sdk, json={"events": events})
    assert r.status_code == 202, r.text
    job = await poll_job(client, data.token, r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done", job


async def _impression(
    client: Client,
    data: Dataset,
    android_id: str,
    ad_type: str,
    ad_network: str | None,
    revenue: float,
    geo_tier: str | None,
    country: str | None,
) -> None:
    body = {"android_id": android_id, "ad_type": ad_type, "revenue": revenue, "ecpm": revenue * 1000}
    body.update(
        {k: v for k, v in (("ad_network", ad_network), ("geo_tier", geo_tier), ("country", country)) if v}
    )
    r = await client.request("POST", "/sdk/revenue", headers=data.sdk, json=body)
    assert r.status_code == 200, r.text


async def _build(client: Client, db: asyncpg.Connection) -> Dataset:
    """The crafted data set: four registered devices and four created by their events, events over many
    UTC days (on both sides of midnight, and of the 7- and 30-day windows), purchases by event and by
    profile action, and ad impressions over networks, ad types, countries and geo tiers."""
    data = await _setup(client, db)
    for android_id, fields in REGISTERED.items():
        await _register(client, data, android_id, **fields)
    t = data.today

    def ev(android_id: str, event_type: str, days_ago: int, hms: str, **event_data: Any) -> dict[str, Any]:
        return {
            "android_id": android_id,
            "event_type": event_type,
            "created_at": _at(t, days_ago, hms),
            "event_data": event_data,
        }

    await _send_batch(
        client,
        data,
        [
            ev("Alpha-01", "session_start", 30, "23:59:59"),  # a day before the 30-day window
            ev("Alpha-01", "purchase", 30, "12:00:00", amount=100, product_id="old", currency="USD"),
            ev("Alpha-01", "session_start", 29, "00:00:00"),  # its first second
            ev("Alpha-01", "ad_watched", 3, "23:59:59"),
            ev("Alpha-01", "ad_watched", 2, "00:00:00"),
            ev("Alpha-01", "purchase", 1, "12:00:00", amount=2.5, product_id="gems", currency="USD"),
            ev("Alpha-01", "level_complete", 0, "00:00:00", level=3),
            ev("beta-02", "session_start", 6, "00:00:00"),  # first seen on the first day of the 7-day window
            ev("beta-02", "screen_view", 6, "23:59:59"),
            ev("beta-02", "ad_watched", 5, "08:00:00"),
            ev("gamma-03", "session_start", 7, "23:59:59"),  # first seen the day before the 7-day window
            ev("gamma-03", "session_start", 0, "00:00:00"),
        ],
    )
    await _send_batch(
        client,
        data,
        [
            ev("zeta-06", "session_start", 2, "05:00:00"),  # an unregistered device, created by its events
            ev("zeta-06", "ad_watched", 2, "05:00:01"),
            ev("zeta-06", "purchase", 0, "00:00:00", amount=1.25, product_id="coins", currency="USD"),
            ev("zeta-06", "screen_view", 0, "00:00:00"),
            ev("eps-05", "session_start", 45, "10:00:00"),  # long ago only
            ev("eps-05", "screen_view", 45, "10:00:01"),
            ev("old-07", "session_start", 30, "23:59:59"),  # last seen the day before the 30-day window
            ev("edge-08", "session_start", 29, "00:00:00"),  # last seen on its first second
        ],
    )
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=data.sdk,
        json={
            "android_id": "beta-02",
            "action": "purchase_made",
            "product_id": "no_ads",
            "amount": 4.99,
            "currency": "USD",
        },
    )
    assert r.status_code == 200, r.text
    for impression in IMPRESSIONS:
        await _impression(client, data, *impression)
    return data


async def _get(client: Client, token: str, path: str, status: int = 200, **params: Any) -> Any:
    r = await client.request("GET", path, token, params=params)
    assert r.status_code == status, (path, params, r.text)
    return r.json()


def _window(today: date, days: int) -> tuple[datetime, datetime]:
    """[start, end) of the `days` UTC days ending today."""
    end = datetime.combine(today + timedelta(days=1), time(), UTC)
    return end - timedelta(days=days), end


PURCHASE_AMOUNT = "CASE WHEN event_type = 'purchase' THEN (event_data ->> 'amount')::numeric ELSE 0 END"


# --- overview ---------------------------------------------------------------------------------------------


async def test_overview__crafted_data__matches_direct_counts(client: Client, db: asyncpg.Connection) -> None:
    # Given the crafted data set
    data = await _build(client, db)
    start30, end = _window(data.today, 30)
    start7, _ = _window(data.today, 7)
    today_start, _ = _window(data.today, 1)
    # When the overview is read
    overview = await _get(client, data.token, "/dashboard/overview", app_id=data.app_id)
    # Then every number is what the raw tables say
    in30 = "app_id = $1 AND created_at >= $2 AND created_at < $3"
    expected = {
        "total_devices": await db.fetchval("SELECT count(*) FROM devices WHERE app_id = $1", data.app_id),
        # seen in the window: an event in it, or a registration (all of them today)
        "active_users_30d": len(
            {
                r["device_id"]
                for r in await db.fetch(
                    f"SELECT device_id FROM events WHERE {in30}", data.app_id, start30, end
                )
            }
            | {
                r["id"]
                for r in await db.fetch(
                    "SELECT id FROM devices WHERE app_id = $1 AND android_id = ANY($2)",
                    data.app_id,
                    list(REGISTERED),
                )
            }
        ),
        "new_users_7d": await db.fetchval(
            "SELECT count(*) FROM devices WHERE app_id = $1 AND first_seen_at >= $2 AND first_seen_at < $3",
            data.app_id,
            start7,
            end,
        ),
        "events_today": await db.fetchval(
            f"SELECT count(*) FROM events WHERE {in30}", data.app_id, today_start, end
        ),
        "ad_watches": await db.fetchval(
            f"SELECT count(*) FROM events WHERE {in30} AND event_type = 'ad_watched'",
            data.app_id,
            start30,
            end,
        ),
        "purchases": await db.fetchval(
            f"SELECT count(*) FROM events WHERE {in30} AND event_type = 'purchase'", data.app_id, start30, end
        ),
    }
    revenue = await db.fetchval(
        f"SELECT sum({PURCHASE_AMOUNT}) FROM events WHERE {in30}", data.app_id, start30, end
    ) + await db.fetchval(f"SELECT sum(revenue) FROM revenue_events WHERE {in30}", data.app_id, start30, end)
    assert {k: v for k, v in overview.items() if k != "revenue_30d"} == expected
    assert set(overview) == {*expected, "revenue_30d"}
    assert overview["revenue_30d"] == pytest.approx(float(revenue), abs=1e-6)
    # and, read by hand from the data set: 8 devices; the four registered, zeta and edge seen in 30 days
    # (eps and old not); beta (first seen 6 days ago), delta and zeta new in 7 days (gamma, first seen
    # 7 days ago, is not); today: Alpha's level, gamma's session, zeta's purchase and screen, beta's
    # profile purchase
    assert (overview["total_devices"], overview["active_users_30d"], overview["new_users_7d"]) == (8, 6, 3)
    assert (overview["events_today"], overview["ad_watches"], overview["purchases"]) == (5, 4, 3)
    assert overview["revenue_30d"] == pytest.approx(
        2.5 + 4.99 + 1.25 + sum(i[3] for i in IMPRESSIONS), abs=1e-6
    )


async def test_overview__empty_app__zeros(client: Client, db: asyncpg.Connection) -> None:
    data = await _setup(client, db)
    assert await _get(client, data.token, "/dashboard/overview", app_id=data.app_id) == {
        "total_devices": 0,
        "active_users_30d": 0,
        "new_users_7d": 0,
        "events_today": 0,
        "ad_watches": 0,
        "purchases": 0,
        "revenue_30d": 0,
    }


# --- segments ---------------------------------------------------------------------------------------------


async def _shift_device(db: asyncpg.Connection, device_id: int, first_days: float, last_days: float) -> None:
    """Make a device first seen `first_days` and last seen `last_days` ago (time passing, nothing else)."""
    await db.execute(
        "UPDATE devices SET first_seen_at = now() - make_interval(secs => $2), "
        "last_seen_at = now() - make_interval(secs => $3) WHERE id = $1",
        device_id,
        first_days * 86400,
        last_days * 86400,
    )


async def _reclassify() -> None:
    """The nightly reclassification, run in this process (what actors.segments.reclassify_devices calls)."""
    from core.db import close_db, init_db
    from core.settings import get_settings
    from pipelines import segments

    await init_db(get_settings())
    try:
        await segments.reclassify_all(None)
    finally:
        await close_db()


async def test_segments__devices_of_every_age__counted_in_api_md_order_zeros_included(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given devices whose first and last sightings make each built-in segment but dormant
    data = await _setup(client, db)
    ages = {"c1": (60, 40), "c2": (50, 31), "a1": (10, 1), "k1": (20, 10)}  # (first, last) days ago
    for android_id in ("c1", "c2", "a1", "k1", "n1", "n2", "n3", "p1"):
        device_id = await _register(client, data, android_id)
        if android_id in ages:
            await _shift_device(db, device_id, *ages[android_id])
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=data.sdk,
        json={"android_id": "p1", "action": "purchase_made", "amount": 1},
    )
    assert r.status_code == 200, r.text
    # and the nightly pass has moved the devices time alone moved
    await _reclassify()
    # When the segments are read
    segments = (await _get(client, data.token, "/dashboard/segments", app_id=data.app_id))["segments"]
    # Then each built-in segment is counted, in API.md's order, dormant with zero
    assert segments == [
        {"segment": s, "count": n} for s, n in zip(SEGMENT_ORDER, [2, 0, 1, 3, 1, 1], strict=True)
    ]
    stored = dict(
        await db.fetch("SELECT user_segment, count(*) FROM devices WHERE app_id = $1 GROUP BY 1", data.app_id)
    )
    assert {s["segment"]: s["count"] for s in segments if s["count"]} == stored


async def test_segments__empty_app__six_zeros(client: Client, db: asyncpg.Connection) -> None:
    data = await _setup(client, db)
    assert (await _get(client, data.token, "/dashboard/segments", app_id=data.app_id))["segments"] == [
        {"segment": s, "count": 0} for s in SEGMENT_ORDER
    ]


# --- devices ----------------------------------------------------------------------------------------------


async def _device_ids(db: asyncpg.Connection, app_id: int, where: str = "true", *args: Any) -> list[int]:
    rows = await db.fetch(
        f"SELECT id FROM devices WHERE app_id = $1 AND ({where}) ORDER BY id DESC", app_id, *args
    )
    return [r["id"] for r in rows]


async def test_devices__pages__newest_first_total_and_pages(client: Client, db: asyncpg.Connection) -> None:
    # Given the data set's eight devices
    data = await _build(client, db)
    everyone = await _device_ids(db, data.app_id)
    assert len(everyone) == 8
    # When read four at a time
    first = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id, limit=4)
    second = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id, limit=4, page=2)
    beyond = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id, limit=4, page=3)
    # Then the pages hold the devices newest first, with the total and the number of pages
    assert [d["id"] for d in first["devices"]] == everyone[:4]
    assert [d["id"] for d in second["devices"]] == everyone[4:]
    assert {k: first[k] for k in ("page", "limit", "total", "pages")} == {
        "page": 1,
        "limit": 4,
        "total": 8,
        "pages": 2,
    }
    assert {k: second[k] for k in ("page", "limit", "total", "pages")} == {
        "page": 2,
        "limit": 4,
        "total": 8,
        "pages": 2,
    }
    # and a page beyond the end is empty, not an error
    assert beyond == {"devices": [], "page": 3, "limit": 4, "total": 8, "pages": 2}
    # and the defaults are page 1 of 50
    default = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id)
    assert (default["page"], default["limit"], default["pages"]) == (1, 50, 1)
    assert [d["id"] for d in default["devices"]] == everyone
    # and each device is its row
    alpha = next(d for d in default["devices"] if d["android_id"] == "Alpha-01")
    row = await db.fetchrow(
        "SELECT * FROM devices WHERE app_id = $1 AND android_id = 'Alpha-01'", data.app_id
    )
    assert alpha == {
        "id": row["id"],
        "app_id": data.app_id,
        "android_id": "Alpha-01",
        "brand": "Samsung",
        "model": "Galaxy S21",
        "android_version": None,
        "app_version": None,
        "country": "US",
        "install_type": None,
        "user_segment": row["user_segment"],
        "sessions_count": 2,
        "ad_watches": 2,
        "purchases": 2,
        "purchase_revenue": 102.5,
        "ad_revenue": pytest.approx(0.0128, abs=1e-9),
        "first_seen_at": _iso(row["first_seen_at"]),
        "last_seen_at": _iso(row["last_seen_at"]),
        "created_at": _iso(row["created_at"]),
    }
    assert alpha["first_seen_at"] == _at(data.today, 30, "12:00:00")


async def test_devices__search_segment_country__case_insensitive_literal_filters(
    client: Client, db: asyncpg.Connection
) -> None:
    data = await _build(client, db)

    async def ids(**params: Any) -> list[int]:
        page = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id, **params)
        assert page["total"] == len(page["devices"])
        return [d["id"] for d in page["devices"]]

    def by_android_id(*android_ids: str) -> str:
        return "android_id IN (" + ", ".join(f"'{a}'" for a in android_ids) + ")"

    # Search: a case-insensitive substring of the brand, the model or the android_id
    assert await ids(search="SAMSUNG") == await _device_ids(
        db, data.app_id, by_android_id("Alpha-01", "beta-02")
    )
    assert await ids(search="pixel") == await _device_ids(db, data.app_id, by_android_id("gamma-03"))
    assert await ids(search="alpha") == await _device_ids(db, data.app_id, by_android_id("Alpha-01"))
    assert await ids(search="A-0") == await _device_ids(
        db, data.app_id, by_android_id("Alpha-01", "beta-02", "gamma-03", "delta-04", "zeta-06")
    )
    # with LIKE wildcards matched literally
    delta = await _device_ids(db, data.app_id, by_android_id("delta-04"))
    assert await ids(search="%") == delta
    assert await ids(search="_") == delta
    assert await ids(search="I_N") == delta
    assert await ids(search="nobody") == []
    # Country: upper- or lower-case
    us = await _device_ids(db, data.app_id, "country = 'US'")
    assert len(us) == 2
    assert await ids(country="us") == us
    assert await ids(country="US") == us
    assert await ids(country="FR") == []
    # Segment: the device's stored segment
    for segment in SEGMENT_ORDER:
        assert await ids(segment=segment) == await _device_ids(db, data.app_id, "user_segment = $2", segment)
    # Together: every filter applies
    assert await ids(search="galaxy", country="in") == await _device_ids(
        db, data.app_id, by_android_id("beta-02")
    )
    alpha_segment = await db.fetchval("SELECT user_segment FROM devices WHERE android_id = 'Alpha-01'")
    assert await ids(search="galaxy", country="US", segment=alpha_segment) == await _device_ids(
        db, data.app_id, by_android_id("Alpha-01")
    )


async def test_devices__invalid_parameters__400(client: Client, db: asyncpg.Connection) -> None:
    data = await _setup(client, db)
    for params in (
        {"limit": 101},
        {"limit": 0},
        {"limit": "ten"},
        {"page": 0},
        {"page": -1},
        {"segment": "vip"},
        {"segment": "POWER_USER"},
        {"country": "USA"},
        {"country": "1"},
        {"search": "x" * 256},
    ):
        body = await _get(client, data.token, "/dashboard/devices", 400, app_id=data.app_id, **params)
        assert "error" in body
    page = await _get(client, data.token, "/dashboard/devices", app_id=data.app_id, limit=100)
    assert page == {"devices": [], "page": 1, "limit": 100, "total": 0, "pages": 0}


async def test_device_detail__profile_and_last_50_events_newest_first(
    client: Client, db: asyncpg.Connection, stranger: Client
) -> None:
    # Given a device with 55 events over two hours, and another device's events
    data = await _setup(client, db)
    device_id = await _register(client, data, "busy-1", brand="Nokia", country="fi")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    events = [
        {
            "android_id": "busy-1",
            "event_type": "screen_view" if i % 3 else "session_start",
            "created_at": _iso(start + timedelta(minutes=2 * i)),
            "event_data": {"n": i},
        }
        for i in range(55)
    ]
    await _send_batch(client, data, events[:50])
    await _send_batch(client, data, [*events[50:], {"android_id": "other-2", "event_type": "screen_view"}])
    # When the device is read
    detail = await _get(client, data.token, f"/dashboard/devices/{device_id}")
    # Then it is the device with its profile (as the SDK reads it) and its newest 50 events
    r = await client.request("GET", "/sdk/profile", headers=data.sdk, params={"android_id": "busy-1"})
    assert detail["profile"] == r.json()["profile"]
    assert (detail["id"], detail["android_id"], detail["brand"], detail["country"]) == (
        device_id,
        "busy-1",
        "Nokia",
        "FI",
    )
    assert detail["sessions_count"] == 19
    rows = await db.fetch(
        "SELECT id, event_type, event_data, created_at, event_id::text FROM events "
        "WHERE device_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50",
        device_id,
    )
    assert len(detail["events"]) == 50
    assert [
        (e["id"], e["event_type"], e["event_data"], e["created_at"], e["event_id"]) for e in detail["events"]
    ] == [
        (r["id"], r["event_type"], json.loads(r["event_data"]), _iso(r["created_at"]), r["event_id"])
        for r in rows
    ]
    assert [e["event_data"]["n"] for e in detail["events"]] == list(range(54, 4, -1))
    assert all(ISO_Z.match(e["received_at"]) for e in detail["events"])
    # and another organisation, or an unknown id, finds nothing
    other = await stranger.register()
    assert (
        await stranger.request("GET", f"/dashboard/devices/{device_id}", other["token"])
    ).status_code == 404
    for missing in (device_id + 10_000, 2**63 - 1, 2**63, 10**30):
        assert (await client.request("GET", f"/dashboard/devices/{missing}", data.token)).status_code == 404


# --- trends -----------------------------------------------------------------------------------------------


async def _per_day(db: asyncpg.Connection, app_id: int) -> dict[str, dict[str, Any]]:
    """Per UTC day, straight from the raw tables: active devices, events, new devices, purchase and ad revenue."""
    days: dict[str, dict[str, Any]] = {}

    def day(d: date) -> dict[str, Any]:
        return days.setdefault(
            d.isoformat(),
            {
                "active_devices": 0,
                "total_events": 0,
                "new_devices": 0,
                "purchase_revenue": Decimal(0),
                "ad_revenue": Decimal(0),
            },
        )

    for r in await db.fetch(
        f"SELECT (created_at AT TIME ZONE 'UTC')::date AS d, count(DISTINCT device_id) AS a, "
        f"count(*) AS n, sum({PURCHASE_AMOUNT}) AS p FROM events WHERE app_id = $1 GROUP BY 1",
        app_id,
    ):
        day(r["d"]).update(active_devices=r["a"], total_events=r["n"], purchase_revenue=r["p"])
    for r in await db.fetch(
        "SELECT (first_seen_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n FROM devices "
        "WHERE app_id = $1 GROUP BY 1",
        app_id,
    ):
        day(r["d"])["new_devices"] = r["n"]
    for r in await db.fetch(
        "SELECT (created_at AT TIME ZONE 'UTC')::date AS d, sum(revenue) AS r FROM revenue_events "
        "WHERE app_id = $1 GROUP BY 1",
        app_id,
    ):
        day(r["d"])["ad_revenue"] = r["r"]
    return days


async def test_trends__days__exactly_that_many_rows_ending_today_zero_filled(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the data set (events on 10 distinct days of the last 46)
    data = await _build(client, db)
    raw = await _per_day(db, data.app_id)
    zero = {"active_devices": 0, "new_devices": 0, "total_events": 0}
    for days in (1, 7, 30, 46, 365):
        # When the trends of `days` days are read
        trends = (await _get(client, data.token, "/dashboard/trends", app_id=data.app_id, days=days))[
            "trends"
        ]
        # Then there is one row per day, oldest first, ending today, days without data as zeros
        dates = [(data.today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
        assert [t["date"] for t in trends] == dates
        assert trends == [{"date": d, **{k: raw.get(d, zero)[k] for k in zero}} for d in dates]
    # and the default is 30 days; the data set's days show what they hold
    default = (await _get(client, data.token, "/dashboard/trends", app_id=data.app_id))["trends"]
    assert len(default) == 30
    by_date = {t["date"]: t for t in default}
    assert by_date[(data.today - timedelta(days=29)).isoformat()] == {
        "date": (data.today - timedelta(days=29)).isoformat(),
        "active_devices": 2,
        "new_devices": 1,
        "total_events": 2,
    }
    assert by_date[data.today.isoformat()]["total_events"] == 5
    assert by_date[data.today.isoformat()]["new_devices"] == 1  # delta: registered today, no events
    assert sum(1 for t in default if t == {"date": t["date"], **zero}) > 20


async def test_trends_revenue_events__days_out_of_range__400(client: Client, db: asyncpg.Connection) -> None:
    data = await _setup(client, db)
    for path in ("/dashboard/trends", "/dashboard/revenue", "/dashboard/events"):
        for days in (0, -1, 366, "x", "1.5"):
            assert "error" in await _get(client, data.token, path, 400, app_id=data.app_id, days=days)
        await _get(client, data.token, path, app_id=data.app_id, days=365)


# --- countries --------------------------------------------------------------------------------------------


async def test_countries__devices_per_country_most_first_without_unknown(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the data set and three more devices in India
    data = await _build(client, db)
    for n in range(3):
        await _register(client, data, f"in-{n}", country="in")
    # When the countries are read
    countries = (await _get(client, data.token, "/dashboard/countries", app_id=data.app_id))["countries"]
    # Then they are the devices per country, most first (ties by code), devices without a country left out
    rows = await db.fetch(
        "SELECT country, count(*) AS devices FROM devices WHERE app_id = $1 AND country IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        data.app_id,
    )
    assert countries == [dict(r) for r in rows]
    assert countries == [
        {"country": "IN", "devices": 4},
        {"country": "US", "devices": 2},
        {"country": "DE", "devices": 1},
    ]


async def test_countries__moves_registrations_erasure_and_concurrency__still_the_direct_count(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the data set
    data = await _build(client, db)

    async def direct() -> list[dict[str, Any]]:
        rows = await db.fetch(
            "SELECT country, count(*) AS devices FROM devices WHERE app_id = $1 "
            "AND country IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1",
            data.app_id,
        )
        return [dict(r) for r in rows]

    async def served() -> list[dict[str, Any]]:
        return (await _get(client, data.token, "/dashboard/countries", app_id=data.app_id))["countries"]

    # When devices move country (profile action, registration), appear without one, and are erased
    moved = await _register(client, data, "mover", country="US")
    r = await client.request(
        "POST",
        "/sdk/profile",
        headers=data.sdk,
        json={"android_id": "mover", "action": "update_country", "country": "fr"},
    )
    assert r.status_code == 200, r.text
    await _register(client, data, "mover", country="FR")  # the same country again: no change
    await _register(client, data, "nowhere")
    await asyncio.gather(
        *[_register(client, data, f"br-{n}", country="BR") for n in range(12)],
        *[_register(client, data, f"us-{n}", country="us") for n in range(5)],
    )
    assert (await client.request("DELETE", f"/dashboard/devices/{moved}", data.token)).status_code == 200
    # Then the served counts are the devices' own, every time
    assert await served() == await direct()
    assert {c["country"]: c["devices"] for c in await served()}["BR"] == 12


# --- revenue ----------------------------------------------------------------------------------------------


async def _breakdown(
    db: asyncpg.Connection, app_id: int, column: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT {column} AS key, sum(revenue) AS revenue, count(*) AS impressions "
        f"FROM revenue_events WHERE app_id = $1 AND created_at >= $2 AND created_at < $3 "
        f"GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 NULLS LAST",
        app_id,
        start,
        end,
    )
    return [
        {
            column: r["key"],
            "revenue": pytest.approx(float(r["revenue"]), abs=1e-6),
            "impressions": r["impressions"],
        }
        for r in rows
    ]


async def _check_revenue(client: Client, db: asyncpg.Connection, data: Dataset, days: int) -> dict[str, Any]:
    """GET /dashboard/revenue?days= against the raw tables; returns the answer."""
    revenue = await _get(client, data.token, "/dashboard/revenue", app_id=data.app_id, days=days)
    start, end = _window(data.today, days)
    raw = await _per_day(db, data.app_id)
    dates = [(data.today - timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]
    zero = {"active_devices": 0, "purchase_revenue": Decimal(0), "ad_revenue": Decimal(0)}
    daily = [
        {
            "date": d,
            "ad_revenue": pytest.approx(float(raw.get(d, zero)["ad_revenue"]), abs=1e-6),
            "purchase_revenue": pytest.approx(float(raw.get(d, zero)["purchase_revenue"]), abs=1e-6),
            "dau": raw.get(d, zero)["active_devices"],
        }
        for d in dates
    ]
    assert revenue["daily"] == daily
    ad = sum((raw.get(d, zero)["ad_revenue"] for d in dates), Decimal(0))
    purchase = sum((raw.get(d, zero)["purchase_revenue"] for d in dates), Decimal(0))
    dau = sum(raw.get(d, zero)["active_devices"] for d in dates)
    assert revenue["ad_revenue"] == pytest.approx(float(ad), abs=1e-6)
    assert revenue["purchase_revenue"] == pytest.approx(float(purchase), abs=1e-6)
    assert revenue["total"] == pytest.approx(float(ad + purchase), abs=1e-6)
    assert revenue["arpdau"] == pytest.approx(float((ad + purchase) / dau) if dau else 0, abs=1e-6)
    for key, column in (
        ("by_network", "ad_network"),
        ("by_ad_type", "ad_type"),
        ("by_country", "country"),
        ("by_geo_tier", "geo_tier"),
    ):
        assert revenue[key] == await _breakdown(db, data.app_id, column, start, end), key
    return revenue


async def test_revenue__crafted_data__totals_arpdau_breakdowns_daily(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the data set: purchases on several days (one before the 30-day window), impressions today
    data = await _build(client, db)
    # Then each period matches the raw tables
    for days in (1, 2, 7, 30, 31, 365):
        await _check_revenue(client, db, data, days)
    # and, read by hand, the default 30 days hold every impression and the purchases but the old one
    revenue = await _check_revenue(client, db, data, 30)
    assert revenue == await _get(client, data.token, "/dashboard/revenue", app_id=data.app_id)
    ad = sum(i[3] for i in IMPRESSIONS)
    assert revenue["ad_revenue"] == pytest.approx(ad, abs=1e-6)
    assert revenue["purchase_revenue"] == pytest.approx(2.5 + 4.99 + 1.25, abs=1e-6)
    # ARPDAU: total revenue over the sum of daily active devices (days ago 29, 7, 6, 5, 3, 2, 1, 0: 13 device-days)
    assert sum(d["dau"] for d in revenue["daily"]) == 13
    assert revenue["arpdau"] == pytest.approx((ad + 8.74) / 13, abs=1e-6)
    assert [(n["ad_network"], n["impressions"]) for n in revenue["by_network"]] == [
        ("applovin", 1),
        ("admob", 2),
        ("unity", 2),
        (None, 1),
    ]
    assert [(n["ad_type"], n["impressions"]) for n in revenue["by_ad_type"]] == [
        ("rewarded", 2),
        ("interstitial", 1),
        ("native", 1),
        ("banner", 2),
    ]
    assert [c["country"] for c in revenue["by_country"]] == ["US", "IN", "BR", None]
    assert [g["geo_tier"] for g in revenue["by_geo_tier"]] == ["tier1", "tier3", "tier2", None]
    assert revenue["by_network"][1]["revenue"] == pytest.approx(0.0128, abs=1e-9)


async def test_revenue__empty_app__zeros_and_zero_arpdau(client: Client, db: asyncpg.Connection) -> None:
    data = await _setup(client, db)
    revenue = await _get(client, data.token, "/dashboard/revenue", app_id=data.app_id, days=3)
    assert {k: v for k, v in revenue.items() if k != "daily"} == {
        "total": 0,
        "ad_revenue": 0,
        "purchase_revenue": 0,
        "arpdau": 0,
        "by_network": [],
        "by_ad_type": [],
        "by_country": [],
        "by_geo_tier": [],
    }
    assert revenue["daily"] == [
        {
            "date": (data.today - timedelta(days=n)).isoformat(),
            "ad_revenue": 0,
            "purchase_revenue": 0,
            "dau": 0,
        }
        for n in (2, 1, 0)
    ]


async def test_revenue__concurrent_impressions__every_one_in_the_breakdowns(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given three devices, when 60 impressions of them arrive at once
    data = await _setup(client, db)
    for n in range(3):
        await _register(client, data, f"ads-{n}")
    networks, types, tiers = (
        ("admob", "unity", None),
        ("banner", "rewarded", "native", "interstitial"),
        ("tier1", "tier2"),
    )
    await asyncio.gather(
        *[
            _impression(
                client,
                data,
                f"ads-{i % 3}",
                types[i % 4],
                networks[i % 3],
                0.001 * (1 + i % 5),
                tiers[i % 2],
                ("US", "DE", None)[i % 3],
            )
            for i in range(60)
        ]
    )
    # Then every impression is in every breakdown, as the raw rows say
    revenue = await _check_revenue(client, db, data, 1)
    for key in ("by_network", "by_ad_type", "by_country", "by_geo_tier"):
        assert sum(x["impressions"] for x in revenue[key]) == 60, key
        assert sum(x["revenue"] for x in revenue[key]) == pytest.approx(revenue["ad_revenue"], abs=1e-6), key


# --- events -----------------------------------------------------------------------------------------------


async def test_events__days__counts_per_type_most_first(client: Client, db: asyncpg.Connection) -> None:
    data = await _build(client, db)
    for days in (1, 3, 7, 30, 31, 365):
        start, end = _window(data.today, days)
        rows = await db.fetch(
            "SELECT event_type, count(*) AS count FROM events WHERE app_id = $1 AND created_at >= $2 "
            "AND created_at < $3 GROUP BY 1 ORDER BY 2 DESC, 1",
            data.app_id,
            start,
            end,
        )
        events = (await _get(client, data.token, "/dashboard/events", app_id=data.app_id, days=days))[
            "events"
        ]
        assert events == [dict(r) for r in rows], days
    # and, read by hand, the default is the last 7 days (gamma's session 7 days ago is not in them; ties by type)
    assert (await _get(client, data.token, "/dashboard/events", app_id=data.app_id))["events"] == [
        {"event_type": "ad_watched", "count": 4},
        {"event_type": "purchase", "count": 3},
        {"event_type": "session_start", "count": 3},
        {"event_type": "screen_view", "count": 2},
        {"event_type": "level_complete", "count": 1},
    ]


# --- access -----------------------------------------------------------------------------------------------


async def test_dashboard__other_org_missing_app_id_viewer__404_400_200(
    client: Client, db: asyncpg.Connection, stranger: Client, database_url: str
) -> None:
    # Given an app with data, and another organisation with its own app
    data = await _build(client, db)
    device_id = await db.fetchval("SELECT id FROM devices WHERE app_id = $1 LIMIT 1", data.app_id)
    other = await stranger.register()
    other_app = await stranger.create_app(other["token"])
    for path in READ_ROUTES:
        # Then another organisation's app is not found, whichever side asks
        assert "error" in await _get(stranger, other["token"], path, 404, app_id=data.app_id)
        assert "error" in await _get(client, data.token, path, 404, app_id=other_app["id"])
        assert "error" in await _get(client, data.token, path, 404, app_id=2**31 - 1)
        # and app_id is required, a number
        assert "error" in await _get(client, data.token, path, 400)
        assert "error" in await _get(client, data.token, path, 400, app_id="abc")
        assert "error" in await _get(client, data.token, path, 400, app_id=0)
        # and credentials are required
        assert (await client.request("GET", path, params={"app_id": data.app_id})).status_code == 401
    assert (
        await stranger.request("GET", f"/dashboard/devices/{device_id}", other["token"])
    ).status_code == 404
    # And a viewer reads every route, seeing what the owner sees
    viewer = await add_member(database_url, data.owner["user"]["org_id"], "viewer", client)
    for path in READ_ROUTES:
        assert await _get(client, viewer["token"], path, app_id=data.app_id) == await _get(
            client, data.token, path, app_id=data.app_id
        ), path
    assert (await _get(client, viewer["token"], f"/dashboard/devices/{device_id}"))["id"] == device_id


# --- erasure and app deletion ----------------------------------------------------------------------------


async def test_erasure__device_taken_out_of_every_dashboard_number(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the data set, when Alpha-01 (events, purchases, impressions) is erased
    data = await _build(client, db)
    alpha = await db.fetchval(
        "SELECT id FROM devices WHERE app_id = $1 AND android_id = 'Alpha-01'", data.app_id
    )
    r = await client.request("DELETE", f"/dashboard/devices/{alpha}", data.token)
    assert r.status_code == 200, r.text
    # Then revenue, trends, events and the overview all match the remaining raw rows
    for days in (1, 30, 365):
        revenue = await _check_revenue(client, db, data, days)
    assert [n["ad_network"] for n in revenue["by_network"]] == ["applovin", "unity", None]
    raw = await _per_day(db, data.app_id)
    trends = (await _get(client, data.token, "/dashboard/trends", app_id=data.app_id, days=60))["trends"]
    zero = {"active_devices": 0, "new_devices": 0, "total_events": 0}
    assert trends == [{"date": t["date"], **{k: raw.get(t["date"], zero)[k] for k in zero}} for t in trends]
    overview = await _get(client, data.token, "/dashboard/overview", app_id=data.app_id)
    assert (overview["total_devices"], overview["active_users_30d"], overview["ad_watches"]) == (7, 5, 2)
    assert overview["revenue_30d"] == pytest.approx(4.99 + 1.25 + 0.004 + 0.0002 + 0.02 + 0.001, abs=1e-6)
    assert (await client.request("GET", f"/dashboard/devices/{alpha}", data.token)).status_code == 404
    # And deleting the app leaves no rollup row behind
    r = await client.request("DELETE", f"/apps/{data.app_id}", data.token)
    assert r.status_code == 200, r.text
    for table in ("app_daily", "app_daily_events", "app_daily_revenue", "device_days"):
        assert await db.fetchval(f"SELECT count(*) FROM {table} WHERE app_id = $1", data.app_id) == 0, table


# --- documentation ----------------------------------------------------------------------------------------


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        return (
            {node["$ref"]} if isinstance(node.get("$ref"), str) else set().union(*map(_refs, node.values()))
        )
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    return set()


async def test_openapi__dashboard_reads__documented_with_parameters_and_schemas(client: Client) -> None:
    r = await client.request("GET", "/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    schemas = spec.get("components", {}).get("schemas", {})
    expected = {path: {"app_id"} for path in READ_ROUTES}
    expected["/dashboard/devices"] |= {"page", "limit", "search", "segment", "country"}
    for path in ("/dashboard/trends", "/dashboard/revenue", "/dashboard/events"):
        expected[path].add("days")
    expected["/dashboard/devices/{device_id}"] = {"device_id"}
    for path, parameters in expected.items():
        operation = spec["paths"]["/api/v4" + path]["get"]
        assert {p["name"] for p in operation["parameters"]} == parameters, path
        assert operation["responses"]["200"]["content"]["application/json"]["schema"], path
        assert {"400", "401", "404"} <= set(operation["responses"]), path
        for ref in _refs(operation):
            assert ref.rsplit("/", 1)[1] in schemas, (path, ref)
