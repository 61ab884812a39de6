"""POST /dashboard/query over HTTP with the Anthropic stand-in writing the SQL (API.md sections 3 and 7):
the answer path, the red team with the SQL check on, and again with it off (the database role alone)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.api.ai.conftest import AiPair, OrgApp, org_with_devices, sql_reply
from tests.support import Client, add_member


async def _ask(client: Client, token: str, app_id: int, question: str = "How many devices?") -> Any:
    return await client.request(
        "POST", "/dashboard/query", token, params={"wait": 30}, json={"app_id": app_id, "query": question}
    )


async def _two_orgs(client: Client) -> tuple[OrgApp, OrgApp]:
    mine = await org_with_devices(client, ["mine-1", "mine-2", "mine-3"], ["DE", "DE", "IN"])
    theirs = await org_with_devices(client, ["foreign-1", "foreign-2"], ["FR", "FR"])
    return mine, theirs


async def _table_counts(db: asyncpg.Connection) -> dict[str, int]:
    return {
        t: await db.fetchval(f"SELECT count(*) FROM {t}")
        for t in ("devices", "apps", "orgs", "users", "events", "activity_log")
    }


async def test_query__question__answer_sql_and_rows_as_objects(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    # Given an app with three devices, and a model that writes a GROUP BY and then an answer
    mine, _ = await _two_orgs(ai)
    ai_pair.model.reply(
        sql_reply("SELECT country, count(*) AS devices FROM devices GROUP BY country ORDER BY country"),
        {"text": "Germany has 2 devices and India 1.", "usage": {"input_tokens": 200, "output_tokens": 12}},
    )
    # When the owner asks
    r = await _ask(ai, mine.token, mine.app_id, "Devices per country?")
    # Then the job answers inline: the model's answer, the SQL that ran (LIMIT forced), rows as objects
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answer"] == "Germany has 2 devices and India 1."
    assert body["sql"].endswith("LIMIT 1000")
    assert body["data"] == [{"country": "DE", "devices": 2}, {"country": "IN", "devices": 1}]
    assert body["columns"] == ["country", "devices"] and body["truncated"] is False
    # and the model was offered exactly one tool with a string `sql`, was shown the documented views,
    # and wrote its answer after a tool_result carrying the rows
    first, second = ai_pair.model.requests()
    tools = first["body"]["tools"]
    assert [t["name"] for t in tools] == ["run_sql"]
    assert tools[0]["input_schema"]["properties"]["sql"]["type"] == "string"
    assert first["body"]["tool_choice"] == {"type": "tool", "name": "run_sql"}
    for view in ("devices", "events", "purchases", "ad_revenue", "daily", "daily_events"):
        assert f"\n  {view} -- " in first["body"]["system"]
    result = second["body"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and '"country":"DE","devices":2' in result["content"]
    # and the tokens of both calls are counted for the org
    usage = await ai.request("GET", "/ai/usage", mine.token)
    assert usage.status_code == 200
    assert usage.json()["totals"] == {"requests": 2, "input_tokens": 320, "output_tokens": 42}
    # and the activity log names the question and the SQL
    entry = await db.fetchrow(
        "SELECT * FROM activity_log WHERE org_id = $1 AND action = 'ai.query'", mine.org_id
    )
    assert entry is not None and "GROUP BY country" in entry["details"]


async def test_query__viewer__may_ask(ai: Client, ai_pair: AiPair, database_url: str) -> None:
    # Given a viewer of the org (API.md section 0: viewers run read-only analytics POSTs, query included)
    mine = await org_with_devices(ai, ["v-1"])
    viewer = await add_member(database_url, mine.org_id, "viewer", ai)
    ai_pair.model.reply(sql_reply("SELECT count(*) AS n FROM devices"), {"text": "One device."})
    # When the viewer asks / Then the answer comes back
    r = await _ask(ai, viewer["token"], mine.app_id)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [{"n": 1}]


HOSTILE = [
    ("DROP TABLE devices", "only a SELECT"),
    ("SELECT 1 FROM devices; DELETE FROM devices", "exactly one statement"),
    ("WITH d AS (DELETE FROM devices RETURNING *) SELECT * FROM d", "DELETE is not allowed"),
    ("COPY devices TO STDOUT", "only a SELECT"),
    ("SET ROLE postgres", "only a SELECT"),
    ("SELECT set_config('vs.app_id', '1', false)", "set_config() is not allowed"),
    ("SELECT pg_sleep(60)", "pg_sleep() is not allowed"),
    ("SELECT pg_read_file('/etc/passwd')", "pg_read_file() is not allowed"),
    ("SELECT * FROM users", "users is not one of the views"),
    ("SELECT * FROM organizations", "organizations is not one of the views"),
    ("SELECT * FROM orgs", "orgs is not one of the views"),
    ("SELECT * FROM public.devices", "public.devices is not one of the views"),
    ("SELECT * FROM devices FOR UPDATE", "LOCK is not allowed"),
    ("SELECT lo_import('/etc/passwd')", "lo_import() is not allowed"),
]


@pytest.mark.parametrize(("sql", "reason"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
async def test_query__hostile_sql__400_with_the_reason_and_nothing_changed(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection, sql: str, reason: str
) -> None:
    # Given two orgs, and a model that answers with hostile SQL
    mine, _ = await _two_orgs(ai)
    before = await _table_counts(db)
    ai_pair.model.reply(sql_reply(sql))
    # When the owner asks
    r = await _ask(ai, mine.token, mine.app_id)
    # Then it is refused with the reason, the model is not asked to answer, and nothing changed
    assert r.status_code == 400, r.text
    assert reason in r.json()["error"]
    assert len(ai_pair.model.requests()) == 1
    assert await _table_counts(db) == before


async def test_query__query_over_another_apps_rows__none_of_them(ai: Client, ai_pair: AiPair) -> None:
    # Given two orgs' devices, and a model that goes looking for the other org's by their ids and names
    mine, theirs = await _two_orgs(ai)
    ids = ", ".join(map(str, theirs.device_ids))
    ai_pair.model.reply(
        sql_reply(f"SELECT id, android_id FROM devices WHERE id IN ({ids}) OR android_id LIKE 'foreign%'"),
        {"text": "None."},
    )
    # When the owner asks / Then no row of the other app comes back
    r = await _ask(ai, mine.token, mine.app_id)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []


async def test_query__model_writes_no_sql__400(ai: Client, ai_pair: AiPair) -> None:
    # Given a model that answers in prose instead of calling the tool
    mine = await org_with_devices(ai, ["p-1"])
    ai_pair.model.reply({"text": "I would rather not."})
    # When asked / Then 400 says so
    r = await _ask(ai, mine.token, mine.app_id)
    assert r.status_code == 400
    assert "did not answer with a SQL query" in r.json()["error"]


async def test_query__provider_rate_limited__429_with_retry_after(ai: Client, ai_pair: AiPair) -> None:
    # Given the provider answering 429 with retry-after 7
    mine = await org_with_devices(ai, ["r-1"])
    ai_pair.model.reply({"error": {"type": "rate_limit_error", "message": "slow down", "retry_after": 7}})
    # When asked / Then the client gets 429 with Retry-After
    r = await _ask(ai, mine.token, mine.app_id)
    assert r.status_code == 429, r.text
    assert r.headers["Retry-After"] == "7"
    assert "rate limit" in r.json()["error"]


async def test_query__provider_overloaded_or_unreachable__503(ai: Client, ai_pair: AiPair) -> None:
    # Given the provider overloaded (529)
    mine = await org_with_devices(ai, ["o-1"])
    ai_pair.model.reply({"error": {"type": "overloaded_error", "message": "Overloaded"}})
    # When asked / Then 503
    r = await _ask(ai, mine.token, mine.app_id)
    assert r.status_code == 503, r.text
    assert "AI provider" in r.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": "x"},
        {"app_id": 1},
        {"app_id": 1, "query": ""},
        {"app_id": 1, "query": "x" * 1001},
        {"app_id": "1", "query": "x"},
    ],
)
async def test_query__invalid_body__400(ai: Client, body: dict[str, Any]) -> None:
    owner = await ai.register()
    r = await ai.request("POST", "/dashboard/query", owner["token"], json=body)
    assert r.status_code == 400, r.text


async def test_query__other_orgs_app__404_and_no_token__401(ai: Client, ai_pair: AiPair) -> None:
    mine, theirs = await _two_orgs(ai)
    r = await _ask(ai, mine.token, theirs.app_id)
    assert r.status_code == 404
    r = await ai.request("POST", "/dashboard/query", json={"app_id": mine.app_id, "query": "x"})
    assert r.status_code == 401
    assert ai_pair.model.requests() == []


async def test_query__reader_role_missing__503_naming_createrole(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    # Given a database user that could not create the reader role (as the migration records it)
    mine = await org_with_devices(ai, ["c-1"])
    saved = await db.fetchrow("SELECT password, error FROM nlq_private.reader")
    await db.execute(
        "UPDATE nlq_private.reader SET password = NULL, error = 'permission denied to create role'"
    )
    try:
        # When asked / Then 503 with the reason and what to do
        r = await _ask(ai, mine.token, mine.app_id)
        assert r.status_code == 503
        assert "permission denied to create role" in r.json()["error"] and "CREATEROLE" in r.json()["error"]
    finally:
        await db.execute(
            "UPDATE nlq_private.reader SET password = $1, error = $2", saved["password"], saved["error"]
        )


# --- the database alone: the sqlglot check switched off ---------------------------------------------------


@pytest.fixture
async def raw(unchecked_pair: AiPair) -> Any:
    unchecked_pair.model.reset()
    c = Client(unchecked_pair.base)
    yield c
    await c.close()


WRITES = [
    "DROP TABLE devices",
    "DELETE FROM devices",
    "UPDATE devices SET brand = 'owned'",
    "INSERT INTO devices (id, android_id) VALUES (999999, 'planted')",
    "WITH d AS (DELETE FROM devices RETURNING *) SELECT * FROM d",
    "TRUNCATE devices",
    "COPY devices FROM '/etc/hostname'",
    "CREATE TABLE planted (id int)",
    "ALTER TABLE devices ADD COLUMN planted int",
    "SET ROLE postgres",
    "DELETE FROM public.devices",
    "UPDATE public.users SET is_platform_admin = true",
    "GRANT SELECT ON public.users TO PUBLIC",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM public.devices",
    "SELECT * FROM users",
    "SELECT * FROM public.users",
    "SELECT * FROM nlq_private.sessions",
    "SELECT * FROM nlq_private.reader",
    "SELECT 1 FROM devices; DELETE FROM public.devices",
]


@pytest.mark.parametrize("sql", WRITES)
async def test_unchecked__writes_and_other_tables__refused_by_the_database(
    raw: Client, unchecked_pair: AiPair, db: asyncpg.Connection, sql: str
) -> None:
    # Given the SQL check off, and a model that writes a write or a read of a table it may not see
    mine, _ = await _two_orgs(raw)
    before = await _table_counts(db)
    brands = await db.fetchval("SELECT array_agg(DISTINCT brand) FROM devices")
    unchecked_pair.model.reply(sql_reply(sql))
    # When asked / Then the database refuses it (400 with its reason) and nothing changed
    r = await _ask(raw, mine.token, mine.app_id)
    assert r.status_code == 400, r.text
    assert "The database refused the query" in r.json()["error"]
    assert await _table_counts(db) == before
    assert await db.fetchval("SELECT array_agg(DISTINCT brand) FROM devices") == brands
    assert not await db.fetchval("SELECT bool_or(is_platform_admin) FROM users")


async def test_unchecked__session_user_is_the_reader__reset_role_changes_nothing(
    raw: Client, unchecked_pair: AiPair
) -> None:
    # Given the check off / When the model asks who it is
    mine, _ = await _two_orgs(raw)
    unchecked_pair.model.reply(sql_reply("SELECT current_user AS u, session_user AS s"), {"text": "ok"})
    r = await _ask(raw, mine.token, mine.app_id)
    # Then the session itself is the restricted role: there is no privileged role to RESET ROLE back to
    assert r.status_code == 200, r.text
    row = r.json()["data"][0]
    assert row["u"] == row["s"] and row["u"].startswith("vs_nlq_")


async def test_unchecked__guc_and_search_path_tricks__still_only_own_rows(
    raw: Client, unchecked_pair: AiPair
) -> None:
    # Given the check off, and SQL that sets the settings a GUC-based filter would read, then reads devices
    mine, theirs = await _two_orgs(raw)
    sql = (
        f"WITH s AS (SELECT set_config('vs.app_id', '{theirs.app_id}', true) AS a, "
        "set_config('search_path', 'public', true) AS b) "
        "SELECT d.android_id FROM s, nlq.devices d ORDER BY d.android_id"
    )
    unchecked_pair.model.reply(sql_reply(sql), {"text": "ok"})
    # When asked / Then only this app's devices come back
    r = await _ask(raw, mine.token, mine.app_id)
    assert r.status_code == 200, r.text
    assert [row["android_id"] for row in r.json()["data"]] == ["mine-1", "mine-2", "mine-3"]


async def test_unchecked__other_apps_rows_by_id__none(raw: Client, unchecked_pair: AiPair) -> None:
    mine, theirs = await _two_orgs(raw)
    ids = ", ".join(map(str, theirs.device_ids))
    unchecked_pair.model.reply(sql_reply(f"SELECT * FROM devices WHERE id IN ({ids})"), {"text": "none"})
    r = await _ask(raw, mine.token, mine.app_id)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []


async def test_unchecked__pg_sleep_60__cut_by_the_statement_timeout(
    raw: Client, unchecked_pair: AiPair
) -> None:
    # Given the check off and a 1 s statement timeout / When the model sleeps 60 s
    mine = await org_with_devices(raw, ["s-1"])
    unchecked_pair.model.reply(sql_reply("SELECT pg_sleep(60)"))
    r = await _ask(raw, mine.token, mine.app_id)
    # Then the statement is cancelled and the client told so
    assert r.status_code == 400, r.text
    assert "ran longer than 1000 ms and was cancelled" in r.json()["error"]


async def test_unchecked__large_object_created__rolled_back(
    raw: Client, unchecked_pair: AiPair, db: asyncpg.Connection
) -> None:
    # Given the check off, and SQL creating a large object (which read-only transactions allow before
    # PostgreSQL 18)
    mine = await org_with_devices(raw, ["l-1"])
    before = await db.fetchval("SELECT count(*) FROM pg_largeobject_metadata")
    unchecked_pair.model.reply(sql_reply("SELECT lo_create(0) AS oid"), {"text": "ok"})
    # When asked
    r = await _ask(raw, mine.token, mine.app_id)
    # Then either the database refused it, or it ran and its transaction was rolled back: no object is left
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert "read-only transaction" in r.json()["error"]
    assert await db.fetchval("SELECT count(*) FROM pg_largeobject_metadata") == before


async def test_unchecked__more_than_1000_rows__capped(raw: Client, unchecked_pair: AiPair) -> None:
    mine = await org_with_devices(raw, ["m-1"])
    unchecked_pair.model.reply(sql_reply("SELECT g FROM generate_series(1, 5000) g"), {"text": "many"})
    r = await _ask(raw, mine.token, mine.app_id)
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]) == 1000 and r.json()["truncated"] is True
