"""Feature flags: management (API.md section 6) and the SDK's evaluation (GET /sdk/flags, section 1)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field, JsonValue
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, SDK_SELF_LIMITED, VIEWER, Principal, rate_client
from api.responses import ok
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, Query, endpoint, set_fields
from core.pubsub import invalidate
from pipelines import devicecache, flags
from pipelines.flags import BUILTIN_SEGMENTS

bp = Blueprint("flags", url_prefix="/api/v4")

KEY = r"^[a-z0-9_.-]{1,64}$"
BuiltinSegment = Literal[BUILTIN_SEGMENTS]  # type: ignore[valid-type]
CACHE_CONTROL = "private, max-age=60"
NULLABLE = frozenset({"description", "min_app_version", "app_id"})
Country = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")]


class VariantIn(Body):
    key: str = Field(pattern=KEY)
    value: JsonValue = None
    weight: int = Field(ge=1, le=1_000_000)


class FlagFields(Body):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    flag_type: Literal["boolean", "multivariate"] | None = None
    is_enabled: bool | None = None
    rollout_pct: int | None = Field(None, ge=0, le=100)
    variants: list[VariantIn] | None = Field(None, max_length=100)
    segments: list[BuiltinSegment] | None = Field(None, max_length=6)
    custom_segment_ids: list[int] | None = Field(None, max_length=100)
    countries: list[Country] | None = Field(None, max_length=250)
    min_app_version: str | None = Field(None, min_length=1, max_length=64)

    def values(self) -> dict[str, Any]:
        """The fields the request set; null clears `description` or `min_app_version` only."""
        return set_fields(self, NULLABLE, "flag")


class FlagIn(FlagFields):
    app_id: AppId
    flag_key: str = Field(pattern=KEY)


class FlagUpdate(FlagFields):
    app_id: AppId | None = None
    flag_key: str | None = Field(None, pattern=KEY)


class FlagOut(BaseModel):
    id: int
    app_id: int
    flag_key: str
    name: str
    description: str | None
    flag_type: str
    is_enabled: bool
    rollout_pct: int
    variants: list[dict[str, Any]]
    segments: list[str]
    custom_segment_ids: list[int]
    countries: list[str]
    min_app_version: str | None
    created_at: str
    updated_at: str


class FlagsOut(BaseModel):
    flags: list[FlagOut]


class DeletedOut(BaseModel):
    success: bool


class SdkFlagsQuery(Query):
    android_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")


class SdkFlagsOut(BaseModel):
    flags: dict[str, dict[str, Any]]


@endpoint(bp, "GET", "/flags", access=VIEWER, query=AppQuery, responses={200: FlagsOut})
async def list_flags(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's flags, oldest first."""
    return ok({"flags": [flags.flag_body(f) for f in await flags.list_flags(principal.org_id, query.app_id)]})


@endpoint(
    bp, "POST", "/flags", access=ADMIN, body=FlagIn, responses={201: FlagOut, 409: None}, action="flag.create"
)
async def create_flag(request: Request, principal: Principal, body: FlagIn) -> HTTPResponse:
    """Create a flag (flag_key unique per app: 409)."""
    values = body.values()
    values.pop("app_id")
    flag = await flags.create_flag(principal.org_id, body.app_id, values)
    await invalidate(request.app.ctx.redis, "flags", body.app_id)
    audit.note(request).details = {"after": flags.flag_body(flag)}
    return ok(flags.flag_body(flag), status=201)


@endpoint(
    bp,
    "PUT",
    "/flags/<flag_id:id>",
    access=ADMIN,
    body=FlagUpdate,
    responses={200: FlagOut, 409: None},
    action="flag.update",
)
async def update_flag(request: Request, principal: Principal, flag_id: int, body: FlagUpdate) -> HTTPResponse:
    """Change any of the flag's fields (all optional); the activity log keeps before and after."""
    values = body.values()
    app_id = values.pop("app_id", None)
    flag, diff = await flags.update_flag(principal.org_id, flag_id, app_id, values)
    if diff:
        await invalidate(request.app.ctx.redis, "flags", flag.app_id)  # type: ignore[attr-defined]
    audit.note(request).details = diff
    return ok(flags.flag_body(flag))


@endpoint(
    bp,
    "DELETE",
    "/flags/<flag_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut},
    action="flag.delete",
)
async def delete_flag(
    request: Request, principal: Principal, flag_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete a flag (SDKs stop receiving it within a second)."""
    flag = await flags.delete_flag(principal.org_id, flag_id, query.app_id)
    await invalidate(request.app.ctx.redis, "flags", flag.app_id)  # type: ignore[attr-defined]
    audit.note(request).details = {"before": flags.flag_body(flag)}
    return ok({"success": True})


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _etag_matches(header: str, etag: str) -> bool:
    return header.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in header.split(","))


@endpoint(
    bp,
    "GET",
    "/sdk/flags",
    access=SDK_SELF_LIMITED,
    query=SdkFlagsQuery,
    responses={200: SdkFlagsOut, 304: None},
)
async def sdk_flags(request: Request, principal: Principal, query: SdkFlagsQuery) -> HTTPResponse:
    """The app's flags evaluated for the device (an unknown android_id is evaluated as a new device).
    Served from memory: the flag set from the process's cache, the device's targeting attributes
    read with the rate-limit step in one Redis round trip. `If-None-Match` with the ETag -> 304."""
    ctx = request.app.ctx
    step = ctx.limiter.step("sdk", rate_client(request, SDK_SELF_LIMITED, principal), principal.plan)
    device, principal.rate = await devicecache.read(ctx.redis, step, principal.app_id, query.android_id)
    if device is None:
        device = await devicecache.load(ctx.redis, principal.app_id, query.android_id)
    compiled = await ctx.flag_sets.get(principal.app_id)
    body = orjson.dumps(flags.evaluate_all(compiled, query.android_id, device))
    etag = etag_of(body)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return HTTPResponse(status=304, headers=headers)
    return HTTPResponse(body, headers=headers, content_type="application/json")
