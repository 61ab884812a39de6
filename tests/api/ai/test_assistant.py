"""POST /ai/chat, reports, sentiment, cross-analysis, ASO and usage over HTTP (API.md section 7)."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.api.ai.conftest import AiPair, org_with_devices
from tests.support import Client, add_member, poll_job


def _tool(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_use": {"name": name, "input": arguments}}


async def _chat(client: Client, token: str, message: str, conversation_id: int | None = None) -> Any:
    body: dict[str, Any] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return await client.request("POST", "/ai/chat", token, json=body)


# --- chat ------------------------------------------------------------------------------------------------


async def test_chat__tool_call__reply_cites_the_tools_numbers_and_history_is_kept(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    # Given an app with 3 devices, and a model that looks up the overview, then answers
    mine = await org_with_devices(ai, ["c-1", "c-2", "c-3"])
    ai_pair.model.reply(_tool("get_overview", app_id=mine.app_id), {"text": "Your app has 3 devices."})
    # When the owner asks
    r = await _chat(ai, mine.token, "How many devices do I have?")
    # Then the reply is the model's, with the tool call and its real result as sources
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["reply"] == "Your app has 3 devices."
    (source,) = first["sources"]
    assert (
        source["tool"] == "get_overview" and source["result"]["total_devices"] == 3 and not source["is_error"]
    )
    # and the model got the tool's numbers back, and was shown the org's apps only
    requests = ai_pair.model.requests()
    result = requests[1]["body"]["messages"][-1]["content"][0]
    assert result["type"] == "tool_result" and '"total_devices":3' in result["content"]
    assert f"app_id {mine.app_id}:" in requests[0]["body"]["system"]
    assert {t["name"] for t in requests[0]["body"]["tools"]} == {
        "get_overview",
        "get_trends",
        "get_segments",
        "run_funnel",
        "ask_data",
    }
    # When the conversation goes on
    ai_pair.model.reply({"text": "Still 3."})
    r = await _chat(ai, mine.token, "And now?", first["conversation_id"])
    assert r.status_code == 200 and r.json()["conversation_id"] == first["conversation_id"]
    # Then the model saw the history (the first question, the tool call and its result)
    history = ai_pair.model.requests()[-1]["body"]["messages"]
    assert history[0]["content"][0]["text"] == "How many devices do I have?"
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant", "user"]
    # and the conversation is kept for its user
    r = await ai.request("GET", f"/ai/conversations/{first['conversation_id']}", mine.token)
    assert r.status_code == 200 and len(r.json()["messages"]) == 6
    listed = await ai.request("GET", "/ai/conversations", mine.token)
    assert [c["id"] for c in listed.json()["conversations"]] == [first["conversation_id"]]
    assert (
        await db.fetchval(
            "SELECT count(*) FROM activity_log WHERE action = 'ai.chat' AND org_id = $1", mine.org_id
        )
        == 2
    )


async def test_chat__tool_names_another_orgs_app__not_found_result_never_data(
    ai: Client, ai_pair: AiPair
) -> None:
    # Given two orgs, and a model that calls tools with the other org's app id
    mine = await org_with_devices(ai, ["m-1"])
    theirs = await org_with_devices(ai, ["t-1", "t-2"])
    ai_pair.model.reply(
        {"content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_overview", "input": {"app_id": theirs.app_id}},
            {"type": "tool_use", "id": "toolu_2", "name": "get_trends", "input": {"app_id": theirs.app_id, "days": 7}},
        ]},
        {"text": "I cannot see that app."},
    )  # fmt: skip
    # When asked
    r = await _chat(ai, mine.token, "How is app X doing?")
    # Then both tools answered not-found, and nothing of the other org reached the model
    assert r.status_code == 200, r.text
    assert [s["is_error"] for s in r.json()["sources"]] == [True, True]
    results = ai_pair.model.requests()[1]["body"]["messages"][-1]["content"]
    assert all("not found" in block["content"] and block["is_error"] for block in results)
    assert not any("total_devices" in block["content"] or "trends" in block["content"] for block in results)


async def test_chat__provider_fails_mid_turn__503_and_nothing_stored(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection
) -> None:
    mine = await org_with_devices(ai, ["f-1"])
    ai_pair.model.reply(
        _tool("get_segments", app_id=mine.app_id), {"error": {"type": "api_error", "message": "boom"}}
    )
    r = await _chat(ai, mine.token, "Segments?")
    assert r.status_code == 503
    assert await db.fetchval("SELECT count(*) FROM ai_conversations WHERE org_id = $1", mine.org_id) == 0


async def test_chat__rate_limited__429_retry_after(ai: Client, ai_pair: AiPair) -> None:
    mine = await org_with_devices(ai, [])
    ai_pair.model.reply({"error": {"type": "rate_limit_error", "message": "slow", "retry_after": 3}})
    r = await _chat(ai, mine.token, "Hi")
    assert r.status_code == 429 and r.headers["Retry-After"] == "3"


async def test_chat__others_conversation__404__viewer_may_chat(
    ai: Client, ai_pair: AiPair, database_url: str
) -> None:
    # Given the owner's conversation
    mine = await org_with_devices(ai, [])
    ai_pair.model.reply({"text": "Hello."})
    conversation_id = (await _chat(ai, mine.token, "Hi")).json()["conversation_id"]
    viewer = await add_member(database_url, mine.org_id, "viewer", ai)
    stranger = await org_with_devices(ai, [])
    # When a viewer of the org, or another org's owner, names it / Then it is not found (kept per user)
    for token in (viewer["token"], stranger.token):
        assert (await _chat(ai, token, "Hi", conversation_id)).status_code == 404
        assert (await ai.request("GET", f"/ai/conversations/{conversation_id}", token)).status_code == 404
    # and a viewer may start their own (read-only tools)
    ai_pair.model.reply({"text": "Hello viewer."})
    r = await _chat(ai, viewer["token"], "Hi")
    assert r.status_code == 200 and r.json()["reply"] == "Hello viewer."
    for body in ({}, {"message": ""}, {"message": "x" * 4001}, {"message": "x", "conversation_id": "1"}):
        assert (await ai.request("POST", "/ai/chat", mine.token, json=body)).status_code == 400


# --- reports ---------------------------------------------------------------------------------------------


async def test_reports__weekly_with_model__stored_listed_and_logged_once(
    ai: Client, ai_pair: AiPair, db: asyncpg.Connection, database_url: str
) -> None:
    # Given an app, and a model that writes the narrative
    mine = await org_with_devices(ai, ["r-1"])
    ai_pair.model.reply({"text": "A quiet week.\n- Keep going."})
    # When the owner asks for a weekly report
    r = await ai.request(
        "POST", "/ai/reports", mine.token, params={"wait": 30}, json={"app_id": mine.app_id, "type": "weekly"}
    )
    # Then the job answers the stored report
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["type"] == "weekly" and report["content"] == "A quiet week.\n- Keep going."
    assert report["narrative_source"] == "model" and "weekly_report" in report["data"]
    # and it is listed and readable, by a viewer too
    viewer = await add_member(database_url, mine.org_id, "viewer", ai)
    listed = await ai.request("GET", "/ai/reports", viewer["token"], params={"app_id": mine.app_id})
    assert [x["id"] for x in listed.json()["reports"]] == [report["id"]]
    one = await ai.request("GET", f"/ai/reports/{report['id']}", viewer["token"])
    assert one.status_code == 200 and one.json() == report
    # and the activity log has exactly one entry for it, written with the report
    rows = await db.fetch(
        "SELECT resource_id FROM activity_log WHERE action = 'report.create' AND org_id = $1", mine.org_id
    )
    assert [r["resource_id"] for r in rows] == [str(report["id"])]
    # and a viewer cannot create one; a bad type is 400; another org's app 404
    r = await ai.request(
        "POST", "/ai/reports", viewer["token"], json={"app_id": mine.app_id, "type": "weekly"}
    )
    assert r.status_code == 403
    r = await ai.request("POST", "/ai/reports", mine.token, json={"app_id": mine.app_id, "type": "monthly"})
    assert r.status_code == 400
    other = await org_with_devices(ai, [])
    r = await ai.request("POST", "/ai/reports", mine.token, json={"app_id": other.app_id, "type": "weekly"})
    assert r.status_code == 404
    assert (await ai.request("GET", f"/ai/reports/{report['id']}", other.token)).status_code == 404


async def test_reports__without_key__template_for_every_type(client: Client, worker: None) -> None:
    mine = await org_with_devices(client, ["n-1"])
    for kind, expect in (
        ("revenue", "Revenue over 30 days"),
        ("daily_summary", "active devices"),
        ("weekly", "active devices"),
        ("competitor", "not available: no Play Store snapshots"),
        ("review", "not available: no Play Store snapshots"),
    ):
        r = await client.request(
            "POST", "/ai/reports", mine.token, params={"wait": 30}, json={"app_id": mine.app_id, "type": kind}
        )
        assert r.status_code == 200, r.text
        assert r.json()["narrative_source"] == "template" and expect in r.json()["content"], (kind, r.json())


# --- sentiment --------------------------------------------------------------------------------------------

REVIEWS = ["Great app, love it!", "Crashes all the time, terrible.", "It is an app."]


async def _sentiment(client: Client, token: str, body: dict[str, Any]) -> Any:
    return await client.request("POST", "/ai/sentiment", token, params={"wait": 30}, json=body)


async def test_sentiment__without_key__vader_labels(client: Client, worker: None) -> None:
    owner = await client.register()
    r = await _sentiment(client, owner["token"], {"reviews": REVIEWS})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["label"] for x in body["results"]] == ["positive", "negative", "neutral"]
    assert body["source"] == "vader" and body["counts"] == {"positive": 1, "neutral": 1, "negative": 1}


async def test_sentiment__with_key__fast_model_in_batches_vader_for_what_it_left_out(
    ai: Client, ai_pair: AiPair
) -> None:
    # Given 30 reviews (two batches of 25 and 5), and a model that labels all but review 1
    owner = await ai.register()
    reviews = REVIEWS + [f"Review number {i} is fine" for i in range(27)]
    first = [{"index": i, "label": "positive", "score": 0.9} for i in range(25) if i != 1]
    second = [{"index": i, "label": "neutral", "score": 0.0} for i in range(5)]
    ai_pair.model.reply(
        _tool("record_sentiments", sentiments=first),
        _tool("record_sentiments", sentiments=second),
        {"text": "Mostly happy."},
    )
    # When analysed
    r = await _sentiment(ai, owner["token"], {"reviews": reviews})
    # Then the model's labels are used, review 1 falls back to VADER, and the summary is the model's
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "model" and body["summary"] == "Mostly happy."
    assert body["results"][0]["label"] == "positive" and body["results"][0]["source"] == "model"
    assert body["results"][1]["label"] == "negative" and body["results"][1]["source"] == "vader"
    assert body["results"][29]["label"] == "neutral"
    requests = ai_pair.model.requests()
    assert [q["body"]["model"] for q in requests] == ["claude-haiku-5-5"] * 3
    assert requests[1]["body"]["messages"][0]["content"].startswith("[0] Review number 22")


async def test_sentiment__package__no_snapshots_says_so__bad_bodies_400(client: Client, worker: None) -> None:
    owner = await client.register()
    r = await _sentiment(client, owner["token"], {"package_name": "com.example.game"})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [] and r.json()["playstore"] == "not available: no Play Store snapshots"
    for body in (
        {},
        {"package_name": "com.x.y", "reviews": ["a"]},
        {"reviews": []},
        {"reviews": [""]},
        {"package_name": "nope"},
    ):
        assert (await _sentiment(client, owner["token"], body)).status_code == 400, body


# --- cross-analysis, ASO, usage, no key ----------------------------------------------------------------


async def test_aso_and_cross_analysis__no_play_store_yet__say_so(client: Client) -> None:
    mine = await org_with_devices(client, [])
    theirs = await org_with_devices(client, [])
    package = (await client.request("GET", f"/apps/{mine.app_id}", mine.token)).json()["package_name"]
    for params in ({"app_id": mine.app_id}, {"package_name": package}):
        r = await client.request("GET", "/ai/aso", mine.token, params=params)
        assert r.status_code == 200, r.text
        assert r.json()["playstore"] == "not available: no Play Store snapshots" and r.json()["suggestions"]
    r = await client.request("GET", "/ai/cross-analysis", mine.token, params={"app_id": mine.app_id})
    assert r.status_code == 200 and r.json()["playstore"] == "not available: no Play Store snapshots"
    assert "Play Store metrics are not available" in r.json()["narrative"]
    assert (
        await client.request("GET", "/ai/aso", mine.token, params={"app_id": theirs.app_id})
    ).status_code == 404
    assert (
        await client.request("GET", "/ai/aso", mine.token, params={"package_name": "com.not.mine"})
    ).status_code == 404
    assert (await client.request("GET", "/ai/aso", mine.token)).status_code == 400
    r = await client.request(
        "GET", "/ai/aso", mine.token, params={"app_id": mine.app_id, "package_name": "com.x.y"}
    )
    assert r.status_code == 400
    r = await client.request("GET", "/ai/cross-analysis", mine.token, params={"app_id": theirs.app_id})
    assert r.status_code == 404


async def test_without_key__query_and_chat_503__others_answer(client: Client, database_url: str) -> None:
    # Given the session's server, which has no ANTHROPIC_API_KEY
    mine = await org_with_devices(client, ["k-1"])
    # When the routes only a model can serve are called / Then 503 naming the setting
    r = await client.request(
        "POST", "/dashboard/query", mine.token, json={"app_id": mine.app_id, "query": "x"}
    )
    assert r.status_code == 503 and "ANTHROPIC_API_KEY" in r.json()["error"]
    r = await _chat(client, mine.token, "Hi")
    assert r.status_code == 503 and "ANTHROPIC_API_KEY" in r.json()["error"]
    # and insights and churn risk still answer
    for path in ("/ai/insights", "/ai/churn-risk", "/ai/cross-analysis", "/ai/aso"):
        r = await client.request("GET", path, mine.token, params={"app_id": mine.app_id})
        assert r.status_code == 200, (path, r.text)


async def test_usage__admins_only__bad_days_400(client: Client, database_url: str) -> None:
    mine = await org_with_devices(client, [])
    viewer = await add_member(database_url, mine.org_id, "viewer", client)
    assert (await client.request("GET", "/ai/usage", viewer["token"])).status_code == 403
    assert (await client.request("GET", "/ai/usage", mine.token, params={"days": 0})).status_code == 400
    r = await client.request("GET", "/ai/usage", mine.token)
    assert r.status_code == 200 and r.json()["totals"] == {
        "requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
    }


async def test_query_job__wait_0__202_then_result(ai: Client, ai_pair: AiPair) -> None:
    mine = await org_with_devices(ai, ["w-1"])
    ai_pair.model.reply(
        {"tool_use": {"name": "run_sql", "input": {"sql": "SELECT count(*) AS n FROM devices"}}},
        {"text": "1"},
    )
    r = await ai.request(
        "POST",
        "/dashboard/query",
        mine.token,
        params={"wait": 0},
        json={"app_id": mine.app_id, "query": "n?"},
    )
    assert r.status_code == 202, r.text
    job = await poll_job(ai, mine.token, r.json()["job_id"], {"done", "failed"})
    assert job["status"] == "done" and job["result"]["data"] == [{"n": 1}]
