"""POST /blog/generate (API.md section 12): operators draft a post with the model (the Anthropic stand-in)."""

from __future__ import annotations

import asyncpg

from tests.api.ai.conftest import AiPair
from tests.operators import make_operator
from tests.support import Client

EVIL_BODY = (
    "## Why flags\n\nShip dark, then [turn it on](javascript:alert(1)).\n\n<script>alert('x')</script>\n\n"
    "Roll out to **10 %** first."
)


async def test_generate__operator__draft_stored_sanitised_and_not_published(
    ai: Client, ai_pair: AiPair, database_url: str, db: asyncpg.Connection
) -> None:
    # Given an operator, and a model that writes a post with a script and a javascript: link
    operator = await make_operator(ai, database_url)
    ai_pair.model.reply(
        {
            "tool_use": {
                "name": "write_post",
                "input": {
                    "title": "Feature flags  for Android",
                    "excerpt": "Ship safely.",
                    "body": EVIL_BODY,
                },
            }
        }
    )
    # When the operator asks for a draft
    r = await ai.request(
        "POST",
        "/blog/generate",
        operator["token"],
        params={"wait": 30},
        json={"topic": "Feature flags on Android", "keywords": ["rollout", "  kill   switch "]},
    )
    # Then the draft comes back inline, stored as a draft with its HTML sanitised
    assert r.status_code == 200, r.text
    post = r.json()
    assert post["status"] == "draft" and post["published_at"] is None
    assert post["title"] == "Feature flags for Android" and post["excerpt"] == "Ship safely."
    assert post["body"] == EVIL_BODY
    assert "<script" not in post["html"] and "javascript:" not in post["html"]
    assert "<strong>10 %</strong>" in post["html"]
    assert await db.fetchval("SELECT status FROM blog_posts WHERE id = $1", post["id"]) == "draft"
    # And the model was asked through the write_post tool with the topic and the cleaned keywords
    sent = ai_pair.model.requests()[-1]["body"]
    assert sent["tool_choice"] == {"type": "tool", "name": "write_post"}
    assert "Feature flags on Android" in sent["messages"][0]["content"]
    assert "rollout, kill switch" in sent["messages"][0]["content"]
    # And the public list does not show a draft
    listed = await ai.request("GET", "/blog/posts")
    assert post["id"] not in [p["id"] for p in listed.json()["posts"]]


async def test_generate__model_writes_no_body__503_and_nothing_stored(
    ai: Client, ai_pair: AiPair, database_url: str, db: asyncpg.Connection
) -> None:
    # Given an operator and a model that answers the tool with an empty body
    operator = await make_operator(ai, database_url)
    ai_pair.model.reply({"tool_use": {"name": "write_post", "input": {"title": "Empty", "body": "  "}}})
    # When a draft is asked for
    r = await ai.request(
        "POST", "/blog/generate", operator["token"], params={"wait": 30}, json={"topic": "Nothing at all"}
    )
    # Then it fails with 503 and no post is stored
    assert r.status_code == 503, r.text
    assert "no post" in r.json()["error"]
    assert await db.fetchval("SELECT count(*) FROM blog_posts") == 0


async def test_generate__without_api_key__503_naming_the_setting(
    client: Client, database_url: str, db: asyncpg.Connection
) -> None:
    # Given the session's platform, which has no ANTHROPIC_API_KEY
    operator = await make_operator(client, database_url)
    # When an operator asks for a draft
    r = await client.request("POST", "/blog/generate", operator["token"], json={"topic": "Flags"})
    # Then 503 says what to configure, and nothing was stored or queued
    assert r.status_code == 503
    assert "ANTHROPIC_API_KEY" in r.json()["error"]
    assert await db.fetchval("SELECT count(*) FROM blog_posts") == 0


async def test_generate__not_an_operator_or_bad_input__refused(ai: Client, database_url: str) -> None:
    # Given an org owner who is not a platform operator, and an operator
    owner = await ai.register()
    operator = await make_operator(ai, database_url)
    # Then the owner is refused, as is a caller without credentials
    r = await ai.request("POST", "/blog/generate", owner["token"], json={"topic": "Flags"})
    assert r.status_code == 403
    assert (await ai.request("POST", "/blog/generate", json={"topic": "Flags"})).status_code == 401
    # And bad bodies are 400 naming the field
    for body, field in (
        ({"topic": "ab"}, "topic"),
        ({"topic": "Flags", "keywords": ["k"] * 21}, "keywords"),
        ({"topic": "Flags", "keywords": ["x" * 61]}, "keywords"),
        ({"keywords": ["a"]}, "topic"),
    ):
        r = await ai.request("POST", "/blog/generate", operator["token"], json=body)
        assert r.status_code == 400, (body, r.text)
        assert field in str(r.json().get("details")), r.text
