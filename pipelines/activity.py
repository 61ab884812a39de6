"""The activity log: who changed what in the organisation, from where."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import orjson
from tortoise.backends.base.client import BaseDBAsyncClient

from core.clock import iso
from core.models import ActivityEntry

PAGE_SIZE = 50


@dataclass(frozen=True)
class Actor:
    org_id: int
    user_id: int | None
    user_email: str | None
    ip: str | None
    user_agent: str | None


@dataclass
class Pending:
    """The entry a request (or a CLI command, or an actor) is about to write: who, and which action."""

    actor: Actor
    action: str
    recorded: bool = False


_pending: ContextVar[Pending | None] = ContextVar("activity_pending", default=None)

INSERT = (
    "INSERT INTO activity_log (org_id, user_id, user_email, action, resource_type, resource_id, ip, "
    "user_agent, details, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, now())"
)


@contextmanager
def acting(actor: Actor, action: str) -> Iterator[Pending]:
    """Within this block, `record_change` writes `action` on behalf of `actor` (api.routing opens it around
    every handler of a route declared with `action=`; CLI commands and actors open it themselves)."""
    pending = Pending(actor, action)
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def hand_off() -> dict[str, Any] | None:
    """Hand the request's pending entry to a job that makes the change (the request then writes none): JSON
    primitives to send with the job, for the job to pass to `record_change` through `handed`."""
    pending = _pending.get()
    if pending is None:
        return None
    pending.recorded = True
    return {"action": pending.action, "actor": asdict(pending.actor)}


def handed(entry: dict[str, Any] | None) -> dict[str, Any]:
    """`record_change` keywords (action, actor) for an entry `hand_off` gave a job; {} for none."""
    if not entry:
        return {}
    return {"action": entry["action"], "actor": Actor(**entry["actor"])}


async def record_change(
    conn: BaseDBAsyncClient | asyncpg.Connection | None,
    resource_id: Any,
    details: dict[str, Any] | None = None,
    *,
    action: str | None = None,
    actor: Actor | None = None,
) -> None:
    """Write the activity entry of the change being made, on `conn`: pass the transaction that makes the
    change (a Tortoise `in_transaction()` client or an asyncpg connection inside `conn.transaction()`), so
    the change and its entry commit together (STYLE.md 13). Actor and action come from the enclosing
    `acting` block unless given; outside of one (and with no actor given) nothing is written."""
    pending = _pending.get()
    actor = actor or (pending.actor if pending else None)
    action = action or (pending.action if pending else None)
    if actor is None or action is None:
        return
    rid = None if resource_id is None else str(resource_id)
    agent = (actor.user_agent or "")[:512] or None
    if isinstance(conn, asyncpg.Connection):
        await conn.execute(
            INSERT,
            actor.org_id,
            actor.user_id,
            actor.user_email,
            action,
            action.split(".", 1)[0],
            rid,
            actor.ip,
            agent,
            None if details is None else orjson.dumps(details).decode(),
        )
    else:
        await ActivityEntry.create(
            org_id=actor.org_id,
            user_id=actor.user_id,
            user_email=actor.user_email,
            action=action,
            resource_type=action.split(".", 1)[0],
            resource_id=rid,
            ip=actor.ip,
            user_agent=agent,
            details=details,
            using_db=conn,
        )
    if pending is not None and pending.actor is actor and pending.action == action:
        pending.recorded = True


async def record(actor: Actor, action: str, resource_id: str | None, details: dict[str, Any] | None) -> None:
    """Append one entry on its own (the legacy after-response path of api.audit; new code calls
    `record_change` inside the change's transaction)."""
    await record_change(None, resource_id, details, action=action, actor=actor)


def entry_body(entry: ActivityEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "user_email": entry.user_email,
        "action": entry.action,
        "resource_type": entry.resource_type,
        "resource_id": entry.resource_id,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "at": iso(entry.at),
        "details": entry.details,
    }


async def list_entries(org_id: int, action: str | None, page: int) -> tuple[list[ActivityEntry], int]:
    """One page of the org's entries, newest first, optionally of one action (or `<resource>.*`)."""
    query = ActivityEntry.filter(org_id=org_id)
    if action:
        query = (
            query.filter(action__startswith=action[:-1])
            if action.endswith(".*")
            else query.filter(action=action)
        )
    total = await query.count()
    entries = await query.order_by("-at", "-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return entries, total
