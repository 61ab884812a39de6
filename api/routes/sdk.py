"""SDK routes (X-SDK-Key, or X-API-Key for auto-register): API.md section 1."""

from __future__ import annotations

import asyncio
import functools
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sanic import Blueprint, HTTPResponse, Request

from actors import fastsend
from actors import webhooks as webhook_actors
from actors.ingest import ingest_batch
from api.auth import ORG_KEY, SDK, SDK_SELF_LIMITED, Principal, rate_client
from api.jobs import enqueue_job
from api.responses import ok
from api.routing import Body, Query, endpoint
from core.clock import iso, utcnow
from core.errors import BadRequest, PlanLimitReached
from pipelines import devicecache, devices, events, profiles, stream, usage

bp = Blueprint("sdk", url_prefix="/api/v4")

ANDROID_ID = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
TEXT = Field(None, max_length=255)
COUNTRY = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")


class RegisterDeviceIn(Body):
    android_id: str = ANDROID_ID
    brand: str | None = TEXT
    model: str | None = TEXT
    android_version: str | None = TEXT
    app_version: str | None = TEXT
    fcm_token: str | None = Field(None, max_length=4096)
    country: str | None = COUNTRY
    install_type: Literal["organic", "store"] | None = None


class DeviceOut(BaseModel):
    id: int
    android_id: str
    user_segment: str
    created_at: str


class RegisterDeviceOut(BaseModel):
    success: bool
    device: DeviceOut


class AutoRegisterIn(Body):
    package_name: str = Field(
        min_length=3, max_length=255, pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$"
    )
    app_name: str | None = Field(None, min_length=1, max_length=255)
    android_id: str = ANDROID_ID
    brand: str | None = TEXT
    android_ver: str | None = TEXT
    app_ver: str | None = TEXT
    fcm_token: str | None = Field(None, max_length=4096)


class AutoRegisterOut(BaseModel):
    success: bool
    sdk_key: str
    app_id: int
    device_id: int
    app_action: Literal["created", "existing"]
    device_action: Literal["registered", "updated"]


async def _announce(request: Request, app_id: int, device: devices.RegisteredDevice) -> None:
    """A new device's `device.registered` webhook deliveries, when the app has webhooks wanting it."""
    if device.created and any(
        s.wants_devices for s in await request.app.ctx.webhook_subscriptions.get(app_id)
    ):
        await asyncio.to_thread(webhook_actors.fan_out.send, [], [[app_id, [device.id]]])


@endpoint(
    bp,
    "POST",
    "/devices/register",
    access=SDK,
    body=RegisterDeviceIn,
    responses={200: RegisterDeviceOut, 403: None},
)
async def register_device(request: Request, principal: Principal, body: RegisterDeviceIn) -> HTTPResponse:
    """Register a device, or update it (upsert by app and android_id)."""
    device = await devices.register_device(
        principal.app_id, principal.org_id, principal.plan, devices.DeviceInfo(**body.model_dump())
    )
    await devicecache.drop(request.app.ctx.redis, [(principal.app_id, body.android_id)])
    await _announce(request, principal.app_id, device)
    return ok(
        {
            "success": True,
            "device": {
                "id": device.id,
                "android_id": device.android_id,
                "user_segment": device.user_segment,
                "created_at": iso(device.created_at),
            },
        }
    )


@endpoint(
    bp,
    "POST",
    "/sdk/auto-register",
    access=ORG_KEY,
    body=AutoRegisterIn,
    responses={200: AutoRegisterOut, 403: None},
)
async def auto_register(request: Request, principal: Principal, body: AutoRegisterIn) -> HTTPResponse:
    """First launch: find or create the app for package_name (plan limits apply), then register the device."""
    info = devices.DeviceInfo(
        android_id=body.android_id,
        brand=body.brand,
        android_version=body.android_ver,
        app_version=body.app_ver,
        fcm_token=body.fcm_token,
    )
    app, app_created, device = await devices.auto_register(
        principal.org_id, principal.plan, body.package_name, body.app_name, info
    )
    await devicecache.drop(request.app.ctx.redis, [(app.id, body.android_id)])
    await _announce(request, app.id, device)
    return ok(
        {
            "success": True,
            "sdk_key": app.sdk_key,
            "app_id": app.id,
            "device_id": device.id,
            "app_action": "created" if app_created else "existing",
            "device_action": "registered" if device.created else "updated",
        }
    )


# --- events, profile, revenue ------------------------------------------------------------------


class EventDoc(BaseModel):
    android_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    event_type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.:-]+$")
    event_data: dict[str, Any] = Field(default_factory=dict, description="a JSON object of at most 8 KiB")
    created_at: str | None = Field(None, description="ISO-8601 or YYYY-MM-DD HH:MM:SS (UTC); default: now")
    event_id: str | None = Field(None, description="UUID; the same (app, event_id) is stored once")


class EventBatchDoc(BaseModel):
    events: list[EventDoc] = Field(min_length=1, max_length=events.MAX_EVENTS)
    sent_at: str | None = Field(None, description="the device clock when sending (clock-skew correction)")


class BatchAcceptedOut(BaseModel):
    success: bool
    accepted: int
    job_id: str


class FcmTokenIn(Body):
    android_id: str = ANDROID_ID
    fcm_token: str = Field(min_length=1, max_length=4096)


class SuccessOut(BaseModel):
    success: bool


class ProfileQuery(Query):
    android_id: str = ANDROID_ID


class ProfileOut(BaseModel):
    device_id: int
    segment: str
    country: str | None
    total_ad_watches: int
    days_since_first_install: int
    total_purchases: int
    total_revenue: float
    purchase_revenue: float
    ad_revenue: float
    purchase_history: list[dict[str, Any]]
    sessions_30d: int
    last_seen: str | None
    app_version: str | None
    ad_strategy: dict[str, Any]


class ProfileEnvelope(BaseModel):
    success: bool
    profile: ProfileOut


class ProfileActionIn(Body):
    android_id: str = ANDROID_ID
    action: Literal["ad_watched", "purchase_made", "update_country", "app_update", "session_start"]
    product_id: str | None = TEXT
    amount: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    country: str | None = COUNTRY
    app_version: str | None = TEXT


class ProfileActionOut(BaseModel):
    segment: str
    ad_strategy: dict[str, Any]


class RevenueIn(Body):
    android_id: str = ANDROID_ID
    ad_type: Literal["banner", "interstitial", "rewarded", "app_open", "native"]
    ad_network: str | None = TEXT
    revenue: float = Field(ge=0, le=1_000_000, allow_inf_nan=False, description="USD")
    ecpm: float | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)
    geo_tier: Literal["tier1", "tier2", "tier3"] | None = None
    country: str | None = COUNTRY


async def _check_quota(request: Request, principal: Principal, android_ids: set[str], events: int) -> None:
    usage_now = await request.app.ctx.usage.get(principal.org_id)
    await usage.check_batch_quota(
        principal.org_id,
        principal.app_id,
        principal.plan,
        (usage_now.devices, usage_now.events_this_month),
        android_ids,
        events,
    )


@endpoint(
    bp,
    "POST",
    "/events/batch",
    access=SDK_SELF_LIMITED,
    body_doc=EventBatchDoc,
    responses={202: BatchAcceptedOut, 403: None},
)
async def events_batch(request: Request, principal: Principal) -> HTTPResponse:
    """Accept 1..50 events; stored by the ingest worker (202 with a job id). Any invalid event rejects
    the whole batch (400 naming its index and field); 503 when the queue cannot take it."""
    received = utcnow()
    ctx = request.app.ctx
    client = rate_client(request, SDK_SELF_LIMITED, principal)
    try:
        batch = events.parse_batch(request.body or b"", received)
        android_ids = {e[0] for e in batch}
        await _check_quota(request, principal, android_ids, len(batch))
    except (BadRequest, PlanLimitReached):
        # A refused batch spends the sdk budget too, as on every SDK route (over it: 429 instead).
        principal.rate = await ctx.limiter.hit("sdk", client, principal.plan)
        raise
    message = (events.batch_message(principal.app_id, principal.org_id, received, batch),)
    job_id = await _enqueue_batch(request, principal, client, message, android_ids)
    return ok({"success": True, "accepted": len(batch), "job_id": job_id}, status=202)


async def _enqueue_batch(
    request: Request, principal: Principal, client: str, message: tuple[Any, ...], android_ids: set[str]
) -> str:
    """Count the sdk tier and enqueue the batch; while the org's device quota is marked full, first refuse
    (403) a batch that would create devices. An org under quota pays no database query for this."""
    ctx = request.app.ctx
    mark = usage.device_quota_key(principal.org_id)
    send = functools.partial(
        fastsend.send,
        ctx.broker_redis,
        ingest_batch,
        message,
        secret=ctx.settings.SECRET_KEY,
        org_id=principal.org_id,
    )
    if ctx.broker_is_limiter_redis:  # the hot path: mark, rate limit and enqueue in one round trip
        limit = ctx.limiter.step("sdk", client, principal.plan)
        job_id, principal.rate = await send(limit=limit, hold_if=mark)
        if job_id is not None:
            return job_id
        await _check_marked_quota(request, principal, client, android_ids)
        job_id, principal.rate = await send(limit=limit)
        assert job_id is not None
        return job_id
    if await _quota_marked(request, mark):
        await _check_marked_quota(request, principal, client, android_ids)
    principal.rate = await ctx.limiter.hit("sdk", client, principal.plan)
    if ctx.broker_redis is None:  # RabbitMQ: a job record and Dramatiq's client
        return await enqueue_job(request, principal, ingest_batch, message, kind="events.batch")
    job_id, _ = await send()
    assert job_id is not None
    return job_id


async def _quota_marked(request: Request, mark: str) -> bool:
    try:
        return bool(await request.app.ctx.redis.exists(mark))
    except (RedisError, OSError):  # Redis down: the cached-usage check still applies
        return False


async def _check_marked_quota(
    request: Request, principal: Principal, client: str, android_ids: set[str]
) -> None:
    try:
        await usage.check_marked_batch(
            request.app.ctx.redis, principal.org_id, principal.app_id, principal.plan, android_ids
        )
    except PlanLimitReached:
        principal.rate = await request.app.ctx.limiter.hit("sdk", client, principal.plan)
        raise


@endpoint(bp, "POST", "/devices/fcm-token", access=SDK, body=FcmTokenIn, responses={200: SuccessOut})
async def fcm_token(request: Request, principal: Principal, body: FcmTokenIn) -> HTTPResponse:
    """Store the device's Firebase push token (unknown device: 404)."""
    await profiles.set_fcm_token(principal.app_id, body.android_id, body.fcm_token)
    return ok({"success": True})


@endpoint(bp, "GET", "/sdk/profile", access=SDK, query=ProfileQuery, responses={200: ProfileEnvelope})
async def get_profile(request: Request, principal: Principal, query: ProfileQuery) -> HTTPResponse:
    """The device's profile: segment, counters, purchase history and ad strategy (unknown device: 404)."""
    return ok({"success": True, "profile": await profiles.get_profile(principal.app_id, query.android_id)})


@endpoint(
    bp, "POST", "/sdk/profile", access=SDK, body=ProfileActionIn, responses={200: ProfileActionOut, 403: None}
)
async def profile_action(request: Request, principal: Principal, body: ProfileActionIn) -> HTTPResponse:
    """Record a profile action (also stored as an event), recalculate the segment, return the strategy."""
    await _check_quota(request, principal, {body.android_id}, 1)
    if await _quota_marked(request, usage.device_quota_key(principal.org_id)):  # an unknown device: 403
        await usage.check_marked_batch(
            request.app.ctx.redis, principal.org_id, principal.app_id, principal.plan, {body.android_id}
        )
    params = body.model_dump(exclude={"android_id", "action"}, exclude_none=True)
    profile, stored, batch = await profiles.record_action(
        principal.app_id, principal.org_id, body.android_id, body.action, params, utcnow()
    )
    await usage.mark_device_quotas(request.app.ctx.redis, stored.orgs)
    await stream.publish_stored(request.app.ctx.redis, [batch], stored.inserted)
    await devicecache.drop(request.app.ctx.redis, [(principal.app_id, body.android_id)])
    return ok({"segment": profile["segment"], "ad_strategy": profile["ad_strategy"]})


@endpoint(bp, "POST", "/sdk/revenue", access=SDK, body=RevenueIn, responses={200: SuccessOut})
async def revenue(request: Request, principal: Principal, body: RevenueIn) -> HTTPResponse:
    """Record one ad impression's revenue (USD) with network, ad type, geo tier and country."""
    await profiles.record_revenue(
        principal.app_id,
        body.android_id,
        body.ad_type,
        body.ad_network,
        Decimal(str(body.revenue)),
        Decimal(str(body.ecpm)) if body.ecpm is not None else None,
        body.geo_tier,
        body.country,
        utcnow(),
    )
    return ok({"success": True})
