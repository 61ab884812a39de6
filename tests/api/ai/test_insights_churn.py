"""GET /ai/insights and GET /ai/churn-risk over HTTP on crafted histories (API.md section 7)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from tests.api.ai.conftest import AiPair, org_with_devices
from tests.support import Client, Platform, add_member


def _today() -> date:
    return datetime.now(UTC).date()


async def _daily_history(db: asyncpg.Connection, app_id: int, days: int, drop_yesterday: float = 1.0) -> None:
    """`days` complete days ending yesterday of an app with a weekly rhythm (weekends 15 % lower) and
    +-3 % noise on every metric; yesterday's DAU multiplied by `drop_yesterday`."""
    rng = random.Random(7)
    yesterday = _today() - timedelta(days=1)
    rows = []
    for back in range(days, 0, -1):
        day = _today() - timedelta(days=back)
        rhythm = 0.85 if day.weekday() >= 5 else 1.0

        def noisy(base: float) -> float:
            return base * rhythm * rng.uniform(0.97, 1.03)  # noqa: B023 - used at once

        dau = round(noisy(1000) * (drop_yesterday if day == yesterday else 1.0))
        rows.append(
            (app_id, day, dau, round(noisy(60)), round(noisy(20000)), round(noisy(2000)), round(noisy(300)),
             round(noisy(25)), round(noisy(75), 2), round(noisy(40), 2), round(noisy(9000)))
        )  # fmt: skip
    await db.executemany(
        "INSERT INTO app_daily (app_id, day, active_devices, new_devices, events, sessions, ad_watches, "
        "purchases, purchase_revenue, ad_revenue, ad_impressions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11)",
        rows,
    )


async def _insights(client: Client, token: str, app_id: int) -> dict[str, Any]:
    r = await client.request("GET", "/ai/insights", token, params={"app_id": app_id})
    assert r.status_code == 200, r.text
    return r.json()


async def test_insights__40pct_dau_drop_yesterday__flagged_with_its_z_score(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given 35 days of a steady app whose DAU fell 40 % yesterday (no API key: the template narrative)
    mine = await org_with_devices(client, [])
    await _daily_history(db, mine.app_id, 35, drop_yesterday=0.6)
    # When the insights are read
    body = await _insights(client, mine.token, mine.app_id)
    # Then yesterday's DAU drop is the anomaly (and nothing else is)
    assert body["enough_data"] is True and body["cached"] is False
    yesterday = (_today() - timedelta(days=1)).isoformat()
    assert [(a["metric"], a["date"], a["direction"]) for a in body["anomalies"]] == [
        ("dau", yesterday, "drop")
    ]
    drop = body["anomalies"][0]
    assert drop["z_score"] <= -3.5 and -55 < drop["change_pct"] < -30  # against a median of mostly weekdays
    assert body["narrative_source"] == "template" and "active devices drop" in body["narrative"]
    # and a second read is served from the cache
    again = await _insights(client, mine.token, mine.app_id)
    assert again["cached"] is True and again["anomalies"] == body["anomalies"]


async def test_insights__normal_weeks__no_anomaly(client: Client, db: asyncpg.Connection) -> None:
    # Given 35 ordinary days (weekend dips, noise)
    mine = await org_with_devices(client, [])
    await _daily_history(db, mine.app_id, 35)
    # When read / Then nothing is flagged, and the weekly report compares the last 7 days with the 7 before
    body = await _insights(client, mine.token, mine.app_id)
    assert body["anomalies"] == []
    assert "No anomalies" in body["narrative"]
    week = body["weekly_report"]
    assert week["to"] == (_today() - timedelta(days=1)).isoformat()
    assert abs(week["metrics"]["dau"]["change_pct"]) < 10


async def test_insights__under_7_days__says_so_and_invents_nothing(
    client: Client, db: asyncpg.Connection
) -> None:
    mine = await org_with_devices(client, [])
    await _daily_history(db, mine.app_id, 3, drop_yesterday=0.1)
    body = await _insights(client, mine.token, mine.app_id)
    assert body["enough_data"] is False and body["anomalies"] == [] and body["days_of_data"] == 3
    assert "Only 3 complete days of data" in body["message"]


async def test_insights__with_key__model_writes_the_narrative_from_the_statistics(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    # Given the drop, and a model
    mine = await org_with_devices(ai, [])
    await _daily_history(db, mine.app_id, 35, drop_yesterday=0.6)
    ai_pair.model.reply({"text": "DAU fell about 40 % yesterday."})
    # When read / Then the narrative is the model's, written from the computed anomalies
    body = await _insights(ai, mine.token, mine.app_id)
    assert body["narrative"] == "DAU fell about 40 % yesterday." and body["narrative_source"] == "model"
    (request,) = ai_pair.model.requests()
    assert '"metric":"dau"' in request["body"]["messages"][0]["content"]


async def test_insights__provider_down__template_instead(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    mine = await org_with_devices(ai, [])
    await _daily_history(db, mine.app_id, 10)
    ai_pair.model.reply({"error": {"type": "overloaded_error", "message": "Overloaded"}})
    body = await _insights(ai, mine.token, mine.app_id)
    assert body["narrative_source"] == "template" and "AI provider" in body["narrative_note"]


async def test_insights__other_org__404_no_token__401(client: Client) -> None:
    mine = await org_with_devices(client, [])
    theirs = await org_with_devices(client, [])
    r = await client.request("GET", "/ai/insights", mine.token, params={"app_id": theirs.app_id})
    assert r.status_code == 404
    r = await client.request("GET", "/ai/insights", params={"app_id": mine.app_id})
    assert r.status_code == 401
    r = await client.request("GET", "/ai/insights", mine.token, params={"app_id": "x"})
    assert r.status_code == 400


async def test_insights__daily_schedule__computes_every_app(
    ai_pair: AiPair, platform: Platform, db: asyncpg.Connection
) -> None:
    # Given an app with history and nothing cached, and the scheduler firing the insights entry every second
    client = Client(ai_pair.base)
    try:
        mine = await org_with_devices(client, [])
        await _daily_history(db, mine.app_id, 20)
        assert await db.fetchval("SELECT count(*) FROM ai_insights WHERE app_id = $1", mine.app_id) == 0
        scheduler = platform.spawn("scheduler", **ai_pair.env, AI_INSIGHTS_CRON="* * * * * *")
        try:
            # When the scheduler enqueues and the worker runs it
            for _ in range(150):
                if await db.fetchval("SELECT count(*) FROM ai_insights WHERE app_id = $1", mine.app_id):
                    break
                await asyncio.sleep(0.2)
        finally:
            scheduler.stop()
        # Then the app's insights are cached without any request
        payload = await db.fetchval("SELECT payload FROM ai_insights WHERE app_id = $1", mine.app_id)
        assert payload is not None and '"enough_data": true' in payload
    finally:
        await client.close()


# --- churn risk -------------------------------------------------------------------------------------------


async def _device(
    db: asyncpg.Connection, app_id: int, android_id: str, first: date, active_days: list[date]
) -> int:
    last = max(active_days)
    device_id = await db.fetchval(
        "INSERT INTO devices (app_id, android_id, user_segment, sessions_count, ad_watches, purchases, "
        "purchase_revenue, ad_revenue, sessions_30d, ad_watches_30d, purchases_30d, recent_purchases, "
        "first_seen_at, last_seen_at, created_at, updated_at) VALUES ($1, $2, 'active', 0, 0, 0, 0, 0, 0, 0, 0, "
        "'[]', $3, $4, $3, now()) RETURNING id",
        app_id,
        android_id,
        datetime.combine(first, datetime.min.time(), UTC),
        datetime.combine(last, datetime.min.time(), UTC) + timedelta(hours=12),
    )
    await db.executemany(
        "INSERT INTO device_days (device_id, day, app_id, events, sessions, ad_watches, purchases) "
        "VALUES ($1, $2, $3, 12, 2, 1, 0)",
        [(device_id, day, app_id) for day in active_days],
    )
    return device_id


def _days(start_back: int, end_back: int, every: int = 1) -> list[date]:
    """UTC days from `start_back` days ago to `end_back` days ago, every `every` days."""
    return [_today() - timedelta(days=b) for b in range(start_back, end_back - 1, -every)]


async def _churn(client: Client, token: str, app_id: int, limit: int = 50) -> dict[str, Any]:
    r = await client.request("GET", "/ai/churn-risk", token, params={"app_id": app_id, "limit": limit})
    assert r.status_code == 200, r.text
    return r.json()


async def test_churn_risk__history_to_learn_from__fades_rank_above_actives(
    client: Client, db: asyncpg.Connection
) -> None:
    # Given a history: 150 devices that stayed daily, 150 that thinned out and went silent 30 days ago
    mine = await org_with_devices(client, [])
    for i in range(150):
        await _device(db, mine.app_id, f"stayer-{i}", _today() - timedelta(days=70), _days(58, 0, 2))
        await _device(
            db, mine.app_id, f"leaver-{i}", _today() - timedelta(days=70), _days(58, 44, 2) + _days(42, 31, 5)
        )
    # and now 10 devices fading the same way (last seen 12-16 days ago), 10 active today
    fading = [await _device(db, mine.app_id, f"fading-{i}", _today() - timedelta(days=40), _days(28, 12 + i % 5, 5)) for i in range(10)]  # fmt: skip
    active = [await _device(db, mine.app_id, f"active-{i}", _today() - timedelta(days=40), _days(28, 0, 2)) for i in range(10)]  # fmt: skip
    # When the churn risk is read
    body = await _churn(client, mine.token, mine.app_id, limit=500)
    # Then a logistic regression was fitted on the app's own history (leavers are the positives)
    assert body["model"]["kind"] == "logistic_regression"
    assert body["model"]["trained_on"] == 300 and body["model"]["positives"] == 150
    # and every fading device ranks above every active one
    order = [d["device_id"] for d in body["devices"]]
    assert max(order.index(d) for d in fading) < min(order.index(d) for d in active)
    top = body["devices"][0]
    assert top["device_id"] in fading and 0.5 < top["risk"] <= 1
    assert any("no activity for" in reason for reason in top["reasons"])
    assert top["recommended_action"]["type"] == "push"
    assert all(0 <= d["risk"] <= 1 for d in body["devices"])


async def test_churn_risk__thin_history__fixed_weights_still_rank_dormant_first(
    client: Client, db: asyncpg.Connection, database_url: str
) -> None:
    # Given a new app: 3 devices silent for 18-20 days, 3 active daily
    mine = await org_with_devices(client, [])
    dormant = [await _device(db, mine.app_id, f"d-{i}", _today() - timedelta(days=25), _days(25, 18 + i, 3)) for i in range(3)]  # fmt: skip
    active = [await _device(db, mine.app_id, f"a-{i}", _today() - timedelta(days=25), _days(25, 0)) for i in range(3)]  # fmt: skip
    # When a viewer reads the churn risk (limit 4)
    viewer = await add_member(database_url, mine.org_id, "viewer", client)
    body = await _churn(client, viewer["token"], mine.app_id, limit=4)
    # Then the documented fixed weights rank the dormant first, and the limit holds
    assert body["model"]["kind"] == "fixed_weights" and body["scored"] == 6
    assert {d["device_id"] for d in body["devices"][:3]} == set(dormant)
    assert len(body["devices"]) == 4 and body["devices"][3]["device_id"] in active


async def test_churn_risk__bad_limit_400__other_org_404(client: Client) -> None:
    mine = await org_with_devices(client, [])
    theirs = await org_with_devices(client, [])
    for limit in (0, 501, "x"):
        r = await client.request(
            "GET", "/ai/churn-risk", mine.token, params={"app_id": mine.app_id, "limit": limit}
        )
        assert r.status_code == 400
    r = await client.request("GET", "/ai/churn-risk", mine.token, params={"app_id": theirs.app_id})
    assert r.status_code == 404
    empty = await _churn(client, mine.token, mine.app_id)
    assert empty["devices"] == [] and empty["scored"] == 0
