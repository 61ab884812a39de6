"""Settings: each user's theme, and the organisation's activity log (API.md section 2)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import VIEWER, Principal
from api.responses import ok
from api.routing import Body, Query, endpoint
from pipelines import activity, theme

bp = Blueprint("settings", url_prefix="/api/v4/settings")

COLOR = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")


class ThemeIn(Body):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)
    primary_color: str | None = COLOR
    mode: Literal["light", "dark", "system"] | None = None
    sidebar_style: Literal["expanded", "collapsed", "compact"] | None = None

    @field_validator("primary_color", "mode", "sidebar_style", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Left out keeps the value; an explicit null is not a colour, mode or style.
        if value is None:
            raise ValueError("must not be null")
        return value


class ThemeOut(BaseModel):
    primary_color: str
    mode: str
    sidebar_style: str


class ActivityQuery(Query):
    action: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z_]+(\.[a-z_*]+)?$",
        description="e.g. app.create, or app.* for every app action",
    )
    page: int = Field(1, ge=1, le=100_000)


class EntryOut(BaseModel):
    id: int
    user_id: int | None
    user_email: str | None
    action: str
    resource_type: str
    resource_id: str | None
    ip: str | None
    user_agent: str | None
    at: str
    details: dict[str, Any] | None


class ActivityOut(BaseModel):
    entries: list[EntryOut]
    page: int
    per_page: int
    total: int


@endpoint(bp, "GET", "/theme", access=VIEWER, responses={200: ThemeOut})
async def get_theme(request: Request, principal: Principal) -> HTTPResponse:
    """The caller's theme."""
    return ok(await theme.get_theme(principal.user_id))


@endpoint(bp, "PUT", "/theme", access=VIEWER, body=ThemeIn, responses={200: ThemeOut}, action="theme.update")
async def update_theme(request: Request, principal: Principal, body: ThemeIn) -> HTTPResponse:
    """Change the caller's theme (viewers too); fields left out keep their value."""
    result, changes = await theme.update_theme(principal.user_id, body.model_dump(exclude_none=True))
    entry = audit.note(request)
    entry.resource_id, entry.details = principal.user_id, changes
    return ok(result)


@endpoint(bp, "GET", "/activity", access=VIEWER, query=ActivityQuery, responses={200: ActivityOut})
async def list_activity(request: Request, principal: Principal, query: ActivityQuery) -> HTTPResponse:
    """The organisation's activity log, newest first, 50 per page."""
    entries, total = await activity.list_entries(principal.org_id, query.action, query.page)
    return ok(
        {
            "entries": [activity.entry_body(e) for e in entries],
            "page": query.page,
            "per_page": activity.PAGE_SIZE,
            "total": total,
        }
    )
