"""The organisation's team: members, invitations, role changes, removal."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.clock import iso, utcnow
from core.errors import BadRequest, Conflict, Forbidden, NotFound
from core.models import ROLE_RANK, Org, Role, User
from pipelines.auth import hash_password

INVITE_TTL = timedelta(days=7)
ACTIVE, INVITED = "active", "invited"
BAD_INVITE = "Invalid or expired invite token"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def member_body(user: User) -> dict[str, Any]:
    """A team member as GET /team lists it."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": Role(user.role).value,
        "status": user.status,
        "created_at": iso(user.created_at),
        "invite_expires_at": iso(user.invite_expires_at) if user.status == INVITED else None,
    }


async def list_members(org_id: int) -> list[User]:
    """Active members and pending invitations, owners first."""
    users = await User.filter(org_id=org_id).order_by("id")
    return sorted(users, key=lambda u: (-ROLE_RANK[Role(u.role)], u.id))


def _check_can_grant(actor_role: Role, role: Role) -> None:
    if role is Role.owner and actor_role is not Role.owner:
        raise Forbidden("Only an owner can make someone an owner")


async def invite(org_id: int, actor_id: int, actor_role: Role, email: str, role: Role) -> tuple[User, str]:
    """Invite `email` with `role`; returns the pending member and the one-time token (stored hashed).

    Inviting the same email again while the invitation is pending issues a new token.
    """
    _check_can_grant(actor_role, role)
    email = email.strip().lower()
    token = secrets.token_urlsafe(32)
    expires = utcnow() + INVITE_TTL
    existing = await User.get_or_none(email=email)
    if existing is not None and not (existing.org_id == org_id and existing.status == INVITED):  # type: ignore[attr-defined]
        raise Conflict("A user with this email already exists")
    if existing is not None:
        _check_can_grant(actor_role, Role(existing.role))  # re-inviting a pending owner touches an owner
        existing.role = role
        existing.invite_token_hash = _token_hash(token)
        existing.invite_expires_at = expires
        existing.invited_by_id = actor_id
        await existing.save(update_fields=["role", "invite_token_hash", "invite_expires_at", "invited_by_id"])
        return existing, token
    try:
        user = await User.create(
            org_id=org_id,
            name=email.split("@")[0],
            email=email,
            password_hash=None,
            role=role,
            status=INVITED,
            invite_token_hash=_token_hash(token),
            invite_expires_at=expires,
            invited_by_id=actor_id,
        )
    except IntegrityError:
        # Another request created a user with this email since the lookup above.
        raise Conflict("A user with this email already exists") from None
    return user, token


async def accept_invite(token: str, name: str, password: str) -> User:
    """Turn a pending invitation into an active member; the token works once, for 7 days."""
    password_hash = await hash_password(password)
    async with in_transaction():
        user = await User.select_for_update().get_or_none(
            invite_token_hash=_token_hash(token), status=INVITED
        )
        if user is None or user.invite_expires_at is None or user.invite_expires_at <= utcnow():
            raise BadRequest(BAD_INVITE)
        user.name = name
        user.password_hash = password_hash
        user.status = ACTIVE
        user.invite_token_hash = None
        user.invite_expires_at = None
        await user.save(
            update_fields=["name", "password_hash", "status", "invite_token_hash", "invite_expires_at"]
        )
    return user


async def _member(org_id: int, user_id: int) -> User:
    user = await User.select_for_update().get_or_none(id=user_id, org_id=org_id)
    if user is None:
        raise NotFound("Team member not found")
    return user


async def change_role(org_id: int, actor_role: Role, user_id: int, role: Role) -> tuple[User, dict[str, Any]]:
    """Change a member's role; returns the member and {"role": {"before", "after"}}.

    Admins manage admins and viewers; only owners grant or take away the owner role;
    the last active owner cannot be demoted.
    """
    async with in_transaction():
        await Org.select_for_update().get(id=org_id)  # serialise owner changes of this org
        user = await _member(org_id, user_id)
        before = Role(user.role)
        if Role.owner in (before, role):
            _check_can_grant(actor_role, Role.owner)
        if before is Role.owner and role is not Role.owner:
            owners = await User.filter(org_id=org_id, role=Role.owner, status=ACTIVE).count()
            if owners <= 1 and user.status == ACTIVE:
                raise Forbidden("The last owner cannot be demoted")
        user.role = role
        await user.save(update_fields=["role"])
    return user, {"role": {"before": before.value, "after": role.value}}


async def remove_member(org_id: int, actor_role: Role, user_id: int) -> User:
    """Remove a member (or withdraw an invitation); their tokens stop working at once."""
    async with in_transaction():
        user = await _member(org_id, user_id)
        if Role(user.role) is Role.owner:
            if user.status == ACTIVE:
                raise Forbidden("The owner cannot be removed")
            _check_can_grant(actor_role, Role.owner)  # withdrawing an owner invitation
        await user.delete()
    return user
