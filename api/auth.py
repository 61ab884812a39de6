"""Who is calling: JWT users, SDK keys, org API keys, the admin token; roles; rate-limit tiers."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import Enum

from sanic import Request

from api.ratelimit import Verdict
from core.errors import Forbidden, Unauthorized
from core.models import ROLE_RANK, Org, Role
from pipelines import auth as auth_pipeline


class Kind(str, Enum):
    public = "public"  # no credentials (rate limited per IP when tier="auth")
    user = "user"  # Authorization: Bearer <JWT>
    sdk = "sdk"  # X-SDK-Key
    orgkey = "orgkey"  # X-API-Key
    operator = "operator"  # X-Admin-Token, or a JWT of a platform admin


@dataclass(frozen=True)
class Access:
    """Who may call a route: credential kind, least role for users, rate-limit tier."""

    kind: Kind
    min_role: Role | None = None
    tier: str | None = None
    operator_ok: bool = False  # an X-Admin-Token may stand in for the JWT
    token_query: bool = False  # the JWT may come as ?token= (EventSource cannot send headers)
    self_limited: bool = False  # the handler counts the tier itself, fused with its own Redis writes
    admin_token_only: bool = False  # operator routes a platform admin's JWT does not open (deploys)

    @property
    def default_tier(self) -> str | None:
        if self.tier is not None:
            return self.tier
        return {
            Kind.user: "api",
            Kind.sdk: "sdk",
            Kind.orgkey: "sdk",
            Kind.operator: None,
            Kind.public: None,
        }[self.kind]


PUBLIC = Access(Kind.public)
AUTH_ROUTE = Access(Kind.public, tier="auth")
SDK = Access(Kind.sdk)
SDK_SELF_LIMITED = Access(Kind.sdk, self_limited=True)
ORG_KEY = Access(Kind.orgkey)
OPERATOR = Access(Kind.operator)
ADMIN_TOKEN_ONLY = Access(Kind.operator, admin_token_only=True)


def user(min_role: Role = Role.viewer, tier: str | None = None, operator_ok: bool = False) -> Access:
    """Access for JWT users with at least `min_role`."""
    return Access(Kind.user, min_role=min_role, tier=tier, operator_ok=operator_ok)


VIEWER, ADMIN, OWNER = user(Role.viewer), user(Role.admin), user(Role.owner)
STREAM = Access(Kind.user, min_role=Role.viewer, token_query=True)


@dataclass
class Principal:
    """The authenticated caller of one request."""

    kind: Kind
    org_id: int | None = None
    plan: str = "free"
    user_id: int | None = None
    email: str | None = None
    role: Role | None = None
    is_platform_admin: bool = False
    app_id: int | None = None
    claims: auth_pipeline.TokenClaims | None = None
    rate: Verdict | None = None


def client_ip(request: Request) -> str:
    """The socket peer, or the X-Forwarded-For hop PROXIES_COUNT from the right (Sanic does this)."""
    return request.remote_addr or request.ip or "unknown"


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Missing bearer token")
    return token.strip()


async def principal_from_token(request: Request, token: str) -> Principal:
    """Verify a JWT (signature, HS256, expiry, revocation) and load its user as stored now."""
    ctx = request.app.ctx
    claims = auth_pipeline.decode_token(token, ctx.settings.SECRET_KEY)
    if await auth_pipeline.is_revoked(ctx.redis, claims.jti):
        raise Unauthorized("Token revoked")
    user_row = await auth_pipeline.active_user(claims)
    org: Org = user_row.org  # type: ignore[assignment]
    return Principal(
        kind=Kind.user,
        org_id=org.id,
        plan=org.plan,
        user_id=user_row.id,
        email=user_row.email,
        role=Role(user_row.role),
        is_platform_admin=user_row.is_platform_admin,
        claims=claims,
    )


async def _sdk(request: Request) -> Principal:
    key = request.headers.get("x-sdk-key", "").strip()
    if not key:
        raise Unauthorized("Missing X-SDK-Key header")
    app_key = await request.app.ctx.sdk_keys.get(key)
    if app_key is None:
        raise Unauthorized("Invalid SDK key")
    return Principal(kind=Kind.sdk, org_id=app_key.org_id, plan=app_key.plan, app_id=app_key.app_id)


async def _orgkey(request: Request) -> Principal:
    key = request.headers.get("x-api-key", "").strip()
    if not key:
        raise Unauthorized("Missing X-API-Key header")
    org = await Org.get_or_none(api_key=key)
    if org is None:
        raise Unauthorized("Invalid API key")
    return Principal(kind=Kind.orgkey, org_id=org.id, plan=org.plan)


async def _operator(request: Request, admin_token_only: bool = False) -> Principal:
    configured = request.app.ctx.settings.ADMIN_TOKEN
    presented = request.headers.get("x-admin-token", "")
    if presented:
        if configured and hmac.compare_digest(presented.encode(), configured.encode()):
            return Principal(kind=Kind.operator, is_platform_admin=True)
        raise Unauthorized("Invalid admin token")
    if admin_token_only and not request.headers.get("authorization"):
        raise Unauthorized("Missing X-Admin-Token header")
    principal = await principal_from_token(request, _bearer(request))
    if admin_token_only:
        raise Forbidden("This route needs the X-Admin-Token header")
    if not principal.is_platform_admin:
        raise Forbidden("Platform operator access required")
    return principal


async def authenticate(request: Request, access: Access) -> Principal:
    """Check the request's credentials against `access`, then count it against its rate-limit tier."""
    limiter = request.app.ctx.limiter
    if access.kind is Kind.public:
        principal = Principal(kind=Kind.public)
        if access.tier:
            principal.rate = await limiter.hit(access.tier, f"ip:{client_ip(request)}", "free")
        return principal
    if access.kind is Kind.operator or (access.operator_ok and request.headers.get("x-admin-token")):
        return await _operator(request, access.admin_token_only)
    if access.kind is Kind.user:
        # EventSource cannot send headers: such routes also take ?token=, the header winning if both are sent.
        use_query = (
            access.token_query and not request.headers.get("authorization") and request.args.get("token")
        )
        principal = await principal_from_token(
            request, request.args.get("token") if use_query else _bearer(request)
        )
        assert principal.role is not None
        if access.min_role is not None and ROLE_RANK[principal.role] < ROLE_RANK[access.min_role]:
            raise Forbidden(f"This action needs the {access.min_role.value} role or higher")
    elif access.kind is Kind.sdk:
        principal = await _sdk(request)
    else:
        principal = await _orgkey(request)
    tier = access.default_tier
    if tier and not access.self_limited:
        principal.rate = await limiter.hit(tier, _rate_client(request, tier, principal), principal.plan)
    return principal


def rate_client(request: Request, access: Access, principal: Principal) -> str:
    """The budget a self-limited route spends."""
    return _rate_client(request, access.default_tier or "", principal)


def _rate_client(request: Request, tier: str, principal: Principal) -> str:
    """Whose budget a request spends: per IP (auth), org (export), app (sdk), else user."""
    if tier == "auth":
        return f"ip:{client_ip(request)}"
    if tier == "export":
        return f"org:{principal.org_id}"
    if principal.kind is Kind.sdk:
        return f"app:{principal.app_id}"
    if principal.kind is Kind.orgkey:
        return f"orgkey:{principal.org_id}"
    return f"user:{principal.user_id}"
