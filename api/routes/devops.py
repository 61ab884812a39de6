"""DevOps (API.md section 12): the install's status, and the configured deploy command as a job."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from actors import operator as operator_actors
from actors.broker import queue_depths
from api import metrics
from api.auth import ADMIN_TOKEN_ONLY, OPERATOR, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routing import Body, endpoint
from pipelines import devops

bp = Blueprint("devops", url_prefix="/api/v4/devops")


class DeployIn(Body):
    target: Literal["dev", "production"]


class DeployOut(BaseModel):
    target: str
    command: list[str]
    exit_code: int | None
    succeeded: bool
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    duration_ms: float


class TableOut(BaseModel):
    name: str
    rows: int | None
    estimated: bool
    total_bytes: int


class DevopsStatusOut(BaseModel):
    version: str
    source: dict[str, Any]
    database: dict[str, Any]
    redis: dict[str, Any]
    queue: dict[str, Any]
    tables: list[TableOut]
    bridge_agents: list[dict[str, Any]]
    app_storage: list[dict[str, Any]]
    api: dict[str, Any]
    disk: dict[str, Any]
    memory: dict[str, Any]
    cpu: dict[str, Any]
    deploy_configured: bool
    python_version: str
    uptime_seconds: int


@endpoint(bp, "GET", "/status", access=OPERATOR, responses={200: DevopsStatusOut})
async def status(request: Request, principal: Principal) -> HTTPResponse:
    """Revision (git branch and commit, or the package version), database latency, rows per table, bridge
    agents, requests and errors per minute, disk and memory (operator JWT or X-Admin-Token)."""
    ctx = request.app.ctx
    report = await devops.status(
        ctx.redis,
        ctx.settings,
        metrics.request_totals(),
        metrics.source_id(),
        lambda: queue_depths(ctx.broker),
    )
    return ok(report)


@endpoint(
    bp,
    "POST",
    "/deploy",
    access=ADMIN_TOKEN_ONLY,
    body=DeployIn,
    query=JobQuery,
    responses={200: DeployOut, 202: JobAcceptedOut},
)
async def deploy(request: Request, principal: Principal, body: DeployIn, query: JobQuery) -> HTTPResponse:
    """Run DEPLOY_COMMAND for the target (X-Admin-Token only; a job): exit code, stdout and stderr (each cut
    to 64 KiB). The command is split into words and run without a shell; 503 when none is configured."""
    devops.deploy_argv(request.app.ctx.settings.DEPLOY_COMMAND, body.target)  # none or unusable: 503 now
    return await run_job(
        request,
        principal,
        operator_actors.devops_deploy,
        (body.target,),
        kind="devops.deploy",
        wait=query.wait,
    )
