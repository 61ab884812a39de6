"""Helpers of the operator-console tests: platform operators, poison messages."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg

from tests.support import Client

ADMIN_TOKEN = "operator-console-token-" + "e" * 32


async def make_operator(client: Client, database_url: str) -> dict[str, Any]:
    """A new org whose owner is a platform operator (`vaimanasoft createadmin` sets the same flag)."""
    owner = await client.register(org="Platform")
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE users SET is_platform_admin = true WHERE id = $1", owner["user"]["id"])
    finally:
        await conn.close()
    return owner


def poison_message(org_id: int | None, job_id: str | None = None) -> Any:
    """A message the real `selftest` actor can never process (seconds is not a number), with no retries
    (the message's own max_retries overrides the actor's), so it is dead-lettered at its first failure."""
    import dramatiq

    options: dict[str, Any] = {"max_retries": 0, "org_id": org_id}
    if job_id:
        options["job_id"] = job_id
    return dramatiq.Message(
        queue_name="default",
        actor_name="selftest",
        args=("not-a-number",),
        kwargs={},
        options=options,
        message_id=str(uuid.uuid4()),
        message_timestamp=int(time.time() * 1000),
    )
