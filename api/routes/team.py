"""Team: members, invitations, role changes, removal (API.md section 2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routing import Body, endpoint
from core.clock import iso
from core.models import Role
from pipelines import team
from pipelines.auth import valid_email

bp = Blueprint("team", url_prefix="/api/v4/team")


class InviteIn(Body):
    email: str = Field(max_length=254)
    role: Role

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return valid_email(value)


class RoleIn(Body):
    role: Role


class MemberOut(BaseModel):
    id: int
    name: str
    email: str
    role: Role
    status: str
    created_at: str
    invite_expires_at: str | None


class MembersOut(BaseModel):
    members: list[MemberOut]


class InviteOut(BaseModel):
    invite_token: str
    expires_at: str
    member: MemberOut


class RemovedOut(BaseModel):
    success: bool


@endpoint(bp, "GET", "", access=VIEWER, responses={200: MembersOut})
async def list_members(request: Request, principal: Principal) -> HTTPResponse:
    """Members and pending invitations."""
    return ok({"members": [team.member_body(u) for u in await team.list_members(principal.org_id)]})


@endpoint(
    bp,
    "POST",
    "/invite",
    access=ADMIN,
    body=InviteIn,
    responses={201: InviteOut, 409: None},
    action="team.invite",
)
async def invite(request: Request, principal: Principal, body: InviteIn) -> HTTPResponse:
    """Invite someone by email (owners and admins; only owners invite owners). The token is shown once."""
    member, token = await team.invite(
        principal.org_id, principal.user_id, principal.role, body.email, body.role
    )
    entry = audit.note(request)
    entry.resource_id, entry.details = member.id, {"email": member.email, "role": body.role.value}
    assert isinstance(member.invite_expires_at, datetime)
    return ok(
        {
            "invite_token": token,
            "expires_at": iso(member.invite_expires_at),
            "member": team.member_body(member),
        },
        status=201,
    )


@endpoint(
    bp, "PUT", "/<user_id:id>", access=ADMIN, body=RoleIn, responses={200: MemberOut}, action="team.update"
)
async def change_role(request: Request, principal: Principal, user_id: int, body: RoleIn) -> HTTPResponse:
    """Change a member's role (the last owner cannot be demoted; only owners grant or remove owner)."""
    member, changes = await team.change_role(principal.org_id, principal.role, user_id, body.role)
    audit.note(request).details = changes
    return ok(team.member_body(member))


@endpoint(bp, "DELETE", "/<user_id:id>", access=ADMIN, responses={200: RemovedOut}, action="team.remove")
async def remove(request: Request, principal: Principal, user_id: int) -> HTTPResponse:
    """Remove a member or withdraw an invitation (owners cannot be removed); their tokens stop at once."""
    member = await team.remove_member(principal.org_id, principal.role, user_id)
    audit.note(request).details = {"email": member.email, "role": Role(member.role).value}
    return ok({"success": True})
