"""Job records of heavy requests (API.md section 0, Jobs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from redis.exceptions import RedisError
from sanic import Blueprint, HTTPResponse, Request

from api.auth import VIEWER, Principal
from api.jobs import public_job
from api.responses import ok
from api.routing import endpoint
from core import jobs
from core.errors import NotFound, ServiceUnavailable

bp = Blueprint("jobs", url_prefix="/api/v4/jobs")


class JobOut(BaseModel):
    job_id: str
    kind: str | None
    status: str
    progress: float
    result: Any = None
    error: str | None
    attempts: int
    created_at: str | None
    finished_at: str | None


@endpoint(bp, "GET", "/<job_id:str>", access=VIEWER, responses={200: JobOut})
async def get_job(request: Request, principal: Principal, job_id: str) -> HTTPResponse:
    """A job of the caller's organisation: status, progress, result or error."""
    try:
        job = await jobs.get(request.app.ctx.redis, job_id)
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Job store (Redis) unavailable") from exc
    if job is None or job["org_id"] != principal.org_id:
        raise NotFound("Job not found")
    return ok(public_job(job))
