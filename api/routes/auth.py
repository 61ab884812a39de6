"""Auth: register, login, refresh, logout, me (API.md section 2)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import AUTH_ROUTE, VIEWER, Principal, user
from api.responses import ok
from api.routing import Body, endpoint
from core.models import Role, User
from pipelines import auth, team
from pipelines.auth import valid_email

bp = Blueprint("auth", url_prefix="/api/v4/auth")
EMAIL_MAX = 254


class RegisterIn(Body):
    name: str = Field(min_length=1, max_length=255)
    email: str = Field(max_length=EMAIL_MAX)
    password: str = Field(min_length=8, max_length=1024)
    org_name: str = Field(min_length=1, max_length=255)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return valid_email(value)


class LoginIn(Body):
    email: str = Field(min_length=1, max_length=EMAIL_MAX)
    password: str = Field(min_length=1, max_length=1024)


class AcceptInviteIn(Body):
    token: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=8, max_length=1024)


class UserOut(BaseModel):
    id: int
    org_id: int
    role: Role
    name: str
    email: str


class TokenOut(BaseModel):
    token: str
    user: UserOut


class RefreshOut(BaseModel):
    token: str


class OrgOut(BaseModel):
    id: int
    name: str
    plan: str


class MeUserOut(UserOut):
    is_platform_admin: bool


class MeOut(BaseModel):
    user: MeUserOut
    org: OrgOut


class SuccessOut(BaseModel):
    success: bool


def user_body(row: User) -> dict[str, object]:
    return {
        "id": row.id,
        "org_id": row.org_id,
        "role": Role(row.role).value,  # type: ignore[attr-defined]
        "name": row.name,
        "email": row.email,
    }


def _token(request: Request, row: User) -> str:
    settings = request.app.ctx.settings
    return auth.issue_token(row, settings.SECRET_KEY, settings.JWT_TTL_SECONDS)


def _as_actor(request: Request, row: User) -> None:
    """Credit the activity entry of a public auth route to the user it concerns."""
    entry = audit.note(request)
    entry.org_id, entry.user_id, entry.user_email, entry.resource_id = row.org_id, row.id, row.email, row.id  # type: ignore[attr-defined]


@endpoint(
    bp,
    "POST",
    "/register",
    access=AUTH_ROUTE,
    body=RegisterIn,
    responses={201: TokenOut, 409: None},
    action="org.create",
)
async def register(request: Request, principal: Principal, body: RegisterIn) -> HTTPResponse:
    """Create an organisation and its owner; returns a JWT."""
    row = await auth.register(
        body.name, body.email, body.password, body.org_name, request.app.ctx.settings.DEFAULT_PLAN.value
    )
    _as_actor(request, row)
    return ok({"token": _token(request, row), "user": user_body(row)}, status=201)


@endpoint(
    bp,
    "POST",
    "/login",
    access=AUTH_ROUTE,
    body=LoginIn,
    responses={200: TokenOut, 401: None},
    action="auth.login",
)
async def login(request: Request, principal: Principal, body: LoginIn) -> HTTPResponse:
    """Exchange email and password for a JWT valid 24 hours."""
    row = await auth.authenticate(body.email, body.password)
    _as_actor(request, row)
    return ok({"token": _token(request, row), "user": user_body(row)})


@endpoint(
    bp,
    "POST",
    "/accept-invite",
    access=AUTH_ROUTE,
    body=AcceptInviteIn,
    responses={200: TokenOut, 400: None},
    action="team.join",
)
async def accept_invite(request: Request, principal: Principal, body: AcceptInviteIn) -> HTTPResponse:
    """Accept an invitation (token single-use, valid 7 days): set name and password, get a JWT."""
    row = await team.accept_invite(body.token, body.name, body.password)
    _as_actor(request, row)
    return ok({"token": _token(request, row), "user": user_body(row)})


@endpoint(
    bp,
    "POST",
    "/refresh",
    access=user(Role.viewer, tier="auth"),
    responses={200: RefreshOut},
    action="auth.refresh",
)
async def refresh(request: Request, principal: Principal) -> HTTPResponse:
    """Exchange a valid, unexpired JWT for a fresh one."""
    row = await User.get(id=principal.user_id)
    return ok({"token": _token(request, row)})


@endpoint(bp, "POST", "/logout", access=VIEWER, responses={200: SuccessOut}, action="auth.logout")
async def logout(request: Request, principal: Principal) -> HTTPResponse:
    """Revoke the presented token until it expires."""
    assert principal.claims is not None
    await auth.revoke_token(request.app.ctx.redis, principal.claims)
    return ok({"success": True})


@endpoint(bp, "GET", "/me", access=VIEWER, responses={200: MeOut})
async def me(request: Request, principal: Principal) -> HTTPResponse:
    """The caller and their organisation."""
    row = await User.get(id=principal.user_id).select_related("org")
    return ok(
        {
            "user": {**user_body(row), "is_platform_admin": row.is_platform_admin},
            "org": {"id": row.org.id, "name": row.org.name, "plan": row.org.plan},
        }
    )
