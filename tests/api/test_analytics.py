"""Funnels, retention and paths over HTTP (API.md section 4; README "Analytics"), each on a small crafted
history whose answers are worked out by hand below; validation, roles, isolation and the job path."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest

from tests.support import Client, add_member, poll_job

S, V, L, P, A = "session_start", "page_view", "level_up", "purchase", "ad_watched"


@pytest.fixture(autouse=True)
def _with_worker(worker: None) -> None:
    """Events are stored and funnels and paths computed by the worker."""


async def _away_from_midnight() -> None:
    """Expectations are computed for one UTC day: never straddle midnight."""
    now = datetime.now(UTC)
    left = (datetime.combine(now.date() + timedelta(days=1), time(), UTC) - now).total_seconds()
    if left < 120:
        await asyncio.sleep(left + 1)


def _at(day: date, hms: str) -> str:
    return datetime.combine(day, time.fromisoformat(hms), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _setup(client: Client, db: asyncpg.Connection) -> tuple[str, int, dict[str, str]]:
    await _away_from_midnight()
    owner = await client.register()
    await db.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", owner["user"]["org_id"])
    app = await client.create_app(owner["token"])
    return owner["token"], app["id"], {"X-SDK-Key": app["sdk_key"]}


async def _send(
    client: Client, token: str, sdk: dict[str, str], device: str, events: list[tuple[str, str]]
) -> None:
    """One batch of `device`'s events [(event_type, created_at)], waited for until stored."""
    body = {"events": [{"android_id": device, "event_type": t, "created_at": at} for t, at in events]}
    r = await client.request("POST", "/events/batch", headers=sdk, json=body)
    assert r.status_code == 202, r.text
    job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done", job


async def _history(
    client: Client, token: str, sdk: dict[str, str], devices: dict[str, list[tuple[str, str]]]
) -> None:
    await asyncio.gather(*(_send(client, token, sdk, d, events) for d, events in devices.items()))


# --- funnels ------------------------------------------------------------------------------------


def _funnel_history(today: date) -> dict[str, list[tuple[str, str]]]:
    """Period today-8 .. today-2; D = today-6. Window 24 h."""
    d, d1, start, end = (
        today - timedelta(days=6),
        today - timedelta(days=5),
        today - timedelta(days=8),
        today - timedelta(days=2),
    )
    return {
        "f1-in-order": [(S, _at(d, "10:00:00")), (V, _at(d, "11:00:00")), (P, _at(d, "12:00:00"))],
        "f2-out-of-order": [(V, _at(d, "09:00:00")), (S, _at(d, "10:00:00")), (P, _at(d, "11:00:00"))],
        "f3-step2-outside-window": [(S, _at(d, "10:00:00")), (V, _at(d1, "11:00:00"))],
        "f4-second-start-best": [
            (S, _at(d, "08:00:00")),
            (S, _at(d, "20:00:00")),
            (V, _at(d1, "19:00:00")),
            (P, _at(d1, "19:30:00")),
        ],
        "f5-skips-step2": [(S, _at(d, "10:00:00")), (P, _at(d, "10:30:00"))],
        "f6-repeats": [
            (S, _at(d, "10:00:00")),
            (V, _at(d, "10:05:00")),
            (V, _at(d, "10:06:00")),
            (P, _at(d, "10:10:00")),
            (P, _at(d, "10:20:00")),
        ],
        "f7-start-before-period": [
            (S, _at(start - timedelta(days=1), "23:00:00")),
            (V, _at(start, "00:30:00")),
            (P, _at(start, "01:00:00")),
        ],
        "f8-later-steps-after-to": [(S, _at(end, "23:00:00")), (V, _at(end + timedelta(days=1), "01:00:00"))],
        "f9-a-b-a": [(S, _at(d, "10:00:00")), (V, _at(d, "10:01:00")), (S, _at(d, "10:02:00"))],
        "f10-start-only": [(S, _at(d, "10:00:00"))],
        "f11-step3-outside-window-of-step1": [
            (S, _at(d, "00:00:00")),
            (V, _at(d, "20:00:00")),
            (P, _at(d1, "01:00:00")),
        ],
    }


async def _funnel(
    client: Client, token: str, app_id: int, steps: list[str], today: date, **extra: Any
) -> list[dict[str, Any]]:
    body = {
        "app_id": app_id,
        "steps": steps,
        "from": (today - timedelta(days=8)).isoformat(),
        "to": (today - timedelta(days=2)).isoformat(),
        **extra,
    }
    r = await client.request("POST", "/analytics/funnel", token, json=body)
    assert r.status_code == 200, r.text
    return r.json()["steps"]


async def test_funnel__crafted_history__counts_conversions_and_medians_by_hand(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given devices whose paths through session_start -> page_view -> purchase are known (see _funnel_history)
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    await _history(client, token, sdk, _funnel_history(today))
    # When the funnel runs with a 24 h window
    steps = await _funnel(client, token, app_id, [S, V, P], today)
    # Then step 1: f1..f6, f8..f11 (f7's start is before the period) = 10
    # step 2 (page_view after a start, within 24 h): f1, f4 (its second start), f6, f8, f9, f11 = 6
    # step 3 (purchase after that, within 24 h of the start): f1, f4, f6 = 3 (f11's purchase is 25 h after)
    assert [s["count"] for s in steps] == [10, 6, 3]
    assert [s["event"] for s in steps] == [S, V, P]
    assert [s["conversion_from_previous"] for s in steps] == [1.0, 0.6, 0.5]
    assert [s["conversion_from_start"] for s in steps] == [1.0, 0.6, 0.3]
    # Medians: step 2 first completions minus first starts: f9 60 s, f6 300, f1 3600, f8 7200, f11 72000,
    # f4 126000 (35 h from its first start) -> (3600 + 7200) / 2; step 3: f6 300, f4 1800, f1 3600 -> 1800
    assert [s["median_seconds_from_previous"] for s in steps] == [None, 5400.0, 1800.0]


async def test_funnel__repeated_event_type_and_window__by_hand(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given the same history
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    await _history(client, token, sdk, _funnel_history(today))
    # When a funnel repeats an event type (A, B, A)
    steps = await _funnel(client, token, app_id, [S, V, S], today)
    # Then only f9 starts again after its page_view; one event never serves two steps (f10)
    assert [s["count"] for s in steps] == [10, 6, 1]
    assert steps[2]["median_seconds_from_previous"] == 60.0
    # When the window is 1 hour: step 2 keeps f1 (1 h), f6, f9; step 3 keeps f6 (10 min)
    steps = await _funnel(client, token, app_id, [S, V, P], today, window_hours=1)
    assert [s["count"] for s in steps] == [10, 3, 1]
    # When the window is 48 hours: f3 (25 h) joins step 2, f11 (25 h) joins step 3, f4's first start counts
    steps = await _funnel(client, token, app_id, [S, V, P], today, window_hours=48)
    assert [s["count"] for s in steps] == [10, 7, 4]


async def test_funnel__no_events__zeros(client: Client, db: asyncpg.Connection) -> None:
    token, app_id, _ = await _setup(client, db)
    steps = await _funnel(client, token, app_id, [S, P], datetime.now(UTC).date())
    assert steps == [
        {
            "event": S,
            "count": 0,
            "conversion_from_previous": 1.0,
            "conversion_from_start": 1.0,
            "median_seconds_from_previous": None,
        },
        {
            "event": P,
            "count": 0,
            "conversion_from_previous": 0.0,
            "conversion_from_start": 0.0,
            "median_seconds_from_previous": None,
        },
    ]


# --- retention ----------------------------------------------------------------------------------


async def test_retention__crafted_cohorts__rates_by_hand(client: Client, db: asyncpg.Connection) -> None:
    # Given devices first seen in known weeks (M0 = this week's Monday)
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    m0 = today - timedelta(days=today.weekday())

    def day(n: int) -> date:
        return m0 + timedelta(days=n)

    await _history(
        client,
        token,
        sdk,
        {
            # cohort M0-49: r1 (Monday) back on days 1 (session_start), 7 (level_up), 30; r2 (Sunday, 23:30) back
            # 40 minutes later (day 1, the next week) with level_up and on day 14; r3 only later on its first day
            "r1": [
                (S, _at(day(-49), "10:00:00")),
                (S, _at(day(-48), "09:00:00")),
                (L, _at(day(-42), "09:00:00")),
                (S, _at(day(-19), "09:00:00")),
            ],
            "r2": [
                (S, _at(day(-43), "23:30:00")),
                (L, _at(day(-42), "00:10:00")),
                (S, _at(day(-29), "12:00:00")),
            ],
            "r3": [(S, _at(day(-45), "08:00:00")), (S, _at(day(-45), "22:00:00"))],
            # first seen the Sunday before the first cohort: in no cohort, its return counts nowhere
            "r4": [(S, _at(day(-50), "12:00:00")), (S, _at(day(-49), "12:00:00"))],
            # cohort M0-7: r5 back on day 1 with level_up, not on day 7
            "r5": [(S, _at(day(-7), "12:00:00")), (L, _at(day(-6), "12:00:00"))],
            # this week's cohort: first seen today
            "r6": [(S, _at(today, "00:00:01"))],
        },
    )
    # When retention is asked for 8 weeks, then for level_up only
    r = await client.request("GET", "/analytics/retention", token, params={"app_id": app_id, "weeks": 8})
    assert r.status_code == 200, r.text
    cohorts = r.json()["cohorts"]
    r = await client.request(
        "GET", "/analytics/retention", token, params={"app_id": app_id, "weeks": 8, "event": L}
    )
    assert r.status_code == 200, r.text
    level_up = r.json()["cohorts"]

    # Then eight Monday cohorts, oldest first
    assert [c["cohort_start"] for c in cohorts] == [day(-49 + 7 * w).isoformat() for w in range(8)]
    assert [c["size"] for c in cohorts] == [3, 0, 0, 0, 0, 0, 1, 1]
    third = round(1 / 3, 6)
    # cohort M0-49: day 1 r1, r2; day 7 r1; day 14 r2; day 30 r1 (its latest member's day 30 is M0-13)
    assert cohorts[0] | {"cohort_start": None} == {
        "cohort_start": None,
        "size": 3,
        "day_1": round(2 / 3, 6),
        "day_7": third,
        "day_14": third,
        "day_30": third,
    }
    assert level_up[0] == {
        "cohort_start": day(-49).isoformat(),
        "size": 3,
        "day_1": third,
        "day_7": third,
        "day_14": 0.0,
        "day_30": 0.0,
    }
    # cohort M0-7: r5's day 1 and day 7 (today or earlier) are known, days 14 and 30 not yet
    assert cohorts[6] == {
        "cohort_start": day(-7).isoformat(),
        "size": 1,
        "day_1": 1.0,
        "day_7": 0.0,
        "day_14": None,
        "day_30": None,
    }
    assert level_up[6]["day_1"] == 1.0
    # this week's cohort: r6's day 1 is tomorrow
    assert cohorts[7] == {
        "cohort_start": m0.isoformat(),
        "size": 1,
        "day_1": None,
        "day_7": None,
        "day_14": None,
        "day_30": None,
    }
    # empty cohorts: 0 once the cohort's Sunday + N has come, null before
    for w in range(1, 6):
        sunday = day(-49 + 7 * w + 6)
        expected = {
            f"day_{n}": (0.0 if sunday + timedelta(days=n) <= today else None) for n in (1, 7, 14, 30)
        }
        assert cohorts[w] == {"cohort_start": day(-49 + 7 * w).isoformat(), "size": 0, **expected}


# --- paths --------------------------------------------------------------------------------------


async def _paths(client: Client, token: str, app_id: int, today: date, **extra: Any) -> list[dict[str, Any]]:
    body = {
        "app_id": app_id,
        "start_event": S,
        "from": (today - timedelta(days=8)).isoformat(),
        "to": (today - timedelta(days=2)).isoformat(),
        **extra,
    }
    r = await client.request("POST", "/analytics/paths", token, json=body)
    assert r.status_code == 200, r.text
    return r.json()["paths"]


async def test_paths__crafted_history__paths_shares_conversions_by_hand(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given (period today-8 .. today-2, D = today-5)
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    d, start, end = today - timedelta(days=5), today - timedelta(days=8), today - timedelta(days=2)
    await _history(
        client,
        token,
        sdk,
        {
            "p1": [
                (S, _at(d, "10:00:00")),
                (V, _at(d, "10:01:00")),
                (V, _at(d, "10:02:00")),
                (L, _at(d, "10:03:00")),
                (P, _at(d, "10:04:00")),
            ],
            "p2": [(S, _at(d, "10:00:00")), (V, _at(d, "10:01:00")), (L, _at(d, "10:02:00"))],
            "p3": [
                (A, _at(d, "09:00:00")),
                (S, _at(d, "10:00:00")),
                (S, _at(d, "10:01:00")),
                (V, _at(d, "10:02:00")),
                (L, _at(d, "10:03:00")),
                (S, _at(d, "11:00:00")),
                (P, _at(d, "11:30:00")),
            ],
            # a start before the period does not count: the first start inside it is at 11:00
            "p4": [
                (S, _at(start - timedelta(days=1), "12:00:00")),
                (V, _at(start, "10:00:00")),
                (S, _at(start, "11:00:00")),
                (P, _at(start, "11:30:00")),
            ],
            # shorter than the depth; its purchase is after the period
            "p5": [
                (S, _at(end, "20:00:00")),
                (V, _at(end, "21:00:00")),
                (P, _at(end + timedelta(days=1), "10:00:00")),
            ],
            "p6-no-start": [(V, _at(d, "10:00:00")), (P, _at(d, "10:01:00"))],
            "p7": [(S, _at(d, "10:00:00")), (P, _at(d, "10:01:00")), (P, _at(d, "10:02:00"))],
        },
    )
    # When the paths of depth 3 are asked
    paths = await _paths(client, token, app_id, today, depth=3)
    # Then (6 devices started): [S, V, L] p1 (a purchase after L), p2, p3 (its purchase is after L too);
    # [S, purchase] p4, p7 (the repeat collapsed; its second purchase is after the path); [S, V] p5
    assert paths == [
        {"path": [S, V, L], "count": 3, "share": 0.5, "converted": 2},
        {"path": [S, P], "count": 2, "share": round(2 / 6, 6), "converted": 1},
        {"path": [S, V], "count": 1, "share": round(1 / 6, 6), "converted": 0},
    ]
    # When depth 2: [S, V] p1, p2, p3, p5 (p1 and p3 purchased after their V); limit 1 keeps the first
    assert await _paths(client, token, app_id, today, depth=2, limit=1) == [
        {"path": [S, V], "count": 4, "share": round(4 / 6, 6), "converted": 2},
    ]
    # When depth 5 (the default): p3 continues S -> V -> L -> S -> purchase
    deep = await _paths(client, token, app_id, today)
    assert {"path": [S, V, L, S, P], "count": 1, "share": round(1 / 6, 6), "converted": 0} in deep
    assert {"path": [S, V, L, P], "count": 1, "share": round(1 / 6, 6), "converted": 0} in deep


# --- jobs, validation, roles, isolation ---------------------------------------------------------


async def test_funnel_and_paths__wait_0__202_then_the_job_result(
    client: Client, db: asyncpg.Connection
) -> None:
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    await _send(
        client,
        token,
        sdk,
        "j1",
        [(S, _at(today - timedelta(days=1), "10:00:00")), (P, _at(today - timedelta(days=1), "10:30:00"))],
    )
    for path, body in (("/analytics/funnel", {"steps": [S, P]}), ("/analytics/paths", {"start_event": S})):
        r = await client.request("POST", path, token, params={"wait": 0}, json={"app_id": app_id, **body})
        assert r.status_code == 202, r.text
        assert r.json()["status_url"] == f"/api/v4/jobs/{r.json()['job_id']}"
        job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"})
        assert job["status"] == "done", job
        assert job["kind"] == path.replace("/", ".").lstrip(".")
        if path == "/analytics/funnel":
            assert [s["count"] for s in job["result"]["steps"]] == [1, 1]
        else:
            assert job["result"]["paths"] == [{"path": [S, P], "count": 1, "share": 1.0, "converted": 0}]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/analytics/funnel", {"steps": [S]}, "steps"),
        ("/analytics/funnel", {"steps": [S] * 11}, "steps"),
        ("/analytics/funnel", {"steps": [S, "Bad Type"]}, "steps.1"),
        ("/analytics/funnel", {"steps": [S, P], "window_hours": 0}, "window_hours"),
        ("/analytics/funnel", {"steps": [S, P], "window_hours": "24"}, "window_hours"),
        ("/analytics/funnel", {"steps": [S, P], "from": "2026-02-30"}, "from"),
        ("/analytics/funnel", {"steps": [S, P], "from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ("/analytics/funnel", {"steps": [S, P], "from": "2024-01-01", "to": "2026-03-01"}, "to"),
        ("/analytics/funnel", {}, "steps"),
        ("/analytics/paths", {}, "start_event"),
        ("/analytics/paths", {"start_event": S, "depth": 1}, "depth"),
        ("/analytics/paths", {"start_event": S, "depth": 11}, "depth"),
        ("/analytics/paths", {"start_event": S, "limit": 0}, "limit"),
    ],
)
async def test_funnel_paths__invalid_body__400_naming_the_field(
    client: Client, path: str, body: dict[str, Any], field: str
) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    r = await client.request("POST", path, owner["token"], json={"app_id": app["id"], **body})
    assert r.status_code == 400, r.text
    assert field in r.json()["details"], r.json()


@pytest.mark.parametrize("params", [{"weeks": 0}, {"weeks": 53}, {"weeks": "x"}, {"event": "Not Valid"}, {}])
async def test_retention__invalid_query__400(client: Client, params: dict[str, Any]) -> None:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    query = {"app_id": app["id"], **params} if params else {}
    r = await client.request("GET", "/analytics/retention", owner["token"], params=query)
    assert r.status_code == 400, r.text


async def test_analytics__viewer_runs_them__other_org_404__no_token_401(
    client: Client, stranger: Client, database_url: str, db: asyncpg.Connection
) -> None:
    _, app_id, _ = await _setup(client, db)
    org_id = await db.fetchval("SELECT org_id FROM apps WHERE id = $1", app_id)
    viewer = await add_member(database_url, org_id, "viewer", client)
    other = await stranger.register()
    calls = [
        ("POST", "/analytics/funnel", {"json": {"app_id": app_id, "steps": [S, P]}}),
        ("POST", "/analytics/paths", {"json": {"app_id": app_id, "start_event": S}}),
        ("GET", "/analytics/retention", {"params": {"app_id": app_id}}),
    ]
    for method, path, kwargs in calls:
        r = await client.request(method, path, viewer["token"], **kwargs)
        assert r.status_code == 200, (path, r.text)
        r = await stranger.request(method, path, other["token"], **kwargs)
        assert r.status_code == 404, (path, r.text)
        r = await client.request(method, path, None, **kwargs)
        assert r.status_code == 401, (path, r.text)


async def test_paths__repeats_longer_than_the_first_read__read_again_exact(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a device whose start is followed by 20 page views, then a level up and a purchase (the first
    # pass reads depth * 2 + 2 = 8 events per device: all of them page views after the start)
    token, app_id, sdk = await _setup(client, db)
    today = datetime.now(UTC).date()
    d = today - timedelta(days=5)
    views = [(V, _at(d, f"10:{m:02d}:00")) for m in range(1, 21)]
    await _history(
        client,
        token,
        sdk,
        {"long": [(S, _at(d, "10:00:00")), *views, (L, _at(d, "10:30:00")), (P, _at(d, "10:31:00"))]},
    )
    # When its paths of depth 3 are asked
    paths = await _paths(client, token, app_id, today, depth=3)
    # Then the whole path is found, with the purchase after it
    assert paths == [{"path": [S, V, L], "count": 1, "share": 1.0, "converted": 1}]
    # and with depth 4 the purchase ends the path (nothing after it)
    assert await _paths(client, token, app_id, today, depth=4) == [
        {"path": [S, V, L, P], "count": 1, "share": 1.0, "converted": 0}
    ]
