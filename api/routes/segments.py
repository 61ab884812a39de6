"""Custom segments (API.md section 4): CRUD and recalculation as a job."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue
from sanic import Blueprint, HTTPResponse, Request

from actors.segments import recalculate_segment
from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routes.flags import DeletedOut
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, endpoint, set_fields
from pipelines import customsegments

bp = Blueprint("custom_segments", url_prefix="/api/v4")

FieldName = Literal[
    "days_since_install",
    "days_inactive",
    "event_count_30d",
    "session_count_30d",
    "ad_watches_30d",
    "purchase_count",
    "country",
    "app_version",
    "brand",
    "install_type",
]
Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "contains"]
NULLABLE = frozenset({"description", "color"})


class RuleIn(Body):
    field: FieldName
    operator: Operator
    value: JsonValue = Field(description="a number for number fields, a string for text fields")


class SegmentFields(Body):
    description: str | None = Field(None, max_length=2000)
    logic: Literal["AND", "OR"] | None = None
    color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$")
    is_active: bool | None = None


class SegmentIn(SegmentFields):
    app_id: AppId
    name: str = Field(min_length=1, max_length=255)
    rules: list[RuleIn] = Field(min_length=1, max_length=customsegments.MAX_RULES)


class SegmentUpdate(SegmentFields):
    app_id: AppId | None = None
    name: str | None = Field(None, min_length=1, max_length=255)
    rules: list[RuleIn] | None = Field(None, min_length=1, max_length=customsegments.MAX_RULES)


class SegmentOut(BaseModel):
    id: int
    app_id: int
    name: str
    description: str | None
    logic: str
    color: str | None
    rules: list[dict[str, Any]]
    is_active: bool
    device_count: int
    last_calculated_at: str | None
    created_at: str
    updated_at: str


class SegmentsOut(BaseModel):
    segments: list[SegmentOut]


class RecalculatedOut(BaseModel):
    device_count: int
    segment_id: int


@endpoint(bp, "GET", "/segments", access=VIEWER, query=AppQuery, responses={200: SegmentsOut})
async def list_segments(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's custom segments with their cached device_count and last_calculated_at."""
    segments = await customsegments.list_segments(principal.org_id, query.app_id)
    return ok({"segments": [customsegments.segment_body(s) for s in segments]})


@endpoint(
    bp,
    "POST",
    "/segments",
    access=ADMIN,
    body=SegmentIn,
    responses={201: SegmentOut},
    action="segment.create",
)
async def create_segment(request: Request, principal: Principal, body: SegmentIn) -> HTTPResponse:
    """Create a custom segment (at most 20 per app); its members come with the first calculation."""
    values = body.model_dump(exclude={"app_id"}, exclude_none=True)
    segment = await customsegments.create_segment(principal.org_id, body.app_id, values)
    audit.note(request).details = {"after": customsegments.segment_body(segment)}
    return ok(customsegments.segment_body(segment), status=201)


@endpoint(bp, "GET", "/segments/<segment_id:id>", access=VIEWER, responses={200: SegmentOut})
async def get_segment(request: Request, principal: Principal, segment_id: int) -> HTTPResponse:
    """One custom segment."""
    return ok(customsegments.segment_body(await customsegments.get_segment(principal.org_id, segment_id)))


@endpoint(
    bp,
    "PUT",
    "/segments/<segment_id:id>",
    access=ADMIN,
    body=SegmentUpdate,
    responses={200: SegmentOut},
    action="segment.update",
)
async def update_segment(
    request: Request, principal: Principal, segment_id: int, body: SegmentUpdate
) -> HTTPResponse:
    """Change any field; members follow at the next calculation."""
    changes = set_fields(body, NULLABLE, "segment", exclude=frozenset({"app_id"}))
    segment, diff = await customsegments.update_segment(principal.org_id, segment_id, body.app_id, changes)
    audit.note(request).details = diff
    return ok(customsegments.segment_body(segment))


@endpoint(
    bp,
    "DELETE",
    "/segments/<segment_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut, 409: None},
    action="segment.delete",
)
async def delete_segment(
    request: Request, principal: Principal, segment_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete a custom segment and its membership (409 while a flag targets it)."""
    segment = await customsegments.delete_segment(
        request.app.ctx.redis, principal.org_id, segment_id, query.app_id
    )
    audit.note(request).details = {"before": customsegments.segment_body(segment)}
    return ok({"success": True})


@endpoint(
    bp,
    "POST",
    "/segments/<segment_id:id>/recalculate",
    access=ADMIN,
    query=JobQuery,
    responses={200: RecalculatedOut, 202: JobAcceptedOut},
    action="segment.recalculate",
)
async def recalculate(
    request: Request, principal: Principal, segment_id: int, query: JobQuery
) -> HTTPResponse:
    """Recalculate the segment's members now (a job): `{device_count, segment_id}`."""
    segment = await customsegments.get_segment(principal.org_id, segment_id)
    return await run_job(
        request, principal, recalculate_segment, (segment.id,), kind="segment.recalculate", wait=query.wait
    )
