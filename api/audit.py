"""The activity log's one mechanism: `endpoint(..., action="app.update")` records every
successful mutating request; handlers may add the resource id and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sanic import HTTPResponse, Request

from api.auth import Principal, client_ip
from core.logging import get_logger
from pipelines import activity

log = get_logger(__name__)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class AuditNote:
    """What a handler adds to its activity entry."""

    resource_id: Any = None
    details: dict[str, Any] | None = None
    org_id: int | None = None  # for routes whose caller is not yet a member (accept-invite)
    user_id: int | None = None
    user_email: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def note(request: Request) -> AuditNote:
    """The request's audit note, created on first use."""
    current = getattr(request.ctx, "audit", None)
    if current is None:
        current = request.ctx.audit = AuditNote()
    return current


def _resource_id(response: HTTPResponse, path_params: dict[str, Any]) -> str | None:
    ids = [v for k, v in path_params.items() if k.endswith("id")]
    if ids:
        return str(ids[-1])
    if response.content_type == "application/json" and response.body:
        try:
            body = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            return None
        if isinstance(body, dict) and body.get("id") is not None:
            return str(body["id"])
    return None


def actor(request: Request, principal: Principal) -> activity.Actor | None:
    """The activity-log actor of a request (None for an operator token, which acts on no organisation)."""
    extra = note(request)
    org_id = extra.org_id or principal.org_id
    if org_id is None:
        return None
    return activity.Actor(
        org_id=org_id,
        user_id=extra.user_id or principal.user_id,
        user_email=extra.user_email or principal.email,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )


async def record(
    request: Request, principal: Principal, action: str, response: HTTPResponse, path_params: dict[str, Any]
) -> None:
    """Append the entry of a successful mutating request (never fails the request)."""
    if response.status >= 400:
        return
    extra = note(request)
    org_id = extra.org_id or principal.org_id
    if org_id is None:  # an operator token acts on no organisation
        return
    actor = activity.Actor(
        org_id=org_id,
        user_id=extra.user_id or principal.user_id,
        user_email=extra.user_email or principal.email,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    resource_id = (
        str(extra.resource_id) if extra.resource_id is not None else _resource_id(response, path_params)
    )
    try:
        await activity.record(actor, action, resource_id, extra.details)
    except Exception as exc:  # noqa: BLE001 - the change itself succeeded; say so in the logs
        log.error("activity.record_failed", action=action, error=repr(exc))
