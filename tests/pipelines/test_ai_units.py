"""Pure parts of the AI layer: the SQL check, robust z-scores, the churn model, market computations, chat
history trimming, the stand-in through the official SDK, and the source-tree rule against eval/exec."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from core.errors import BadRequest, ProviderRateLimited, ServiceUnavailable
from core.models import ConversationMessage
from core.settings import Settings
from pipelines.ai import chat, churn, client, insights, market, sqlcheck
from standins.anthropic import StandIn

ROOT = Path(__file__).resolve().parents[2]

# --- SQL check ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) FROM devices", "SELECT COUNT(*) FROM devices LIMIT 1000"),
        ("select country from devices limit 10", "SELECT country FROM devices LIMIT 10"),
        ("SELECT * FROM events LIMIT 100000", "SELECT * FROM events LIMIT 1000"),
        ("WITH x AS (SELECT * FROM daily) SELECT * FROM x", "WITH x AS (SELECT * FROM daily) SELECT * FROM x LIMIT 1000"),
        ("SELECT g FROM generate_series(1, 3) AS g", "SELECT g FROM GENERATE_SERIES(1, 3) AS g LIMIT 1000"),
        ("SELECT a FROM nlq.purchases UNION SELECT b FROM ad_revenue", "SELECT a FROM nlq.purchases UNION SELECT b FROM ad_revenue LIMIT 1000"),
    ],
)  # fmt: skip
def test_sqlcheck__one_select_over_views__passes_with_limit_forced(sql: str, expected: str) -> None:
    assert sqlcheck.check(sql) == expected


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "exactly one statement"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("UPDATE devices SET brand = 'x'", "only a SELECT"),
        ("RESET ROLE", "only a SELECT"),
        ("SELECT * INTO copy FROM devices", "INTO is not allowed"),
        (
            "SELECT * FROM (SELECT * FROM devices) d, LATERAL (SELECT pg_sleep_for('1 hour')) s",
            "pg_sleep_for()",
        ),
        ("SELECT pg_catalog.pg_sleep(1)", "pg_sleep()"),
        ('SELECT "pg_sleep"(1)', "pg_sleep()"),
        ("SELECT current_setting('is_superuser')", "current_setting()"),
        ("SELECT pg_advisory_lock(1)", "pg_advisory_lock()"),
        ("SELECT txid_current()", "txid_current()"),
        ("SELECT dblink('x', 'y')", "dblink()"),
        ("SELECT pg_ls_dir('.')", "pg_ls_dir()"),
        ("SELECT lo_get(1)", "lo_get()"),
        ("SELECT nextval('devices_id_seq')", "nextval()"),
        ("SELECT * FROM pg_catalog.pg_authid", "pg_catalog.pg_authid is not one"),
        ("SELECT * FROM information_schema.tables", "is not one of the views"),
        ("SELECT * FROM app_daily", "app_daily is not one"),
        ("WITH devices AS (SELECT * FROM users) SELECT * FROM devices", "users is not one"),
        ("SELECT * FROM devices WHERE id = $1", "PARAMETER is not allowed"),
        ("SELECT * FROM devices FETCH FIRST 5 ROWS ONLY", "use LIMIT"),
        ("SELECT 'x' || (", "does not parse"),
        ("SELECT 1 FROM devices WHERE " + "x" * 20_001, "longer than"),
    ],
)
def test_sqlcheck__refused__400_naming_why(sql: str, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        sqlcheck.check(sql)
    assert reason in caught.value.message


# --- insights statistics ---------------------------------------------------------------------------------


def test_robust_z__median_and_mad__and_the_floor() -> None:
    z, median, mad = insights.robust_z(60, [100, 102, 98, 101, 99, 100, 103])
    assert median == 100 and mad == 1 and z == pytest.approx((60 - 100) / 5)  # floor: 5 % of the median
    z, _, _ = insights.robust_z(1, [0] * 10)
    assert z == 1  # a flat zero series: the scale is at least one unit


def test_anomalies__only_the_last_7_days_against_the_28_before() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(35)]
    flat = {m: [100.0] * 35 for m in insights.METRICS}
    flat["dau"][5] = 10.0  # old: outside the checked week
    flat["dau"][33] = 300.0
    found = insights.anomalies(days, flat, days[0])
    assert [(a["metric"], a["date"], a["direction"]) for a in found] == [
        ("dau", days[33].isoformat(), "spike")
    ]


# --- churn model -----------------------------------------------------------------------------------------


def test_churn_fit__thin_history__fixed_weights__separable_history__regression() -> None:
    thin = churn.fit(np.zeros((10, len(churn.FEATURES))), np.zeros(10))
    assert thin.kind == "fixed_weights" and list(thin.weights) == [
        churn.FIXED_WEIGHTS[f] for f in churn.FEATURES
    ]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, len(churn.FEATURES)))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0).astype(float)
    fitted = churn.fit(x, y)
    assert fitted.kind == "logistic_regression" and fitted.weights[0] > 1
    risky, safe = np.array([[2.0] + [0.0] * 6]), np.array([[-2.0] + [0.0] * 6])
    assert fitted.logit(risky)[0] > fitted.logit(safe)[0]


def test_churn_action__by_risk_inactivity_purchases_ads() -> None:
    raw = {"inactive": 0.0, "purchases": 0.0, "ads": 0.0}
    assert churn.action(0.1, raw)["type"] == "none"
    assert churn.action(0.8, {**raw, "inactive": 9})["type"] == "push"
    assert churn.action(0.8, {**raw, "purchases": 1})["type"] == "discount_offer"
    assert churn.action(0.8, {**raw, "ads": 8})["type"] == "rewarded_offer"
    assert churn.action(0.8, raw)["type"] == "in_app_message"


# --- cross-analysis and ASO ------------------------------------------------------------------------------


def test_lagged_correlations__series_following_two_days_later__strongest_at_lag_2() -> None:
    start = date(2026, 1, 1)
    leading = {start + timedelta(days=i): float((i * 7) % 11) for i in range(40)}
    following = {d + timedelta(days=2): v * 3 + 5 for d, v in leading.items()}
    found = market.lagged_correlations(leading, following)
    best = market.strongest(found)
    assert best is not None and best["lag_days"] == 2 and best["r"] == pytest.approx(1.0)


def test_store_series__snapshots__daily_rating_and_deltas() -> None:
    at = datetime(2026, 1, 1, 6, tzinfo=UTC)
    snaps = [
        {"at": at, "rating": 4.1, "ratings_count": 100, "installs": 1000},
        {
            "at": at + timedelta(hours=6),
            "rating": 4.2,
            "ratings_count": 110,
            "installs": 1100,
        },  # the day's last
        {"at": at + timedelta(days=1), "rating": 4.0, "ratings_count": 130, "installs": 1500},
    ]
    series = market.store_series(snaps)
    assert series["rating"] == {date(2026, 1, 1): 4.2, date(2026, 1, 2): 4.0}
    assert series["new_ratings"] == {date(2026, 1, 2): 20.0} and series["new_installs"] == {
        date(2026, 1, 2): 400.0
    }


def test_aso_suggestions__listing_against_competitors__keywords_rating_and_lengths() -> None:
    own = {
        "title": "Puzzle",
        "short_description": "Fun",
        "description": "Play.",
        "rating": 3.9,
        "ratings_count": 50,
    }
    rivals = [
        {
            "title": "Block Puzzle Relax",
            "description": "relax offline brain " * 40,
            "rating": 4.5,
            "ratings_count": 900,
        },
        {
            "title": "Puzzle Relax Offline",
            "description": "brain offline relax " * 40,
            "rating": 4.4,
            "ratings_count": 700,
        },
    ]
    tips = {t["area"]: t["text"] for t in market.aso_suggestions("Puzzle", own, rivals)}
    assert set(tips) == {"title", "short_description", "description", "keywords", "rating", "ratings_count"}
    assert "relax" in tips["keywords"] and "offline" in tips["keywords"]
    assert [t["area"] for t in market.aso_suggestions("A name", None, [])] == ["title"]


# --- chat history ----------------------------------------------------------------------------------------


def _message(role: str, kind: str, tokens: int) -> ConversationMessage:
    block = (
        {"type": kind, "text": "x"} if kind == "text" else {"type": kind, "tool_use_id": "t", "content": "{}"}
    )
    return ConversationMessage(role=role, content=[block], tokens=tokens)


def test_chat_trim__keeps_the_newest_whole_turns_within_the_budget() -> None:
    history = [
        _message("user", "text", 100), _message("assistant", "text", 100),  # turn 1: 200
        _message("user", "text", 50), _message("assistant", "tool_use", 50),
        _message("user", "tool_result", 300), _message("assistant", "text", 50),  # turn 2: 450
        _message("user", "text", 50), _message("assistant", "text", 50),  # turn 3: 100
    ]  # fmt: skip
    assert len(chat.trim(history, 600)) == 6  # turns 2 and 3; a tool result never loses its call
    assert len(chat.trim(history, 500)) == 2
    assert chat.trim(history, 10) == []


# --- the client and the stand-in, through the official SDK -----------------------------------------------


async def test_client__stand_in__tool_use_text_and_errors_mapped() -> None:
    standin = StandIn(api_key="k").start()
    settings = Settings(ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=standin.url, AI_MAX_RETRIES=0)
    try:
        standin.reply(
            {"text": "Checking.", "tool_use": {"name": "run_sql", "input": {"sql": "SELECT 1"}}},
            {"error": {"type": "rate_limit_error", "message": "slow", "retry_after": 9}},
            {"error": {"type": "authentication_error", "message": "bad key"}},
        )
        reply = await client.complete(settings, None, system="s", messages=[{"role": "user", "content": "q"}])
        assert reply.text == "Checking." and reply.tool_calls[0].input == {"sql": "SELECT 1"}
        assert reply.stop_reason == "tool_use" and reply.input_tokens > 0
        with pytest.raises(ProviderRateLimited) as limited:
            await client.complete(settings, None, system="s", messages=[{"role": "user", "content": "q"}])
        assert limited.value.retry_after == 9 and limited.value.status == 429
        with pytest.raises(ServiceUnavailable, match="refused the API key"):
            await client.complete(settings, None, system="s", messages=[{"role": "user", "content": "q"}])
        # a malformed request gets Anthropic's 400 shape, which the client reports as a provider error
        with pytest.raises(ServiceUnavailable, match="roles must alternate"):
            await client.complete(
                settings,
                None,
                system="s",
                messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
            )
    finally:
        standin.stop()
    with pytest.raises(ServiceUnavailable, match="ANTHROPIC_API_KEY"):
        await client.complete(Settings(), None, system="s", messages=[{"role": "user", "content": "q"}])


# --- no eval/exec of model output ---------------------------------------------------------------------------


def test_source_tree__no_eval_exec_compile_anywhere() -> None:
    # Given every Python file of the platform (tests aside) / When its calls are read
    found = []
    for package in ("api", "actors", "pipelines", "schedules", "core", "standins", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Name) and node.func.id in (
                    "eval",
                    "exec",
                    "compile",
                    "__import__",
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}()")
                if isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "eval",
                    "exec",
                ):  # builtins.eval
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    # Then none calls eval, exec, compile or __import__
    assert found == []


def test_settings__sql_check_off_in_production__refused() -> None:
    # The switch exists to prove the database boundary in tests; production never runs without the check.
    with pytest.raises(ValueError, match="NLQ_SQL_CHECK"):
        Settings(ENV="production", NLQ_SQL_CHECK=False)
    assert Settings(ENV="test", NLQ_SQL_CHECK=False).NLQ_SQL_CHECK is False
