"""Analytics routes (API.md section 4): funnels and paths as jobs, retention inline."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from actors import analytics as actors
from api.auth import VIEWER, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routing import AppQuery, Body, endpoint
from pipelines import analytics, apps

bp = Blueprint("analytics", url_prefix="/api/v4/analytics")

EventType = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.:-]+$")]


class PeriodIn(Body):
    app_id: int = Field(ge=1, le=2**31 - 1)
    start: date | None = Field(
        None, alias="from", description="first day (YYYY-MM-DD, UTC); default `to` - 29"
    )
    end: date | None = Field(
        None, alias="to", description="last day, inclusive (YYYY-MM-DD, UTC); default today"
    )

    def period(self) -> analytics.Period:
        return analytics.Period.of(self.start, self.end)


class FunnelIn(PeriodIn):
    steps: list[EventType] = Field(min_length=2, max_length=10, description="event types, in order")
    window_hours: int = Field(24, ge=1, le=2160, description="from each step-1 occurrence (at most 90 days)")


class PathsIn(PeriodIn):
    start_event: EventType
    depth: int = Field(5, ge=2, le=10, description="events per path, the start event included")
    limit: int = Field(20, ge=1, le=100)


class RetentionQuery(AppQuery):
    weeks: int = Field(8, ge=1, le=52, description="weekly cohorts, the current week included")
    event: EventType | None = Field(None, description="count only returns with this event type")


class FunnelStepOut(BaseModel):
    event: str
    count: int
    conversion_from_previous: float
    conversion_from_start: float
    median_seconds_from_previous: float | None


class FunnelOut(BaseModel):
    steps: list[FunnelStepOut]


class CohortOut(BaseModel):
    cohort_start: str
    size: int
    day_1: float | None
    day_7: float | None
    day_14: float | None
    day_30: float | None


class RetentionOut(BaseModel):
    cohorts: list[CohortOut]


class PathOut(BaseModel):
    path: list[str]
    count: int
    share: float
    converted: int


class PathsOut(BaseModel):
    paths: list[PathOut]


@endpoint(
    bp,
    "POST",
    "/funnel",
    access=VIEWER,
    body=FunnelIn,
    query=JobQuery,
    responses={200: FunnelOut, 202: JobAcceptedOut},
    action="analytics.funnel",
)
async def funnel(request: Request, principal: Principal, body: FunnelIn, query: JobQuery) -> HTTPResponse:
    """Conversion through ordered steps within a window from step 1 (a job; inline when done within `wait`)."""
    period = body.period()
    await apps.get_app(principal.org_id, body.app_id)
    args = (
        principal.org_id,
        body.app_id,
        body.steps,
        period.start.isoformat(),
        period.end.isoformat(),
        body.window_hours,
    )
    return await run_job(request, principal, actors.funnel, args, kind="analytics.funnel", wait=query.wait)


@endpoint(
    bp,
    "POST",
    "/paths",
    access=VIEWER,
    body=PathsIn,
    query=JobQuery,
    responses={200: PathsOut, 202: JobAcceptedOut},
    action="analytics.paths",
)
async def paths(request: Request, principal: Principal, body: PathsIn, query: JobQuery) -> HTTPResponse:
    """The most common event sequences from each device's first `start_event` (a job)."""
    period = body.period()
    await apps.get_app(principal.org_id, body.app_id)
    args = (
        principal.org_id,
        body.app_id,
        body.start_event,
        body.depth,
        body.limit,
        period.start.isoformat(),
        period.end.isoformat(),
    )
    return await run_job(request, principal, actors.paths, args, kind="analytics.paths", wait=query.wait)


@endpoint(bp, "GET", "/retention", access=VIEWER, query=RetentionQuery, responses={200: RetentionOut})
async def retention(request: Request, principal: Principal, query: RetentionQuery) -> HTTPResponse:
    """Weekly cohorts by first seen with day 1/7/14/30 retention."""
    return ok(await analytics.retention(principal.org_id, query.app_id, query.weeks, query.event))
