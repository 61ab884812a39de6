"""Job records of heavy requests (API.md section 0, Jobs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from redis.exceptions import RedisError
from sanic import Blueprint, HTTPResponse, Request

from actors import fastsend
from actors.ingest import ingest_batch
from api.auth import Principal, user
from api.jobs import public_job
from api.responses import ok
from api.routing import endpoint
from core import jobs
from core.clock import iso
from core.errors import NotFound, ServiceUnavailable

bp = Blueprint("jobs", url_prefix="/api/v4/jobs")


class JobOut(BaseModel):
    job_id: str
    kind: str | None
    status: str
    progress: float
    result: Any = None
    error: str | None
    attempts: int | None
    created_at: str | None
    finished_at: str | None


@endpoint(bp, "GET", "/<job_id:str>", access=user(operator_ok=True), responses={200: JobOut})
async def get_job(request: Request, principal: Principal, job_id: str) -> HTTPResponse:
    """A job of the caller's organisation (the X-Admin-Token: operator jobs): status, progress, result or error."""
    ctx = request.app.ctx
    fast = fastsend.parse_job_id(ctx.settings.SECRET_KEY, job_id)
    try:
        if fast is not None and ctx.broker_redis is not None:
            org_id, sent_ms, ref = fast
            if org_id != principal.org_id:
                raise NotFound("Job not found")
            status, error = await fastsend.state(ctx.redis, ctx.broker_redis, ingest_batch.queue_name, ref)
            return ok(
                {
                    "job_id": job_id,
                    "kind": "events.batch",
                    "status": status,
                    "progress": 1.0 if status == "done" else 0.0,
                    "result": None,
                    "error": error,
                    "attempts": None,
                    "created_at": iso(datetime.fromtimestamp(sent_ms / 1000, UTC)),
                    "finished_at": None,
                }
            )
        job = await jobs.get(ctx.redis, job_id)
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Job store (Redis) unavailable") from exc
    if job is None or job["org_id"] != principal.org_id:
        raise NotFound("Job not found")
    return ok(public_job(job))
