"""The activity log: who changed what in the organisation, from where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


async def record(actor: Actor, action: str, resource_id: str | None, details: dict[str, Any] | None) -> None:
    """Append one entry; `action` is `<resource>.<verb>`, e.g. `app.update`."""
    await ActivityEntry.create(
        org_id=actor.org_id,
        user_id=actor.user_id,
        user_email=actor.user_email,
        action=action,
        resource_type=action.split(".", 1)[0],
        resource_id=resource_id,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:512] or None,
        details=details,
    )


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
        query = query.filter(action__startswith=action[:-1]) if action.endswith(".*") else query.filter(action=action)
    total = await query.count()
    entries = await query.order_by("-at", "-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return entries, total
