"""Accounts and credentials: registration, login, JWTs and their revocation, keys."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.errors import Conflict, ServiceUnavailable, Unauthorized
from core.models import Org, Role, User

JWT_ALGORITHM = "HS256"
BAD_CREDENTIALS = "Invalid email or password"
_hasher = PasswordHasher()  # argon2id with the library's recommended cost
# Verified when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def valid_email(value: str) -> str:
    """Lower-cased email, or ValueError."""
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if (
        not at
        or not local
        or "@" in domain
        or "." not in domain
        or " " in value
        or domain.startswith(".")
        or domain.endswith(".")
    ):
        raise ValueError("must be a valid email address")
    return value


def new_sdk_key() -> str:
    """An app's SDK key: sk_ and 16 hex digits."""
    return "sk_" + secrets.token_hex(8)


def new_org_api_key() -> str:
    """An organisation's API key: ok_ and 32 hex digits."""
    return "ok_" + secrets.token_hex(16)


async def hash_password(password: str) -> str:
    """argon2id hash, computed off the event loop."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""

    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    org_id: int
    role: str
    jti: str
    exp: int


def issue_token(user: User, secret: str, ttl_seconds: int) -> str:
    """A signed HS256 JWT for the user."""
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "org": user.org_id,  # type: ignore[attr-defined]
        "role": user.role.value if isinstance(user.role, Role) else user.role,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


def decode_token(token: str, secret: str) -> TokenClaims:
    """Verify signature, algorithm (HS256 only) and expiry; raise Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "org", "role", "iat", "exp", "jti"]},
        )
        return TokenClaims(
            user_id=int(claims["sub"]),
            org_id=int(claims["org"]),
            role=str(claims["role"]),
            jti=str(claims["jti"]),
            exp=int(claims["exp"]),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise Unauthorized("Invalid token") from None


def _revoked_key(jti: str) -> str:
    return f"auth:revoked:{jti}"


async def revoke_token(redis: Redis, claims: TokenClaims) -> None:
    """Revoke a token's jti until the token would expire anyway."""
    ttl = max(1, claims.exp - int(time.time()))
    try:
        await redis.set(_revoked_key(claims.jti), "1", ex=ttl)
    except RedisError as exc:
        raise ServiceUnavailable("Token revocation store (Redis) unavailable") from exc


async def is_revoked(redis: Redis, jti: str) -> bool:
    """True when the jti was revoked; fails closed when Redis is down."""
    try:
        return bool(await redis.exists(_revoked_key(jti)))
    except RedisError as exc:
        raise ServiceUnavailable("Token revocation store (Redis) unavailable") from exc


async def register(name: str, email: str, password: str, org_name: str, plan: str) -> User:
    """Create an organisation and its owner; Conflict when the email is taken."""
    email = email.strip().lower()
    if await User.filter(email=email).exists():
        raise Conflict("Email already registered")
    password_hash = await hash_password(password)
    try:
        async with in_transaction():
            org = await Org.create(name=org_name.strip(), plan=plan, api_key=new_org_api_key())
            user = await User.create(
                org=org, name=name.strip(), email=email, password_hash=password_hash, role=Role.owner
            )
    except IntegrityError:
        # Two registrations raced for the same email.
        raise Conflict("Email already registered") from None
    return user


async def authenticate(email: str, password: str) -> User:
    """The user with these credentials; the same Unauthorized whether the email exists or not."""
    user = await User.get_or_none(email=email.strip().lower())
    usable = user is not None and user.status == "active" and user.password_hash
    ok = await verify_password(user.password_hash if usable else _DUMMY_HASH, password)  # type: ignore[union-attr,arg-type]
    if not usable or not ok:
        raise Unauthorized(BAD_CREDENTIALS)
    assert user is not None
    return user


async def active_user(claims: TokenClaims) -> User:
    """The token's user as stored now (role changes and removal take effect at once)."""
    user = await User.get_or_none(id=claims.user_id, org_id=claims.org_id, status="active").select_related(
        "org"
    )
    if user is None:
        raise Unauthorized("Invalid token")
    return user


async def create_platform_admin(email: str, password: str, name: str, org_name: str, plan: str) -> User:
    """Create (or promote) a platform operator account."""
    existing = await User.get_or_none(email=email.strip().lower())
    if existing is not None:
        existing.is_platform_admin = True
        existing.password_hash = await hash_password(password)
        await existing.save(update_fields=["is_platform_admin", "password_hash"])
        return existing
    user = await register(name, email, password, org_name, plan)
    user.is_platform_admin = True
    await user.save(update_fields=["is_platform_admin"])
    return user
