"""The blog (API.md section 12): operators write Markdown posts, anyone reads the published ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from tests.operators import ADMIN_TOKEN, make_operator
from tests.support import Client, Platform, add_member

EVIL_MARKDOWN = (
    "# Launch\n\nWe shipped <script>alert('x')</script> today.\n\n"
    '[docs](javascript:alert(1)) and <a href="javascript:alert(2)">more</a> '
    '<img src="https://example.com/a.png" onerror="alert(3)">\n'
)


@pytest.fixture(scope="module")
def admin_token_server(platform: Platform) -> Iterator[str]:
    proc, base = platform.serve(ADMIN_TOKEN=ADMIN_TOKEN)
    yield base
    proc.stop()


async def _post(client: Client, token: str, expect: int = 201, **fields: Any) -> dict[str, Any]:
    body = {"title": "Hello world", "body": "Some *text*.", **fields}
    r = await client.request("POST", "/blog/posts", token, json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def _count_posts(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM blog_posts")
    finally:
        await conn.close()


async def test_blog__markdown_with_script_and_javascript_links__rendered_without_them(
    client: Client, database_url: str
) -> None:
    # Given a platform operator
    operator = await make_operator(client, database_url)
    # When they post Markdown carrying a script element, javascript: links and an event handler
    post = await _post(client, operator["token"], title="Launch day", body=EVIL_MARKDOWN, status="published")
    # Then the stored Markdown is as written (outer whitespace trimmed), and the HTML has none of them
    assert post["body"] == EVIL_MARKDOWN.strip()
    html = post["html"].lower()
    assert "<script" not in html and "alert('x')" not in html
    assert "javascript:" not in html and "onerror" not in html
    assert "<h1>launch</h1>" in html and ">docs</a>" in html and ">more</a>" in html
    # And the public page shows the same sanitised HTML
    public = await client.request("GET", f"/blog/posts/slug/{post['slug']}")
    assert public.status_code == 200, public.text
    assert public.json()["html"] == post["html"]


async def test_blog__create_by_operator__201_and_listed_publicly_once_published(
    client: Client, database_url: str
) -> None:
    # Given an operator
    operator = await make_operator(client, database_url)
    token = operator["token"]
    # When they create a draft
    draft = await _post(client, token, title="Release notes: 4.1!", body="Intro paragraph.\n\nMore.")
    # Then it is a draft with a slug from the title and an excerpt from the body, not published
    assert draft["status"] == "draft" and draft["published_at"] is None
    assert draft["slug"] == "release-notes-4-1" and draft["excerpt"] == "Intro paragraph. More."
    assert draft["author_id"] == operator["user"]["id"]
    listing = await client.request("GET", "/blog/posts")
    assert listing.status_code == 200 and listing.json()["posts"] == [] and listing.json()["total"] == 0
    assert (await client.request("GET", f"/blog/posts/slug/{draft['slug']}")).status_code == 404
    # When they publish it
    r = await client.request("PUT", f"/blog/posts/{draft['id']}", token, json={"status": "published"})
    assert r.status_code == 200, r.text
    published = r.json()
    # Then it carries a publication date and anyone (no credentials) sees it in the list
    assert published["status"] == "published" and published["published_at"].endswith("Z")
    listing = await client.request("GET", "/blog/posts")
    assert listing.status_code == 200
    assert listing.json() == {
        "posts": [
            {
                "id": draft["id"],
                "title": "Release notes: 4.1!",
                "slug": "release-notes-4-1",
                "excerpt": "Intro paragraph. More.",
                "date": published["published_at"],
                "published_at": published["published_at"],
            }
        ],
        "page": 1,
        "per_page": 20,
        "total": 1,
    }
    # And the operator's organisation's activity log has both changes, the update with before and after
    activity = await client.request("GET", "/settings/activity?action=blog.*", token)
    entries = activity.json()["entries"]
    assert [e["action"] for e in entries] == ["blog.update", "blog.create"]
    assert entries[0]["resource_id"] == str(draft["id"])
    assert entries[0]["details"]["before"]["status"] == "draft"
    assert entries[0]["details"]["after"]["status"] == "published"


async def test_blog__list__newest_first_paged_drafts_and_scheduled_left_out(
    client: Client, database_url: str
) -> None:
    operator = await make_operator(client, database_url)
    token = operator["token"]
    # Given three published posts, a draft, and one scheduled for next year
    for n, day in enumerate(("2026-01-01", "2026-02-01", "2026-03-01")):
        await _post(client, token, title=f"Post {n}", status="published", published_at=f"{day}T10:00:00Z")
    await _post(client, token, title="Draft")
    await _post(client, token, title="Later", status="published", published_at="2099-01-01T00:00:00Z")
    # When the public list is read two at a time
    first = (await client.request("GET", "/blog/posts?per_page=2")).json()
    second = (await client.request("GET", "/blog/posts?per_page=2&page=2")).json()
    # Then it pages through the three published ones, newest first
    assert [p["title"] for p in first["posts"]] == ["Post 2", "Post 1"]
    assert [p["title"] for p in second["posts"]] == ["Post 0"]
    assert first["total"] == second["total"] == 3
    assert first["posts"][0]["date"] == "2026-03-01T10:00:00Z"
    # And operators see all five, drafts included
    every = (await client.request("GET", "/blog/admin/posts?per_page=10", token)).json()
    assert every["total"] == 5 and {p["status"] for p in every["posts"]} == {"draft", "published"}
    drafts = (await client.request("GET", "/blog/admin/posts?status=draft", token)).json()
    assert [p["title"] for p in drafts["posts"]] == ["Draft"]


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=101", "page=abc"])
async def test_blog__list_bad_paging__400(client: Client, query: str) -> None:
    r = await client.request("GET", f"/blog/posts?{query}")
    assert r.status_code == 400 and "error" in r.json()


async def test_blog__duplicate_slug__409_and_generated_slugs_made_unique(
    client: Client, database_url: str
) -> None:
    operator = await make_operator(client, database_url)
    token = operator["token"]
    # Given a post with slug "hello-world"
    first = await _post(client, token)
    assert first["slug"] == "hello-world"
    # When another one asks for that slug explicitly
    duplicate = await _post(client, token, expect=409, slug="hello-world")
    # Then it is refused and nothing is stored
    assert duplicate == {"error": "A post with this slug already exists"}
    assert await _count_posts(database_url) == 1
    # And a post whose title gives the same slug gets the next free one
    assert (await _post(client, token))["slug"] == "hello-world-2"
    assert (await _post(client, token))["slug"] == "hello-world-3"
    # And changing a post's slug to a taken one is 409, the post unchanged
    second = await _post(client, token, title="Other")
    r = await client.request("PUT", f"/blog/posts/{second['id']}", token, json={"slug": "hello-world"})
    assert r.status_code == 409
    assert (await client.request("GET", f"/blog/posts/{second['id']}", token)).json()["slug"] == "other"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "x"}, "title"),
        ({"title": "", "body": "x"}, "title"),
        ({"title": "t"}, "body"),
        ({"title": "t", "body": "x", "slug": "Not A Slug"}, "slug"),
        ({"title": "t", "body": "x", "slug": "-x"}, "slug"),
        ({"title": "t", "body": "x", "status": "archived"}, "status"),
        ({"title": "t", "body": "x", "published_at": "yesterday"}, "published_at"),
        ({"title": 5, "body": "x"}, "title"),
        ({"title": "t", "body": "x" * 200_001}, "body"),
    ],
)
async def test_blog__invalid_post__400_naming_the_field_nothing_stored(
    client: Client, database_url: str, body: dict[str, Any], field: str
) -> None:
    operator = await make_operator(client, database_url)
    r = await client.request("POST", "/blog/posts", operator["token"], json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["details"]
    assert await _count_posts(database_url) == 0


async def test_blog__published_at_out_of_range__400(client: Client, database_url: str) -> None:
    operator = await make_operator(client, database_url)
    body = {"title": "t", "body": "x", "published_at": "1900-01-01T00:00:00Z"}
    r = await client.request("POST", "/blog/posts", operator["token"], json=body)
    assert r.status_code == 400 and r.json()["details"] == {"published_at": "must be between 2000 and 2100"}
    assert await _count_posts(database_url) == 0


async def test_blog__update__body_rerendered_excerpt_follows_fields_kept(
    client: Client, database_url: str
) -> None:
    operator = await make_operator(client, database_url)
    token = operator["token"]
    post = await _post(client, token, title="Notes", body="Old text.")
    # When only the body changes
    r = await client.request(
        "PUT", f"/blog/posts/{post['id']}", token, json={"body": "New <b>bold</b> text."}
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    # Then the HTML and the derived excerpt follow it, the rest stays
    assert updated["html"] == "<p>New <b>bold</b> text.</p>\n"
    assert updated["excerpt"] == "New bold text."
    assert (updated["title"], updated["slug"], updated["status"]) == ("Notes", "notes", "draft")
    # And an excerpt written by hand stays when the body changes again
    await client.request("PUT", f"/blog/posts/{post['id']}", token, json={"excerpt": "Handwritten."})
    r = await client.request("PUT", f"/blog/posts/{post['id']}", token, json={"body": "Third."})
    assert r.json()["excerpt"] == "Handwritten."
    # And null asks for the derived one again; null for a required field is 400
    r = await client.request("PUT", f"/blog/posts/{post['id']}", token, json={"excerpt": None})
    assert r.json()["excerpt"] == "Third."
    r = await client.request("PUT", f"/blog/posts/{post['id']}", token, json={"title": None})
    assert r.status_code == 400 and r.json()["details"] == {"title": "cannot be null"}


async def test_blog__unknown_post__404(client: Client, database_url: str) -> None:
    operator = await make_operator(client, database_url)
    for method, body in (("GET", None), ("PUT", {"title": "x"})):
        r = await client.request(method, "/blog/posts/2147483000", operator["token"], json=body)
        assert r.status_code == 404, r.text
    assert (await client.request("GET", "/blog/posts/slug/no-such-post")).status_code == 404


async def test_blog__org_roles_and_no_credentials__cannot_write_or_read_drafts(
    client: Client, database_url: str
) -> None:
    # Given an operator's draft, an org owner and a viewer (no platform operators)
    operator = await make_operator(client, database_url)
    draft = await _post(client, operator["token"])
    owner = await client.register()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    body = {"title": "Mine", "body": "x"}
    # When they try to write or read drafts / Then JWTs of orgs are 403 and no credentials 401
    for token, status in ((owner["token"], 403), (viewer["token"], 403), (None, 401)):
        assert (await client.request("POST", "/blog/posts", token, json=body)).status_code == status
        assert (
            await client.request("PUT", f"/blog/posts/{draft['id']}", token, json=body)
        ).status_code == status
        assert (await client.request("GET", f"/blog/posts/{draft['id']}", token)).status_code == status
        assert (await client.request("GET", "/blog/admin/posts", token)).status_code == status
    # And nothing changed
    assert await _count_posts(database_url) == 1
    stored = await client.request("GET", f"/blog/posts/{draft['id']}", operator["token"])
    assert stored.json()["title"] == "Hello world"


async def test_blog__admin_token__creates_posts_without_an_author(
    admin_token_server: str, database_url: str
) -> None:
    client = Client(admin_token_server)
    try:
        headers = {"X-Admin-Token": ADMIN_TOKEN}
        r = await client.request("POST", "/blog/posts", json={"title": "Ops", "body": "x"}, headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["author_id"] is None
        wrong = await client.request(
            "POST", "/blog/posts", json={"title": "Ops", "body": "x"}, headers={"X-Admin-Token": "x" * 40}
        )
        assert wrong.status_code == 401
    finally:
        await client.close()
    assert await _count_posts(database_url) == 1
