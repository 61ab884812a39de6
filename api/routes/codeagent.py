"""The code agent (API.md section 12): lint and security scan of the platform's own source, as jobs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from actors import operator as operator_actors
from api.auth import OPERATOR, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routing import endpoint
from pipelines import codeagent

bp = Blueprint("codeagent", url_prefix="/api/v4/codeagent")


class RunOut(BaseModel):
    run_id: int
    kind: str
    job_id: str | None
    status: str
    started_at: str | None
    finished_at: str | None
    open: int
    new: int
    fixed: int
    by_tool: dict[str, int]
    by_severity: dict[str, int]
    tools: dict[str, Any]
    warnings: list[str]
    error: str | None


class FindingOut(BaseModel):
    id: int
    fingerprint: str
    kind: str
    tool: str
    rule: str
    severity: str
    path: str
    line: int
    message: str
    status: str
    first_seen_at: str | None
    last_seen_at: str | None
    fixed_at: str | None


class OpenCountsOut(BaseModel):
    total: int
    by_kind: dict[str, int]
    by_tool: dict[str, int]
    by_severity: dict[str, int]


class StatusOut(BaseModel):
    open: OpenCountsOut
    open_findings: list[FindingOut]
    fixed_since_previous_run: dict[str, list[FindingOut]]
    latest_runs: dict[str, RunOut | None]
    runs: list[RunOut]


def own_url(request: Request) -> str:
    """The running API's base URL: PUBLIC_URL, else the address this server listens on (never the Host
    header, which the caller chooses)."""
    public = request.app.ctx.settings.PUBLIC_URL.strip().rstrip("/")
    if public:
        return public
    info = request.conn_info
    address = info.sockname if info is not None else None
    if not isinstance(address, tuple):  # a UNIX socket: the configured address
        settings = request.app.ctx.settings
        return f"http://{settings.HOST}:{settings.PORT}"
    host, port = address[0], address[1]
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # listening everywhere: ask loopback
    return f"{'https' if info.ssl else 'http'}://{f'[{host}]' if ':' in host else host}:{port}"


@endpoint(bp, "GET", "/status", access=OPERATOR, responses={200: StatusOut})
async def status(request: Request, principal: Principal) -> HTTPResponse:
    """Open findings (counts and list), findings the latest run of each kind fixed, and the run history."""
    return ok(await codeagent.status())


@endpoint(bp, "POST", "/lint", access=OPERATOR, query=JobQuery, responses={200: RunOut, 202: JobAcceptedOut})
async def lint(request: Request, principal: Principal, query: JobQuery) -> HTTPResponse:
    """Run ruff over the platform's installed source (a job); the run's counts."""
    return await run_job(
        request, principal, operator_actors.codeagent_lint, kind="codeagent.lint", wait=query.wait
    )


@endpoint(
    bp,
    "POST",
    "/security-scan",
    access=OPERATOR,
    query=JobQuery,
    responses={200: RunOut, 202: JobAcceptedOut},
)
async def security_scan(request: Request, principal: Principal, query: JobQuery) -> HTTPResponse:
    """Run bandit over the platform's installed source and check this server's response headers (a job)."""
    return await run_job(
        request,
        principal,
        operator_actors.codeagent_security_scan,
        (own_url(request),),
        kind="codeagent.security_scan",
        wait=query.wait,
    )
