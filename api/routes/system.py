"""Health, pipeline self-test, metrics, the OpenAPI document (the queue view: api.routes.queue)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request
from sanic_ext import openapi

from actors import system as system_actors
from actors.broker import queue_depths
from api import metrics
from api.auth import PUBLIC, Principal, user
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routing import Body, endpoint
from core.models import Role
from pipelines import system

bp = Blueprint("system", url_prefix="/api/v4")
root = Blueprint("root")


class HealthOut(BaseModel):
    status: str
    database: dict[str, Any]
    redis: dict[str, Any]
    storage: dict[str, Any]
    queue: dict[str, Any]
    python_version: str
    uptime_seconds: int
    version: str


class SelftestIn(Body):
    seconds: float = Field(1.0, ge=0, le=30)


class SelftestOut(BaseModel):
    slept_seconds: float
    db_ms: float
    redis_ms: float
    worker_pid: int


@endpoint(bp, "GET", "/health", access=PUBLIC, responses={200: HealthOut, 503: HealthOut})
async def health(request: Request, principal: Principal) -> HTTPResponse:
    """Database, Redis, storage and queue checks; 503 when the database is down."""
    ctx = request.app.ctx
    report = await system.health(ctx.redis, ctx.settings.DATA_DIR, lambda: queue_depths(ctx.broker))
    return ok(report, status=503 if report["database"]["status"] != "ok" else 200)


@endpoint(
    bp,
    "POST",
    "/system/selftest",
    access=user(Role.admin),
    body=SelftestIn,
    query=JobQuery,
    responses={200: SelftestOut, 202: JobAcceptedOut},
    action="system.selftest",
)
async def selftest(request: Request, principal: Principal, body: SelftestIn, query: JobQuery) -> HTTPResponse:
    """Run a job through the queue and a worker (sleeps `seconds`, then touches DB and Redis)."""
    return await run_job(
        request, principal, system_actors.selftest, (body.seconds,), kind="system.selftest", wait=query.wait
    )


@bp.get("/openapi.json")
@openapi.exclude()
async def openapi_document(request: Request) -> HTTPResponse:
    """The OpenAPI 3 document of every route."""
    return ok(request.app.ctx.openapi_spec())


@root.get("/metrics")
@openapi.exclude()
async def prometheus_metrics(request: Request) -> HTTPResponse:
    """Prometheus text exposition."""
    return HTTPResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
