"""The platform's blog: posts written in Markdown by operators, published ones readable by anyone."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import nh3
from markdown_it import MarkdownIt
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.clock import iso, utcnow
from core.errors import BadRequest, Conflict, NotFound, ServiceUnavailable
from core.models import BlogPost
from core.settings import Settings
from pipelines import activity

DRAFT, PUBLISHED = "draft", "published"
STATUSES = (DRAFT, PUBLISHED)
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SLUG = 120
MAX_TITLE = 255
MAX_EXCERPT = 500
MAX_BODY = 200_000
EXCERPT_FROM_BODY = 280
# Links and images may point only here; `javascript:`, `data:` and the like lose their href/src.
URL_SCHEMES = {"http", "https", "mailto"}
DUPLICATE_SLUG = "A post with this slug already exists"

_markdown = MarkdownIt("commonmark", {"html": True})
# Let every link through the parser: the sanitiser drops a forbidden scheme's href and keeps the link's
# text, where markdown-it would print `[text](javascript:...)` verbatim.
_markdown.validateLink = lambda url: True  # type: ignore[method-assign]


def render(markdown: str) -> str:
    """Markdown as HTML safe to embed: markdown-it-py (CommonMark), then nh3 removes scripts, styles,
    event handlers and every URL outside http(s)/mailto."""
    return nh3.clean(_markdown.render(markdown), url_schemes=URL_SCHEMES)


def plain_excerpt(markdown: str, limit: int = EXCERPT_FROM_BODY) -> str:
    """The first paragraphs of the rendered post as plain text, cut at a word near `limit`."""
    text = html.unescape(re.sub(r"\s+", " ", nh3.clean(render(markdown), tags=set()))).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


def slugify(title: str) -> str:
    """`Hello, Wörld!` -> `hello-world` (ASCII letters and digits joined by single dashes)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-") or "post"


def post_summary(post: BlogPost) -> dict[str, Any]:
    """A published post as the public list shows it."""
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "excerpt": post.excerpt,
        "date": iso(post.published_at),
        "published_at": iso(post.published_at),
    }


def public_post(post: BlogPost) -> dict[str, Any]:
    """A published post with its rendered body."""
    return {**post_summary(post), "html": post.html, "updated_at": iso(post.updated_at)}


def post_body(post: BlogPost) -> dict[str, Any]:
    """A post as operators see it: Markdown source, rendered HTML, status."""
    return {
        "id": post.id,
        "title": post.title,
        "slug": post.slug,
        "excerpt": post.excerpt,
        "body": post.body,
        "html": post.html,
        "status": post.status,
        "published_at": iso(post.published_at),
        "author_id": post.author_id,
        "created_at": iso(post.created_at),
        "updated_at": iso(post.updated_at),
    }


def _visible() -> Q:
    """Published, and not scheduled for later."""
    return Q(status=PUBLISHED, published_at__lte=utcnow())


async def list_published(page: int, per_page: int) -> tuple[list[BlogPost], int]:
    """One page of published posts, newest first."""
    query = BlogPost.filter(_visible())
    total = await query.count()
    posts = await query.order_by("-published_at", "-id").offset((page - 1) * per_page).limit(per_page)
    return posts, total


async def published_by_slug(slug: str) -> BlogPost:
    """A published post; NotFound for drafts, scheduled and unknown slugs alike."""
    post = await BlogPost.filter(_visible(), slug=slug).first()
    if post is None:
        raise NotFound("Post not found")
    return post


async def list_posts(status: str | None, page: int, per_page: int) -> tuple[list[BlogPost], int]:
    """Every post (or those of one status), newest first, for operators."""
    query = BlogPost.filter(status=status) if status else BlogPost.all()
    total = await query.count()
    posts = await query.order_by("-created_at", "-id").offset((page - 1) * per_page).limit(per_page)
    return posts, total


async def get_post(post_id: int) -> BlogPost:
    post = await BlogPost.get_or_none(id=post_id)
    if post is None:
        raise NotFound("Post not found")
    return post


async def _free_slug(base: str, conn: Any) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever no post has yet."""
    taken = set(
        await BlogPost.filter(Q(slug=base) | Q(slug__startswith=f"{base}-"))
        .using_db(conn)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while (candidate := f"{base[: MAX_SLUG - len(str(n)) - 1]}-{n}") in taken:
        n += 1
    return candidate


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """A requested time as UTC (without a zone: taken as UTC), within 2000..2100 (else 400)."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise BadRequest("Invalid post", {"published_at": "must be between 2000 and 2100"})
    return value


def _publication(status: str, published_at: datetime | None, current: datetime | None) -> datetime | None:
    """When a post counts as published: as given, else kept, else now on first publication."""
    if published_at is not None:
        return _utc(published_at)
    if status == PUBLISHED and current is None:
        return utcnow()
    return current


async def create_post(values: dict[str, Any], author_id: int | None, action: str | None = None) -> BlogPost:
    """Create a post (slug from the title unless given; a given slug already taken: 409)."""
    status = values.get("status") or DRAFT
    async with in_transaction() as conn:
        slug = values.get("slug") or await _free_slug(slugify(values["title"]), conn)
        try:
            post = await BlogPost.create(
                title=values["title"],
                slug=slug,
                excerpt=values.get("excerpt") or plain_excerpt(values["body"]),
                body=values["body"],
                html=render(values["body"]),
                status=status,
                published_at=_publication(status, values.get("published_at"), None),
                author_id=author_id,
                using_db=conn,
            )
        except IntegrityError:
            raise Conflict(DUPLICATE_SLUG) from None
        await activity.record_change(conn, post.id, {"after": post_body(post)}, action=action)
    return post


EDITABLE = ("title", "slug", "excerpt", "body", "status", "published_at")


async def update_post(post_id: int, changes: dict[str, Any]) -> tuple[BlogPost, dict[str, Any]]:
    """Change any of the post's fields; returns it and {before, after} of what changed (409 for a slug
    another post has)."""
    async with in_transaction() as conn:
        post = await BlogPost.filter(id=post_id).using_db(conn).select_for_update().first()
        if post is None:
            raise NotFound("Post not found")
        wanted = {k: v for k, v in changes.items() if k in EDITABLE}
        body = wanted.get("body", post.body)
        if "excerpt" in wanted and wanted["excerpt"] is None:
            wanted["excerpt"] = plain_excerpt(body)  # null: derived from the body again
        elif "body" in wanted and "excerpt" not in wanted and post.excerpt == plain_excerpt(post.body):
            wanted["excerpt"] = plain_excerpt(body)  # an excerpt derived from the body follows it
        status = wanted.get("status", post.status)
        wanted["published_at"] = _publication(status, wanted.get("published_at"), post.published_at)
        diff = {k: v for k, v in wanted.items() if getattr(post, k) != v}
        if not diff:
            return post, {}
        before = {k: getattr(post, k) for k in diff}
        post.update_from_dict(diff)
        if "body" in diff:
            post.html = render(post.body)
        try:
            await post.save(using_db=conn)
        except IntegrityError:
            raise Conflict(DUPLICATE_SLUG) from None
        details = {"before": _jsonable(before), "after": _jsonable(diff)}
        await activity.record_change(conn, post.id, details)
    return post, details


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


# The one tool a blog draft is written through, so title, excerpt and body arrive as fields, not prose.
WRITE_POST_TOOL = {
    "name": "write_post",
    "description": "Save the drafted blog post.",
    "input_schema": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "at most 80 characters"},
            "excerpt": {"type": "string", "description": "one sentence"},
            "body": {"type": "string", "description": "the post in Markdown"},
        },
        "required": ["title", "body"],
    },
}


async def generate_draft(
    settings: Settings, topic: str, keywords: list[str], author_id: int | None
) -> BlogPost:
    """Draft a post about `topic` with the model (POST /blog/generate): stored as a draft, rendered and sanitised
    like any post. 503 without an API key or when the model writes nothing usable."""
    from pipelines.ai import client, prompts

    client.require_configured(settings, "Blog drafts")
    completion = await client.complete(
        settings,
        None,
        system=prompts.BLOG_SYSTEM,
        messages=[{"role": "user", "content": prompts.blog_request(topic, keywords)}],
        tools=[WRITE_POST_TOOL],
        tool_choice={"type": "tool", "name": WRITE_POST_TOOL["name"]},
    )
    call = next((c for c in completion.tool_calls if c.name == WRITE_POST_TOOL["name"]), None)
    fields = call.input if call is not None else {}
    body = str(fields.get("body") or "").strip()[:MAX_BODY]
    if not body:
        raise ServiceUnavailable("The model wrote no post; try again")
    title = " ".join(str(fields.get("title") or "").split())[:MAX_TITLE] or topic[:MAX_TITLE]
    excerpt = " ".join(str(fields.get("excerpt") or "").split())[:MAX_EXCERPT] or None
    return await create_post(
        {"title": title, "body": body, "excerpt": excerpt, "status": DRAFT}, author_id, action="blog.generate"
    )
