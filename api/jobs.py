"""Heavy routes in one line: `return await run_job(request, principal, actor, args, kind=..., wait=...)`."""

from __future__ import annotations

import asyncio
from typing import Any

import dramatiq
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sanic import HTTPResponse, Request

from api.auth import Principal
from api.responses import ok
from api.routing import Query
from core import jobs
from core.errors import ServiceUnavailable
from core.logging import get_logger

log = get_logger(__name__)


class JobQuery(Query):
    wait: float = Field(10, ge=0, le=30, description="Seconds to wait for the result before answering 202")


class JobAcceptedOut(BaseModel):
    job_id: str
    status: str
    status_url: str


def job_status_body(job: dict[str, Any]) -> dict[str, Any]:
    """The 202 body of a job still queued or running."""
    return {"job_id": job["job_id"], "status": job["status"], "status_url": f"/api/v4/jobs/{job['job_id']}"}


def public_job(job: dict[str, Any]) -> dict[str, Any]:
    """The job record as GET /jobs/{id} shows it."""
    keys = (
        "job_id",
        "kind",
        "status",
        "progress",
        "result",
        "error",
        "attempts",
        "created_at",
        "finished_at",
    )
    return {k: job.get(k) for k in keys}


async def enqueue_job(
    request: Request,
    principal: Principal,
    actor: dramatiq.Actor,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    kind: str,
) -> str:
    """Record a job of the caller's org and send `actor` for it; returns the job id (503 if it cannot)."""
    ctx = request.app.ctx
    job_id = jobs.new_job_id()
    try:
        await jobs.create(ctx.redis, job_id, kind, principal.org_id, ctx.settings.JOB_TTL_SECONDS)
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Job store (Redis) unavailable") from exc
    try:
        await asyncio.to_thread(
            actor.send_with_options, args=args, kwargs=kwargs or {}, job_id=job_id, org_id=principal.org_id
        )
    except Exception as exc:  # noqa: BLE001 - any broker failure: the job never started
        log.error("job.enqueue_failed", kind=kind, error=str(exc))
        try:
            await jobs.delete(ctx.redis, job_id, principal.org_id)
        except (RedisError, OSError):
            pass
        raise ServiceUnavailable("Job queue unavailable") from exc
    return job_id


async def run_job(
    request: Request,
    principal: Principal,
    actor: dramatiq.Actor,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    kind: str,
    wait: float,
) -> HTTPResponse:
    """Send `actor` as a job of the caller's org; 200 with its result if done within `wait`, else 202."""
    job_id = await enqueue_job(request, principal, actor, args, kwargs, kind=kind)
    job = await request.app.ctx.job_waiter.wait(job_id, wait)
    if job is None:
        raise ServiceUnavailable("Job record lost")
    if job["status"] == jobs.DONE:
        return ok(job["result"])
    if job["status"] == jobs.FAILED:
        status = job.get("error_status") or 500
        # A job refused for an outside service's rate limit answers like any 429: with Retry-After.
        headers = (
            {"Retry-After": str(job["retry_after"])} if status == 429 and job.get("retry_after") else None
        )
        return ok({"error": job["error"], "job_id": job_id}, status=status, headers=headers)
    return ok(job_status_body(job), status=202)
