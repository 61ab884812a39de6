"""Custom dashboards over HTTP (API.md section 4 "Dashboards"; README "Custom dashboards"): management,
widget validation, each widget type and metric computed on crafted rollups and checked against the
dashboard routes (GET /dashboard/trends, /revenue, /overview, /segments, /countries, /events) and, for
kpi periods, by hand; roles and isolation."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member

SERIES_METRICS = (
    "active_devices",
    "new_devices",
    "total_events",
    "dau",
    "ad_watches",
    "purchases",
    "revenue",
)
BREAKDOWN_METRICS = ("segments", "countries", "events_by_type")
AVERAGED = ("active_devices", "dau")

# The crafted rollup: days ago -> (active_devices, new_devices, events, ad_watches, purchases, purchase_revenue,
# ad_revenue). Boundaries: day 6 ends and day 7 starts the 7-day windows (13 ends the previous one); day 29
# ends and day 30 starts the 30-day windows (59 ends the previous one); day 60 is outside both.
COLUMNS = (
    "active_devices",
    "new_devices",
    "events",
    "ad_watches",
    "purchases",
    "purchase_revenue",
    "ad_revenue",
)
ROLLUPS: dict[int, tuple[Any, ...]] = {
    0: (3, 1, 40, 5, 1, "4.99", "0.0125"),
    1: (2, 0, 25, 2, 0, "0", "0.004"),
    5: (4, 2, 31, 0, 2, "1.25", "0"),
    6: (1, 1, 7, 1, 0, "0", "0.0003"),
    7: (5, 0, 12, 3, 1, "2.50", "0.02"),
    13: (2, 1, 9, 0, 0, "0", "0.001"),
    14: (6, 3, 50, 4, 3, "9.99", "0.1"),
    29: (1, 1, 3, 0, 1, "0.99", "0"),
    30: (7, 2, 60, 6, 0, "0", "0.05"),
    59: (2, 0, 4, 1, 1, "3.00", "0"),
    60: (9, 9, 99, 9, 9, "99", "9"),
}
METRIC_COLUMNS = {
    "active_devices": "active_devices",
    "dau": "active_devices",
    "new_devices": "new_devices",
    "total_events": "events",
    "ad_watches": "ad_watches",
    "purchases": "purchases",
}
# Events per type: (days ago, event_type, count).
EVENT_ROLLUPS = [
    (0, "session_start", 5),
    (3, "purchase", 2),
    (6, "screen_view", 7),
    (7, "screen_view", 100),
    (20, "level_up", 3),
    (29, "session_start", 1),
    (30, "old_event", 50),
]
# Registered devices: android_id -> (country, stored built-in segment).
DEVICES = {
    "dev-1": ("US", "new"),
    "dev-2": ("us", "churned"),
    "dev-3": ("IN", "power_user"),
    "dev-4": ("DE", "new"),
    "dev-5": (None, "active"),
}


# --- helpers ----------------------------------------------------------------------------------------------


async def _away_from_midnight() -> None:
    """The data and the expectations are computed for one UTC day: never straddle midnight."""
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), time(), UTC) - now).total_seconds()
    if left < 120:
        await asyncio.sleep(left + 1)


async def _setup(client: Client, db: asyncpg.Connection) -> tuple[str, int, dict[str, Any]]:
    """An owner of an enterprise org (made so before any request caches the plan, so the api tier admits a
    test's many requests) and their app: (token, app_id, owner)."""
    owner = await client.register()
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    app = await client.create_app(owner["token"])
    return owner["token"], app["id"], owner


async def _craft(client: Client, db: asyncpg.Connection, token: str, app_id: int) -> date:
    """The crafted data: the devices registered through the SDK (countries, then their stored segments set),
    the daily and per-type rollups written as the ingest path keeps them. Returns today (UTC)."""
    await _away_from_midnight()
    sdk_key = await db.fetchval("SELECT sdk_key FROM apps WHERE id = $1", app_id)
    for android_id, (country, _) in DEVICES.items():
        body = {"android_id": android_id, **({"country": country} if country else {})}
        r = await client.request("POST", "/devices/register", headers={"X-SDK-Key": sdk_key}, json=body)
        assert r.status_code == 200, r.text
    for android_id, (_, segment) in DEVICES.items():
        await db.execute(
            "UPDATE devices SET user_segment = $3 WHERE app_id = $1 AND android_id = $2",
            app_id,
            android_id,
            segment,
        )
    today = datetime.now(UTC).date()
    for days_ago, values in ROLLUPS.items():
        numbers = [Decimal(v) if isinstance(v, str) else v for v in values]
        await db.execute(
            f"INSERT INTO app_daily (app_id, day, {', '.join(COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
            f"ON CONFLICT (app_id, day) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS)}",
            app_id,
            today - timedelta(days=days_ago),
            *numbers,
        )
    await db.execute("DELETE FROM app_daily_events WHERE app_id = $1", app_id)
    for days_ago, event_type, count in EVENT_ROLLUPS:
        await db.execute(
            "INSERT INTO app_daily_events (app_id, day, event_type, count) VALUES ($1, $2, $3, $4)",
            app_id,
            today - timedelta(days=days_ago),
            event_type,
            count,
        )
    return today


def _widget(type_: str, metric: str, label: str | None = None, **options: int) -> dict[str, Any]:
    widget: dict[str, Any] = {"type": type_, "metric": metric}
    if label is not None:
        widget["label"] = label
    if options:
        widget["options"] = options
    return widget


async def _create(
    client: Client, token: str, app_id: int, widgets: list[dict[str, Any]], name: str = "Board"
) -> dict[str, Any]:
    r = await client.request(
        "POST", "/dashboards", token, json={"app_id": app_id, "name": name, "widgets": widgets}
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _get(client: Client, token: str, path: str, status: int = 200, **params: Any) -> Any:
    r = await client.request("GET", path, token, params=params)
    assert r.status_code == status, (path, params, r.text)
    return r.json()


def _day_value(metric: str, days_ago: int) -> Decimal:
    """The metric on one day of the crafted rollup (0 on days without a row)."""
    row = ROLLUPS.get(days_ago)
    if row is None:
        return Decimal(0)
    values = dict(zip(COLUMNS, row))
    if metric == "revenue":
        return Decimal(values["purchase_revenue"]) + Decimal(values["ad_revenue"])
    return Decimal(values[METRIC_COLUMNS[metric]])


def _kpi_by_hand(metric: str, days: int) -> dict[str, Any]:
    """The kpi computed from ROLLUPS: the last `days` days (0..days-1 ago) and the `days` before them."""
    value = sum((_day_value(metric, d) for d in range(days)), Decimal(0))
    previous = sum((_day_value(metric, d) for d in range(days, 2 * days)), Decimal(0))
    if metric in AVERAGED:
        value, previous = value / days, previous / days
    change = None if previous == 0 else float((value - previous) / previous)
    return {"value": float(value), "previous": float(previous), "change": change, "days": days}


def _assert_kpi(got: dict[str, Any], expected: dict[str, Any], where: Any) -> None:
    assert set(got) == {"value", "previous", "change", "days"}, where
    assert got["days"] == expected["days"], where
    assert got["value"] == pytest.approx(expected["value"], abs=1e-9), where
    assert got["previous"] == pytest.approx(expected["previous"], abs=1e-9), where
    if expected["change"] is None:
        assert got["change"] is None, where
    else:
        assert got["change"] == pytest.approx(expected["change"], rel=1e-9), where


async def _route_series(
    client: Client, token: str, app_id: int, days: int, today: date
) -> dict[str, list[Any]]:
    """Each series metric per day as the dashboard routes give it (ad_watches and purchases, which no route
    gives per day, from the crafted rollup)."""
    trends = (await _get(client, token, "/dashboard/trends", app_id=app_id, days=days))["trends"]
    daily = (await _get(client, token, "/dashboard/revenue", app_id=app_id, days=days))["daily"]
    dates = [(today - timedelta(days=d)).isoformat() for d in range(days - 1, -1, -1)]
    assert [t["date"] for t in trends] == [d["date"] for d in daily] == dates
    by_hand = {
        m: [{"date": dates[i], "value": int(_day_value(m, days - 1 - i))} for i in range(days)]
        for m in ("ad_watches", "purchases")
    }
    return {
        "active_devices": [{"date": t["date"], "value": t["active_devices"]} for t in trends],
        "new_devices": [{"date": t["date"], "value": t["new_devices"]} for t in trends],
        "total_events": [{"date": t["date"], "value": t["total_events"]} for t in trends],
        "dau": [{"date": d["date"], "value": d["dau"]} for d in daily],
        "revenue": [{"date": d["date"], "value": d["ad_revenue"] + d["purchase_revenue"]} for d in daily],
        **by_hand,
    }


def _assert_series(got: dict[str, Any], expected: list[dict[str, Any]], where: Any) -> None:
    assert set(got) == {"series"}, where
    assert [p["date"] for p in got["series"]] == [p["date"] for p in expected], where
    assert [p["value"] for p in got["series"]] == pytest.approx([p["value"] for p in expected], abs=1e-6), (
        where
    )


# --- management -------------------------------------------------------------------------------------------


async def test_create__every_widget_type__201_stored_with_defaults_then_listed_and_read(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app
    token, app_id, _ = await _setup(client, db)
    # When a dashboard with each widget type is created
    widgets = [
        _widget("kpi", "dau", "Daily users", days=7),
        _widget("line_chart", "revenue"),
        _widget("bar_chart", "events_by_type", limit=5),
        _widget("pie_chart", "countries"),
    ]
    board = await _create(client, token, app_id, widgets, name="  Growth  ")
    # Then it answers the dashboard, options filled with their defaults, labels null when not given
    assert set(board) == {"id", "app_id", "name", "widgets", "created_at", "updated_at"}
    assert (board["app_id"], board["name"]) == (app_id, "Growth")
    assert board["widgets"] == [
        {"type": "kpi", "metric": "dau", "label": "Daily users", "options": {"days": 7}},
        {"type": "line_chart", "metric": "revenue", "label": None, "options": {"days": 30}},
        {"type": "bar_chart", "metric": "events_by_type", "label": None, "options": {"days": 30, "limit": 5}},
        {"type": "pie_chart", "metric": "countries", "label": None, "options": {}},
    ]
    assert board["created_at"].endswith("Z")
    # and it is listed and read as created
    empty = await _create(client, token, app_id, [], name="Empty")
    assert await _get(client, token, "/dashboards", app_id=app_id) == {"dashboards": [board, empty]}
    assert await _get(client, token, f"/dashboards/{board['id']}") == board


async def test_update__name_only_or_widgets_only__the_other_kept(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a dashboard
    token, app_id, _ = await _setup(client, db)
    board = await _create(client, token, app_id, [_widget("kpi", "purchases")], name="First")
    # When only the name is changed
    r = await client.request("PUT", f"/dashboards/{board['id']}", token, json={"name": "Renamed"})
    # Then the widgets are kept
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed" and r.json()["widgets"] == board["widgets"]
    # When only the widgets are changed
    new_widgets = [_widget("pie_chart", "segments"), _widget("bar_chart", "new_devices", days=14)]
    r = await client.request("PUT", f"/dashboards/{board['id']}", token, json={"widgets": new_widgets})
    # Then they replace the old ones and the name is kept
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed"
    assert r.json()["widgets"] == [
        {"type": "pie_chart", "metric": "segments", "label": None, "options": {}},
        {"type": "bar_chart", "metric": "new_devices", "label": None, "options": {"days": 14}},
    ]
    updated = r.json()
    # and invalid changes are 400 and change nothing
    for body, field in (
        ({"name": None}, "name"),
        ({"widgets": None}, "widgets"),
        ({"name": ""}, "name"),
        ({"name": "Ok", "widgets": [_widget("kpi", "segments")]}, "widgets[0].type"),
    ):
        r = await client.request("PUT", f"/dashboards/{board['id']}", token, json=body)
        assert r.status_code == 400, (body, r.text)
        assert field in r.json()["details"], (body, r.json())
    assert await _get(client, token, f"/dashboards/{board['id']}") == updated
    # and the activity log has each change with before and after
    log = await _get(client, token, "/settings/activity", action="dashboard.*")
    actions = [e["action"] for e in log["entries"]]
    assert actions == ["dashboard.update", "dashboard.update", "dashboard.create"]
    assert log["entries"][1]["details"] == {"before": {"name": "First"}, "after": {"name": "Renamed"}}


async def test_delete__dashboard__gone(client: Client, db: asyncpg.Connection) -> None:
    # Given two dashboards
    token, app_id, _ = await _setup(client, db)
    gone = await _create(client, token, app_id, [_widget("kpi", "dau")], name="Gone")
    kept = await _create(client, token, app_id, [_widget("kpi", "dau")], name="Kept")
    # When one is deleted
    r = await client.request("DELETE", f"/dashboards/{gone['id']}", token)
    # Then it answers success and is gone; the other is kept
    assert r.status_code == 200 and r.json() == {"success": True}
    await _get(client, token, f"/dashboards/{gone['id']}", status=404)
    await _get(client, token, f"/dashboards/{gone['id']}/data", status=404)
    assert (await client.request("DELETE", f"/dashboards/{gone['id']}", token)).status_code == 404
    assert await _get(client, token, "/dashboards", app_id=app_id) == {"dashboards": [kept]}


# --- validation -------------------------------------------------------------------------------------------


INVALID_WIDGETS = [
    (_widget("table", "dau"), "widgets[1].type"),
    (_widget("kpi", "sessions"), "widgets[1].metric"),
    ({"metric": "dau"}, "widgets[1].type"),
    ({"type": "kpi"}, "widgets[1].metric"),
    (_widget("pie_chart", "dau"), "widgets[1].type"),
    (_widget("kpi", "countries"), "widgets[1].type"),
    (_widget("line_chart", "segments"), "widgets[1].type"),
    (_widget("kpi", "dau", days=0), "widgets[1].options.days"),
    (_widget("kpi", "dau", days=366), "widgets[1].options.days"),
    ({"type": "kpi", "metric": "dau", "options": {"days": "7"}}, "widgets[1].options.days"),
    ({"type": "kpi", "metric": "dau", "options": {"days": 7.0}}, "widgets[1].options.days"),
    ({"type": "kpi", "metric": "dau", "options": {"days": True}}, "widgets[1].options.days"),
    (_widget("kpi", "dau", limit=5), "widgets[1].options.limit"),
    (_widget("kpi", "dau", colour=1), "widgets[1].options.colour"),
    (_widget("pie_chart", "segments", days=7), "widgets[1].options.days"),
    (_widget("pie_chart", "segments", limit=3), "widgets[1].options.limit"),
    (_widget("bar_chart", "countries", days=7), "widgets[1].options.days"),
    (_widget("bar_chart", "countries", limit=0), "widgets[1].options.limit"),
    (_widget("bar_chart", "events_by_type", limit=101), "widgets[1].options.limit"),
    ({"type": "kpi", "metric": "dau", "options": [7]}, "widgets[1].options"),
    ({"type": "kpi", "metric": "dau", "label": "x" * 256}, "widgets[1].label"),
    ({"type": "kpi", "metric": "dau", "label": 5}, "widgets[1].label"),
    ("kpi", "widgets[1]"),
]


@pytest.mark.parametrize(("bad", "field"), INVALID_WIDGETS)
async def test_create__invalid_widget__400_naming_widget_and_field_nothing_stored(
    client: Client, db: asyncpg.Connection, bad: Any, field: str
) -> None:
    # Given an app
    token, app_id, _ = await _setup(client, db)
    # When a dashboard is created with a valid widget, then an invalid one
    r = await client.request(
        "POST",
        "/dashboards",
        token,
        json={"app_id": app_id, "name": "Bad", "widgets": [_widget("kpi", "dau"), bad]},
    )
    # Then it is 400 naming the second widget's field, and nothing is stored
    assert r.status_code == 400, r.text
    assert field in r.json()["details"], r.json()
    assert not any(k.startswith("widgets[0]") for k in r.json()["details"]), r.json()
    assert await db.fetchval("SELECT count(*) FROM dashboards") == 0


async def test_create__limits__400(client: Client, db: asyncpg.Connection) -> None:
    # Given an app
    token, app_id, _ = await _setup(client, db)
    # When a dashboard has 21 widgets, no or a too long name, or several bad widgets
    cases = [
        ({"widgets": [_widget("kpi", "dau")] * 21}, {"widgets"}),
        ({"name": ""}, {"name"}),
        ({"name": "x" * 256}, {"name"}),
        (
            {"widgets": [_widget("kpi", "nope"), _widget("pie_chart", "revenue", days=7)]},
            {"widgets[0].metric", "widgets[1].type"},
        ),
    ]
    for changes, fields in cases:
        body = {"app_id": app_id, "name": "Board", "widgets": [], **changes}
        r = await client.request("POST", "/dashboards", token, json=body)
        # Then each is 400 naming every wrong field
        assert r.status_code == 400, (changes, r.text)
        assert set(r.json()["details"]) == fields, r.json()
    assert await db.fetchval("SELECT count(*) FROM dashboards") == 0
    # while 20 widgets are accepted
    await _create(client, token, app_id, [_widget("kpi", "dau")] * 20)


async def test_create__fifty_dashboards_already__400_naming_app_and_nothing_stored(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given an app with 49 dashboards
    token, app_id, _ = await _setup(client, db)
    await db.executemany(
        "INSERT INTO dashboards (app_id, name, widgets, created_at, updated_at) "
        "VALUES ($1, $2, '[]', now(), now())",
        [(app_id, f"Board {i}") for i in range(49)],
    )
    # When two more are created
    await _create(client, token, app_id, [])
    r = await client.request(
        "POST", "/dashboards", token, json={"app_id": app_id, "name": "51", "widgets": []}
    )
    # Then the 50th is stored and the 51st is 400 naming app_id
    assert r.status_code == 400 and set(r.json()["details"]) == {"app_id"}, r.text
    assert await db.fetchval("SELECT count(*) FROM dashboards WHERE app_id = $1", app_id) == 50


# --- data -------------------------------------------------------------------------------------------------


async def test_data__every_series_metric_and_type__equals_dashboard_routes(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the crafted rollups, and dashboards with each series metric as kpi, line_chart and bar_chart
    token, app_id, _ = await _setup(client, db)
    today = await _craft(client, db, token, app_id)
    first = await _create(
        client,
        token,
        app_id,
        [
            *(_widget("kpi", m, days=7) for m in SERIES_METRICS),
            *(_widget("line_chart", m, days=30) for m in SERIES_METRICS),
        ],
        name="Week",
    )
    second = await _create(
        client,
        token,
        app_id,
        [
            *(_widget("kpi", m) for m in SERIES_METRICS),
            *(_widget("bar_chart", m, days=61) for m in SERIES_METRICS),
        ],
        name="Month",
    )
    # When their data is read
    week = await _get(client, token, f"/dashboards/{first['id']}/data")
    month = await _get(client, token, f"/dashboards/{second['id']}/data")
    # Then each is the dashboard with every widget and its data
    for board, data in ((first, week), (second, month)):
        assert {k: v for k, v in data.items() if k != "widgets"} == {
            k: v for k, v in board.items() if k != "widgets"
        }
        assert [{k: v for k, v in w.items() if k != "data"} for w in data["widgets"]] == board["widgets"]
    # and every chart is the routes' daily numbers, oldest first, zeros included
    for days, widgets in ((30, week["widgets"][7:]), (61, month["widgets"][7:])):
        expected = await _route_series(client, token, app_id, days, today)
        for w in widgets:
            _assert_series(w["data"], expected[w["metric"]], (w["type"], w["metric"], days))
    # and every kpi value is the sum (a mean for active_devices and dau) of the same routes' days
    for days, widgets in ((7, week["widgets"][:7]), (30, month["widgets"][:7])):
        expected = await _route_series(client, token, app_id, days, today)
        for w in widgets:
            total = sum(p["value"] for p in expected[w["metric"]])
            mean = total / days if w["metric"] in AVERAGED else total
            assert w["data"]["value"] == pytest.approx(mean, abs=1e-6), (w["metric"], days)
    # and the 30-day kpis of ad watches, purchases and revenue are the overview's 30-day figures
    overview = await _get(client, token, "/dashboard/overview", app_id=app_id)
    kpi30 = {w["metric"]: w["data"]["value"] for w in month["widgets"][:7]}
    assert (kpi30["ad_watches"], kpi30["purchases"]) == (overview["ad_watches"], overview["purchases"])
    assert kpi30["revenue"] == pytest.approx(overview["revenue_30d"], abs=1e-6)


async def test_data__kpi__value_and_previous_period_by_hand(client: Client, db: asyncpg.Connection) -> None:
    # Given the crafted rollups and a kpi of every series metric over 1, 7, 30 and 31 days
    token, app_id, _ = await _setup(client, db)
    await _craft(client, db, token, app_id)
    periods = (1, 7, 30, 31)
    board = await _create(
        client, token, app_id, [_widget("kpi", m, days=d) for d in periods[:2] for m in SERIES_METRICS]
    )
    board2 = await _create(
        client, token, app_id, [_widget("kpi", m, days=d) for d in periods[2:] for m in SERIES_METRICS]
    )
    # When their data is read
    widgets = [
        *(await _get(client, token, f"/dashboards/{board['id']}/data"))["widgets"],
        *(await _get(client, token, f"/dashboards/{board2['id']}/data"))["widgets"],
    ]
    # Then each kpi is the last N days against the N days before them, computed from ROLLUPS
    kpis = {(w["metric"], w["options"]["days"]): w["data"] for w in widgets}
    assert len(kpis) == len(SERIES_METRICS) * len(periods)
    for (metric, days), got in kpis.items():
        _assert_kpi(got, _kpi_by_hand(metric, days), (metric, days))
    # and, written out: events over days 0..6 (40 + 25 + 31 + 7) against days 7..13 (12 + 9)
    _assert_kpi(
        kpis[("total_events", 7)], {"value": 103, "previous": 21, "change": 82 / 21, "days": 7}, "events"
    )
    # active devices are a mean per day: (3 + 2 + 4 + 1) / 7 against (5 + 2) / 7
    _assert_kpi(
        kpis[("active_devices", 7)], {"value": 10 / 7, "previous": 1, "change": 3 / 7, "days": 7}, "active"
    )
    # (3 + 2 + 4 + 1 + 5 + 2 + 6 + 1) / 30 against (7 + 2) / 30
    _assert_kpi(
        kpis[("dau", 30)], {"value": 24 / 30, "previous": 9 / 30, "change": 15 / 9, "days": 30}, "dau"
    )
    # purchases on days 0, 5, 7, 14, 29 against days 30..59 (day 60 outside both)
    _assert_kpi(kpis[("purchases", 30)], {"value": 8, "previous": 1, "change": 7.0, "days": 30}, "purchases")
    # revenue (purchase + ad) over days 0..6 against 7..13
    _assert_kpi(
        kpis[("revenue", 7)],
        {
            "value": 4.99 + 0.0125 + 0.004 + 1.25 + 0.0003,
            "previous": 2.5 + 0.02 + 0.001,
            "change": (6.2568 - 2.521) / 2.521,
            "days": 7,
        },
        "revenue",
    )
    # a previous period of zero gives no change: one new device today, none yesterday
    _assert_kpi(kpis[("new_devices", 1)], {"value": 1, "previous": 0, "change": None, "days": 1}, "new")
    # and counts are integers
    assert isinstance(kpis[("total_events", 7)]["value"], int)


async def test_data__breakdowns_bar_and_pie__equal_dashboard_routes(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the crafted devices and event rollups, and each breakdown as bar and pie chart
    token, app_id, _ = await _setup(client, db)
    await _craft(client, db, token, app_id)
    board = await _create(
        client,
        token,
        app_id,
        [
            _widget("bar_chart", "segments"),
            _widget("pie_chart", "segments", "Segments"),
            _widget("bar_chart", "countries"),
            _widget("pie_chart", "countries", limit=1),
            _widget("pie_chart", "events_by_type", days=7),
            _widget("bar_chart", "events_by_type"),
            _widget("bar_chart", "events_by_type", days=365, limit=2),
        ],
    )
    # When its data is read
    widgets = (await _get(client, token, f"/dashboards/{board['id']}/data"))["widgets"]
    data = [w["data"] for w in widgets]
    # Then each breakdown is the route's rows as key and value, cut to the limit
    segments = (await _get(client, token, "/dashboard/segments", app_id=app_id))["segments"]
    assert data[0] == data[1] == {"breakdown": [{"key": s["segment"], "value": s["count"]} for s in segments]}
    countries = (await _get(client, token, "/dashboard/countries", app_id=app_id))["countries"]
    assert data[2] == {"breakdown": [{"key": c["country"], "value": c["devices"]} for c in countries]}
    assert data[3] == {"breakdown": data[2]["breakdown"][:1]}
    for i, days, limit in ((4, 7, None), (5, 30, None), (6, 365, 2)):
        events = (await _get(client, token, "/dashboard/events", app_id=app_id, days=days))["events"]
        assert data[i] == {
            "breakdown": [{"key": e["event_type"], "value": e["count"]} for e in events][:limit]
        }, i
    # and, read from the crafted data: every built-in segment in the routes' order, zeros included
    assert data[0]["breakdown"] == [
        {"key": "churned", "value": 1},
        {"key": "dormant", "value": 0},
        {"key": "power_user", "value": 1},
        {"key": "new", "value": 2},
        {"key": "active", "value": 1},
        {"key": "casual", "value": 0},
    ]
    assert data[2]["breakdown"] == [
        {"key": "US", "value": 2},
        {"key": "DE", "value": 1},
        {"key": "IN", "value": 1},
    ]
    assert data[4]["breakdown"] == [
        {"key": "screen_view", "value": 7},
        {"key": "session_start", "value": 5},
        {"key": "purchase", "value": 2},
    ]
    assert data[5]["breakdown"] == [
        {"key": "screen_view", "value": 107},
        {"key": "session_start", "value": 6},
        {"key": "level_up", "value": 3},
        {"key": "purchase", "value": 2},
    ]
    assert data[6]["breakdown"] == [{"key": "screen_view", "value": 107}, {"key": "old_event", "value": 50}]


async def test_data__empty_app__zeros_and_null_change(client: Client, db: asyncpg.Connection) -> None:
    # Given an app without any data, and one widget of each type
    token, app_id, _ = await _setup(client, db)
    await _away_from_midnight()
    board = await _create(
        client,
        token,
        app_id,
        [
            _widget("kpi", "revenue", days=3),
            _widget("line_chart", "dau", days=3),
            _widget("bar_chart", "countries"),
            _widget("pie_chart", "events_by_type"),
        ],
    )
    today = datetime.now(UTC).date()
    # When its data is read
    data = [w["data"] for w in (await _get(client, token, f"/dashboards/{board['id']}/data"))["widgets"]]
    # Then the kpi is zero with no change, the chart three zero days ending today, the breakdowns empty
    assert data[0] == {"value": 0, "previous": 0, "change": None, "days": 3}
    assert data[1] == {
        "series": [{"date": (today - timedelta(days=d)).isoformat(), "value": 0} for d in (2, 1, 0)]
    }
    assert data[2] == data[3] == {"breakdown": []}


# --- roles and isolation ----------------------------------------------------------------------------------


async def test_roles__viewer_reads__admin_changes(
    client: Client, database_url: str, db: asyncpg.Connection
) -> None:
    # Given a dashboard, a viewer and an admin of the org
    token, app_id, owner = await _setup(client, db)
    board = await _create(client, token, app_id, [_widget("kpi", "dau")])
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    # Then the viewer reads the list, the dashboard and its data
    assert await _get(client, viewer["token"], "/dashboards", app_id=app_id) == {"dashboards": [board]}
    assert await _get(client, viewer["token"], f"/dashboards/{board['id']}") == board
    assert (await _get(client, viewer["token"], f"/dashboards/{board['id']}/data"))["id"] == board["id"]
    # but may not create, change or delete
    for method, path, body in (
        ("POST", "/dashboards", {"app_id": app_id, "name": "v", "widgets": []}),
        ("PUT", f"/dashboards/{board['id']}", {"name": "viewer's"}),
        ("DELETE", f"/dashboards/{board['id']}", None),
    ):
        r = await client.request(method, path, viewer["token"], json=body)
        assert r.status_code == 403, (method, path, r.text)
    assert await _get(client, token, "/dashboards", app_id=app_id) == {"dashboards": [board]}
    # while an admin may
    r = await client.request("PUT", f"/dashboards/{board['id']}", admin["token"], json={"name": "admin's"})
    assert r.status_code == 200 and r.json()["name"] == "admin's"
    created = await _create(client, admin["token"], app_id, [], name="By admin")
    assert (await client.request("DELETE", f"/dashboards/{created['id']}", admin["token"])).status_code == 200


async def test_isolation__other_orgs_app_and_dashboard__404(
    client: Client, stranger: Client, db: asyncpg.Connection
) -> None:
    # Given a dashboard of one org, and another org with an app and a dashboard of its own
    token, app_id, _ = await _setup(client, db)
    board = await _create(client, token, app_id, [_widget("kpi", "dau")], name="Mine")
    other_token, other_app_id, _ = await _setup(stranger, db)
    await _create(stranger, other_token, other_app_id, [], name="Theirs")
    # When the other org names the app or the dashboard: 404, never its data
    for method, path, kwargs in (
        ("GET", "/dashboards", {"params": {"app_id": app_id}}),
        ("POST", "/dashboards", {"json": {"app_id": app_id, "name": "x", "widgets": []}}),
        (
            "POST",
            "/dashboards",
            {"json": {"app_id": app_id, "name": "x", "widgets": [_widget("kpi", "nope")]}},
        ),
        ("GET", f"/dashboards/{board['id']}", {}),
        ("GET", f"/dashboards/{board['id']}/data", {}),
        ("PUT", f"/dashboards/{board['id']}", {"json": {"name": "Theirs"}}),
        ("PUT", f"/dashboards/{board['id']}", {"json": {"widgets": [_widget("kpi", "nope")]}}),
        ("DELETE", f"/dashboards/{board['id']}", {}),
    ):
        r = await stranger.request(method, path, other_token, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
        assert "Mine" not in r.text
    assert await _get(client, token, f"/dashboards/{board['id']}") == board
    # and a dashboard addressed through another app of its own org is not found either
    second_app = await client.create_app(token)
    r = await client.request(
        "PUT", f"/dashboards/{board['id']}", token, json={"app_id": second_app["id"], "name": "M"}
    )
    assert r.status_code == 404
    r = await client.request(
        "DELETE", f"/dashboards/{board['id']}", token, params={"app_id": second_app["id"]}
    )
    assert r.status_code == 404
    assert await _get(client, token, "/dashboards", app_id=second_app["id"]) == {"dashboards": []}
    assert await _get(client, token, "/dashboards", app_id=app_id) == {"dashboards": [board]}
