"""The actor decorator: queue, retries and time limit are always stated, never defaulted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from actors.middleware import runtime
from core import jobs
from core.errors import BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized

# A client error will not succeed on a retry: fail the job at once.
CLIENT_ERRORS = (BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized)


def actor(*, queue_name: str, max_retries: int, time_limit_ms: int, **options: Any) -> Callable[..., Any]:
    """dramatiq.actor with the options STYLE.md asks every actor to set."""
    return dramatiq.actor(
        queue_name=queue_name,
        max_retries=max_retries,
        time_limit=time_limit_ms,
        throws=CLIENT_ERRORS,
        min_backoff=1000,
        max_backoff=300_000,
        **options,
    )


async def report_progress(fraction: float) -> None:
    """Record the running job's progress (no-op outside a job)."""
    message = CurrentMessage.get_current_message()
    job_id = message.options.get("job_id") if message else None
    if job_id and runtime.redis is not None:
        await jobs.set_progress(runtime.redis, job_id, fraction)
