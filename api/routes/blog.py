"""The platform's blog (API.md section 12): published posts for anyone, writing for operators."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, HTTPResponse, Request

from actors import operator as operator_actors
from api.auth import OPERATOR, PUBLIC, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routing import Body, Query, endpoint, set_fields
from pipelines import blog
from pipelines.ai import client as ai_client

bp = Blueprint("blog", url_prefix="/api/v4/blog")

Status = Literal["draft", "published"]


class PostIn(Body):
    title: str = Field(min_length=1, max_length=blog.MAX_TITLE)
    body: str = Field(min_length=1, max_length=blog.MAX_BODY, description="Markdown (CommonMark)")
    slug: str | None = Field(
        None,
        min_length=1,
        max_length=blog.MAX_SLUG,
        pattern=blog.SLUG_PATTERN,
        description="default: from the title",
    )
    excerpt: str | None = Field(None, max_length=blog.MAX_EXCERPT, description="default: the body's opening")
    status: Status = "draft"
    published_at: datetime | None = Field(None, description="default: when first published; later: scheduled")


class PostUpdate(Body):
    title: str | None = Field(None, min_length=1, max_length=blog.MAX_TITLE)
    body: str | None = Field(None, min_length=1, max_length=blog.MAX_BODY)
    slug: str | None = Field(None, min_length=1, max_length=blog.MAX_SLUG, pattern=blog.SLUG_PATTERN)
    excerpt: str | None = Field(None, max_length=blog.MAX_EXCERPT, description="null: from the body again")
    status: Status | None = None
    published_at: datetime | None = None


class GenerateIn(Body):
    topic: str = Field(min_length=3, max_length=200, description="what the post is about")
    keywords: list[str] = Field(default_factory=list, max_length=20, description="phrases to cover")

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(k.split()) for k in value]
        if any(not 1 <= len(k) <= 60 for k in cleaned):
            raise ValueError("each keyword is 1 to 60 characters")
        return cleaned


class PageQuery(Query):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(20, ge=1, le=100)


class OperatorPageQuery(PageQuery):
    status: Status | None = Field(None, description="only drafts or only published posts")


class PostSummaryOut(BaseModel):
    id: int
    title: str
    slug: str
    excerpt: str
    date: str | None
    published_at: str | None


class PostsOut(BaseModel):
    posts: list[PostSummaryOut]
    page: int
    per_page: int
    total: int


class PublicPostOut(PostSummaryOut):
    html: str
    updated_at: str | None


class PostOut(BaseModel):
    id: int
    title: str
    slug: str
    excerpt: str
    body: str
    html: str
    status: str
    published_at: str | None
    author_id: int | None
    created_at: str | None
    updated_at: str | None


class AllPostsOut(BaseModel):
    posts: list[PostOut]
    page: int
    per_page: int
    total: int


@endpoint(bp, "GET", "/posts", access=PUBLIC, query=PageQuery, responses={200: PostsOut})
async def list_posts(request: Request, principal: Principal, query: PageQuery) -> HTTPResponse:
    """Published posts, newest first (no credentials): title, slug, excerpt, date."""
    posts, total = await blog.list_published(query.page, query.per_page)
    return ok(
        {
            "posts": [blog.post_summary(p) for p in posts],
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
        }
    )


@endpoint(bp, "GET", "/posts/slug/<slug:str>", access=PUBLIC, responses={200: PublicPostOut})
async def get_published(request: Request, principal: Principal, slug: str) -> HTTPResponse:
    """One published post with its rendered HTML (drafts and unknown slugs: 404)."""
    return ok(blog.public_post(await blog.published_by_slug(slug)))


@endpoint(bp, "GET", "/admin/posts", access=OPERATOR, query=OperatorPageQuery, responses={200: AllPostsOut})
async def list_all(request: Request, principal: Principal, query: OperatorPageQuery) -> HTTPResponse:
    """Every post, drafts included, newest first (operators)."""
    posts, total = await blog.list_posts(query.status, query.page, query.per_page)
    return ok(
        {
            "posts": [blog.post_body(p) for p in posts],
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
        }
    )


@endpoint(bp, "GET", "/posts/<post_id:id>", access=OPERATOR, responses={200: PostOut})
async def get_post(request: Request, principal: Principal, post_id: int) -> HTTPResponse:
    """One post in any status, with its Markdown (operators)."""
    return ok(blog.post_body(await blog.get_post(post_id)))


@endpoint(bp, "POST", "/posts", access=OPERATOR, body=PostIn, responses={201: PostOut}, action="blog.create")
async def create_post(request: Request, principal: Principal, body: PostIn) -> HTTPResponse:
    """Create a post (operators): Markdown rendered and sanitised; a slug already taken: 409."""
    post = await blog.create_post(body.model_dump(), principal.user_id)
    return ok(blog.post_body(post), status=201)


@endpoint(
    bp,
    "PUT",
    "/posts/<post_id:id>",
    access=OPERATOR,
    body=PostUpdate,
    responses={200: PostOut},
    action="blog.update",
)
async def update_post(request: Request, principal: Principal, post_id: int, body: PostUpdate) -> HTTPResponse:
    """Change any field of a post (operators); publishing sets published_at unless given."""
    changes = set_fields(body, frozenset({"excerpt"}), "post")
    post, _ = await blog.update_post(post_id, changes)
    return ok(blog.post_body(post))


@endpoint(
    bp,
    "POST",
    "/generate",
    access=OPERATOR,
    body=GenerateIn,
    query=JobQuery,
    responses={200: PostOut, 202: JobAcceptedOut, 503: None},
)
async def generate(request: Request, principal: Principal, body: GenerateIn, query: JobQuery) -> HTTPResponse:
    """Draft a post with the model (operators; a job): the new draft. Without ANTHROPIC_API_KEY: 503."""
    ai_client.require_configured(request.app.ctx.settings, "Blog drafts")
    args = (body.topic, body.keywords, principal.user_id)
    return await run_job(
        request, principal, operator_actors.blog_generate, args, kind="blog.generate", wait=query.wait
    )
