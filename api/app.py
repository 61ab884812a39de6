"""The Sanic application factory: routes, errors, request ids, logs, metrics, resources."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from sanic import HTTPResponse, Request, Sanic
from sanic_ext import Config as ExtConfig
from sanic_ext.extensions.openapi.builders import SpecificationBuilder

from api import metrics
from api.errors import JsonErrorHandler, rate_headers, request_id
from api.headers import security_headers
from api.keycache import SdkKeyCache, UsageCache
from api.ratelimit import RateLimiter
from api.streamhub import StreamHub
from core import __version__
from core.appcache import AppCache
from core.db import close_db, init_db
from core.jobs import JobWaiter
from core.logging import configure_logging, get_logger
from core.pubsub import CHANNEL_INVALIDATE, CHANNEL_JOBS_DONE, Bus
from core.redis import async_client
from core.settings import Settings, get_settings
from pipelines import experiments, flags, stripeclient
from pipelines import webhooks as webhook_pipeline

log = get_logger("api.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Sanic reads bodies up to this size; the routes' own limits (1 MiB, SDK 256 KiB) are
# checked after the body was read, so the 413 reaches the client instead of a reset
# connection (closing with unread request data makes TCP reset it).
READ_LIMIT = 8 * 1024 * 1024


MAX_INT4, MAX_INT8 = 2**31 - 1, 2**63 - 1


def _bounded(limit: int) -> Any:
    def cast(value: str) -> int:
        number = int(value)
        if not 1 <= number <= limit:
            raise ValueError("id out of range")  # the route does not match: 404
        return number

    cast.__name__ = f"id_upto_{limit}"  # the router's generated code looks casts up by name: keep them apart
    return cast


def register_id_patterns(app: Sanic) -> None:
    """Path types `<x:id>` (integer key) and `<x:bigid>` (bigint key): out-of-range ids are 404, not 500."""
    app.router.register_pattern("id", _bounded(MAX_INT4), r"^[0-9]{1,10}$")
    app.router.register_pattern("bigid", _bounded(MAX_INT8), r"^[0-9]{1,19}$")


def _blueprints() -> list[Any]:
    from api.routes import (
        adstrategy,
        ai,
        alerts,
        analytics,
        apps,
        auth,
        billing,
        blog,
        codeagent,
        dashboard,
        dashboards,
        devops,
        experiments,
        export,
        flags,
        jobs,
        notifications,
        org,
        queue,
        sdk,
        segments,
        settings,
        stream,
        system,
        team,
        webhooks,
    )

    return [
        auth.bp,
        apps.bp,
        adstrategy.bp,
        org.bp,
        team.bp,
        settings.bp,
        billing.bp,
        sdk.bp,
        flags.bp,
        experiments.bp,
        segments.bp,
        analytics.bp,
        alerts.bp,
        webhooks.bp,
        notifications.bp,
        dashboards.bp,
        dashboard.bp,
        ai.query_bp,
        ai.bp,
        export.bp,
        stream.bp,
        jobs.bp,
        system.bp,
        system.root,
        queue.bp,
        codeagent.bp,
        devops.bp,
        blog.bp,
    ]


def create_app(settings: Settings | None = None) -> Sanic:
    """Build the API application for `settings` (default: from the environment)."""
    settings = settings or get_settings()
    configure_logging(settings.LOG_LEVEL, process="api")
    app = Sanic("vaimanasoft", configure_logging=False)
    app.config.update(
        REQUEST_MAX_SIZE=READ_LIMIT,
        PROXIES_COUNT=settings.PROXIES_COUNT,
        REAL_IP_HEADER=None,
        FORWARDED_SECRET=None,
        KEEP_ALIVE_TIMEOUT=30,
        REQUEST_TIMEOUT=30,
        RESPONSE_TIMEOUT=120,
        ACCESS_LOG=False,
        FALLBACK_ERROR_FORMAT="json",
        MOTD=False,
    )
    app.error_handler = JsonErrorHandler()
    app.ctx.settings = settings
    app.extend(
        config=ExtConfig(
            oas_url_prefix="/docs",
            oas_ui_default="swagger",
            oas_ui_redoc=False,
            oas_autodoc=False,
            cors=bool(settings.CORS_ORIGINS),
            cors_origins=settings.CORS_ORIGINS,
            cors_expose_headers="X-Request-Id,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset,Retry-After",
            cors_allow_headers="Authorization,Content-Type,X-SDK-Key,X-API-Key,X-Admin-Token,X-Request-Id",
            health=False,
            http_auto_trace=False,
            injection=False,
        )
    )
    app.ext.openapi.describe(
        "Vaimanasoft API",
        version=__version__,
        description="Self-hostable analytics for Android apps. See API.md for the contract.",
    )
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")
    app.ext.openapi.add_security_scheme("sdkKey", "apiKey", location="header", name="X-SDK-Key")
    app.ext.openapi.add_security_scheme("apiKey", "apiKey", location="header", name="X-API-Key")
    app.ext.openapi.add_security_scheme("adminToken", "apiKey", location="header", name="X-Admin-Token")
    register_id_patterns(app)
    for blueprint in _blueprints():
        app.blueprint(blueprint)

    spec_cache: dict[str, Any] = {}

    def openapi_spec() -> dict[str, Any]:
        if "spec" not in spec_cache:
            spec_cache["spec"] = SpecificationBuilder().build(app).serialize()
        return spec_cache["spec"]

    app.ctx.openapi_spec = openapi_spec

    @app.before_server_start
    async def start_resources(app: Sanic) -> None:
        from actors.broker import broker

        await init_db(settings)
        app.ctx.redis = async_client(settings.REDIS_URL)
        app.ctx.broker = broker
        app.ctx.limiter = RateLimiter(app.ctx.redis, settings.RATE_LIMIT_SCALE)
        app.ctx.sdk_keys = SdkKeyCache()
        app.ctx.usage = UsageCache()
        app.ctx.stripe = stripeclient.client(settings)
        # Hot-path sends go straight to a Redis broker (see actors.fastsend); RabbitMQ uses Dramatiq's client.
        app.ctx.broker_redis = None if settings.broker_is_rabbitmq else async_client(settings.broker_url)
        app.ctx.broker_is_limiter_redis = settings.broker_url == settings.REDIS_URL
        app.ctx.job_waiter = JobWaiter(app.ctx.redis)
        bus = app.ctx.bus = Bus(app.ctx.redis)
        app.ctx.flag_sets = AppCache("flags", flags.compiled_flags)
        app.ctx.running_experiments = AppCache("experiments", experiments.running)
        app.ctx.webhook_subscriptions = AppCache(webhook_pipeline.CACHE_SCOPE, webhook_pipeline.subscriptions)
        bus.subscribe(CHANNEL_INVALIDATE, app.ctx.sdk_keys.on_invalidate)
        bus.subscribe(CHANNEL_INVALIDATE, app.ctx.flag_sets.on_invalidate)
        bus.subscribe(CHANNEL_INVALIDATE, app.ctx.running_experiments.on_invalidate)
        bus.subscribe(CHANNEL_INVALIDATE, app.ctx.webhook_subscriptions.on_invalidate)
        bus.subscribe(CHANNEL_JOBS_DONE, app.ctx.job_waiter.notify)
        bus.on_reconnect(app.ctx.sdk_keys.clear)
        bus.on_reconnect(app.ctx.flag_sets.clear)
        bus.on_reconnect(app.ctx.running_experiments.clear)
        bus.on_reconnect(app.ctx.webhook_subscriptions.clear)
        bus.start()
        app.ctx.stream_hub = StreamHub(app.ctx.redis)
        app.ctx.stream_hub.start()

    @app.after_server_stop
    async def stop_resources(app: Sanic) -> None:
        await app.ctx.bus.stop()
        await app.ctx.stream_hub.stop()
        await app.ctx.redis.aclose()
        await stripeclient.close(app.ctx.stripe)
        if app.ctx.broker_redis is not None:
            await app.ctx.broker_redis.aclose()
        await close_db()

    @app.on_request(priority=100)
    async def begin(request: Request) -> None:
        incoming = request.headers.get("x-request-id", "")
        request.ctx.request_id = incoming if REQUEST_ID.match(incoming) else None
        rid = request_id(request)
        request.ctx.started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=rid)

    @app.on_response(priority=100)
    async def finish(request: Request, response: HTTPResponse) -> None:
        response.headers["X-Request-Id"] = request_id(request)
        for name, value in rate_headers(request).items():
            response.headers.setdefault(name, value)
        started = getattr(request.ctx, "started", None)
        elapsed = time.perf_counter() - started if started else 0.0
        route = request.route.name if request.route else "unmatched"
        metrics.observe(request.method, route, response.status, elapsed)
        # The path only: query strings may carry credentials (e.g. /stream?token=).
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=response.status,
            ms=round(elapsed * 1000, 2),
            ip=request.remote_addr or request.ip,
        )
        structlog.contextvars.unbind_contextvars("request_id")

    if settings.SECURITY_HEADERS:
        # Issue 17: nosniff, CSP, frame and referrer policies on every response, in a hook of its own.
        app.on_response(security_headers(settings, app.config.OAS_UI_SWAGGER_CDN_URL), priority=90)

    return app
