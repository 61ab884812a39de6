"""The queue view (API.md section 12) and operators' dead-letter retry/drop (beyond the contract)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from actors import queues
from api.auth import OPERATOR, Principal, user
from api.responses import ok
from api.routing import endpoint
from core.models import Role
from pipelines import queueview

bp = Blueprint("queue", url_prefix="/api/v4/system/queue")


class QueueCountsOut(BaseModel):
    pending: int
    delayed: int
    in_progress: int
    dead: int


class DeadLetterOut(BaseModel):
    message_id: str
    queue: str
    actor: str
    job_id: str | None
    org_id: int | None
    retries: int
    failed_at: str | None
    error: str | None = None
    error_kind: str | None = None


class QueueOut(BaseModel):
    broker: str
    scope: str
    queues: dict[str, QueueCountsOut]
    jobs: dict[str, int]
    recent_jobs: list[dict[str, Any]]
    recent_failures: list[dict[str, Any]]
    dead_letters: list[DeadLetterOut]
    scheduler_last_tick: str | None


class DeadLetterActionOut(DeadLetterOut):
    status: str


@endpoint(bp, "GET", "", access=user(Role.admin, operator_ok=True), responses={200: QueueOut})
async def queue_view(request: Request, principal: Principal) -> HTTPResponse:
    """Per queue: pending, delayed, in progress and dead-lettered messages; jobs by status, recent
    failures (actor, error kind, time) and dead letters.

    Owners and admins see their organisation's jobs, failures and dead letters; platform operators see all.
    """
    broker = request.app.ctx.broker
    view = await queueview.queue_view(
        request.app.ctx.redis,
        None if principal.is_platform_admin else principal.org_id,
        queues.broker_kind(broker),
        counts=lambda: queues.queue_counts(broker),
        dead_letters=lambda: [d.body() for d in queues.dead_letters(broker)],
    )
    return ok(view)


@endpoint(
    bp,
    "POST",
    "/dead/<dead_letter_id:str>/retry",
    access=OPERATOR,
    responses={200: DeadLetterActionOut},
    action="queue.retry",
)
async def retry_dead_letter(request: Request, principal: Principal, dead_letter_id: str) -> HTTPResponse:
    """Put a dead-lettered message (by message id) back on its queue, with a full retry budget (operators)."""
    broker = request.app.ctx.broker

    def retry(before: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        letter = queues.retry(broker, dead_letter_id, lambda found: before(found.body()))
        return letter.body() if letter else None

    return ok(await queueview.retry_dead_letter(request.app.ctx.redis, dead_letter_id, retry))


@endpoint(
    bp,
    "POST",
    "/dead/<dead_letter_id:str>/drop",
    access=OPERATOR,
    responses={200: DeadLetterActionOut},
    action="queue.drop",
)
async def drop_dead_letter(request: Request, principal: Principal, dead_letter_id: str) -> HTTPResponse:
    """Delete a dead-lettered message for good (operators); its job stays failed."""
    broker = request.app.ctx.broker

    def drop() -> dict[str, Any] | None:
        letter = queues.drop(broker, dead_letter_id)
        return letter.body() if letter else None

    return ok(await queueview.drop_dead_letter(dead_letter_id, drop))
