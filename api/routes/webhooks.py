"""Webhooks (API.md section 9): CRUD, a synchronous test delivery, the last deliveries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routes.flags import DeletedOut
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, endpoint, set_fields
from pipelines import outbound, webhookdelivery, webhooks

bp = Blueprint("webhooks", url_prefix="/api/v4")

EventName = Literal[
    "session_start",
    "session_end",
    "purchase",
    "ad_watched",
    "page_view",
    "feature_used",
    "notification_clicked",
    "device.registered",
    "event.batch",
    "*",
]
URL = Field(min_length=1, max_length=outbound.MAX_URL_LENGTH, description="http(s) URL with a public address")
EVENTS = Field(
    min_length=1, max_length=len(webhooks.EVENTS), description="`*`: every event and device.registered"
)


class WebhookIn(Body):
    app_id: AppId
    name: str = Field(min_length=1, max_length=255)
    url: str = URL
    events: list[EventName] = EVENTS


class WebhookUpdate(Body):
    app_id: AppId | None = None
    name: str | None = Field(None, min_length=1, max_length=255)
    url: str | None = Field(None, min_length=1, max_length=outbound.MAX_URL_LENGTH)
    events: list[EventName] | None = Field(None, min_length=1, max_length=len(webhooks.EVENTS))
    is_active: bool | None = Field(
        None, description="true re-enables a disabled webhook (failure count reset)"
    )
    rotate_secret: bool = Field(False, description="make a new signing secret, answered once")


class WebhookOut(BaseModel):
    id: int
    app_id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    failure_count: int = Field(description="deliveries failed for good in a row (20 disable the webhook)")
    disabled_reason: str | None
    disabled_at: str | None
    last_delivery_at: str | None
    created_at: str
    updated_at: str
    secret: str | None = Field(None, description="`whsec_...`: only in the answer that makes it")


class WebhooksOut(BaseModel):
    webhooks: list[WebhookOut]


class TestOut(BaseModel):
    status_code: int | None = Field(description="null when the target did not answer")
    response_ms: int | None
    body: str = Field(description="the first 1 KiB of the answer")
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    delivery_id: str
    event: str
    attempt: int
    status: Literal["delivered", "retrying", "failed"]
    status_code: int | None
    duration_ms: int | None
    error: str | None
    at: str


class DeliveriesOut(BaseModel):
    deliveries: list[DeliveryOut]


@endpoint(bp, "GET", "/webhooks", access=VIEWER, query=AppQuery, responses={200: WebhooksOut})
async def list_webhooks(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's webhooks (never their secrets)."""
    return ok({"webhooks": await webhooks.list_webhooks(principal.org_id, query.app_id)})


@endpoint(
    bp,
    "POST",
    "/webhooks",
    access=ADMIN,
    body=WebhookIn,
    responses={201: WebhookOut},
    action="webhook.create",
)
async def create_webhook(request: Request, principal: Principal, body: WebhookIn) -> HTTPResponse:
    """Create a webhook (at most 10 per app); its signing secret is in this answer only."""
    ctx = request.app.ctx
    hook, secret = await webhooks.create_webhook(
        ctx.settings, ctx.redis, principal.org_id, body.app_id, body.name, body.url, list(body.events)
    )
    return ok(webhooks.webhook_body(hook, secret), status=201)


@endpoint(bp, "GET", "/webhooks/<webhook_id:id>", access=VIEWER, responses={200: WebhookOut})
async def get_webhook(request: Request, principal: Principal, webhook_id: int) -> HTTPResponse:
    """One webhook."""
    return ok(webhooks.webhook_body(await webhooks.get_webhook(principal.org_id, webhook_id)))


@endpoint(
    bp,
    "PUT",
    "/webhooks/<webhook_id:id>",
    access=ADMIN,
    body=WebhookUpdate,
    responses={200: WebhookOut},
    action="webhook.update",
)
async def update_webhook(
    request: Request, principal: Principal, webhook_id: int, body: WebhookUpdate
) -> HTTPResponse:
    """Change name, url, events or is_active; `rotate_secret` answers a new secret once."""
    changes = set_fields(body, frozenset(), "webhook", exclude=frozenset({"app_id", "rotate_secret"}))
    ctx = request.app.ctx
    hook, secret = await webhooks.update_webhook(
        ctx.settings, ctx.redis, principal.org_id, webhook_id, body.app_id, changes, body.rotate_secret
    )
    return ok(webhooks.webhook_body(hook, secret))


@endpoint(
    bp,
    "DELETE",
    "/webhooks/<webhook_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut},
    action="webhook.delete",
)
async def delete_webhook(
    request: Request, principal: Principal, webhook_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete a webhook with its delivery history."""
    await webhooks.delete_webhook(request.app.ctx.redis, principal.org_id, webhook_id, query.app_id)
    return ok({"success": True})


@endpoint(
    bp,
    "POST",
    "/webhooks/<webhook_id:id>/test",
    access=ADMIN,
    responses={200: TestOut},
    action="webhook.test",
)
async def test_webhook(request: Request, principal: Principal, webhook_id: int) -> HTTPResponse:
    """Send a signed `test` event now through the delivery path: `{status_code, response_ms, body}`."""
    hook = await webhooks.get_webhook(principal.org_id, webhook_id)
    return ok(await webhookdelivery.send_test(request.app.ctx.settings, hook))


@endpoint(bp, "GET", "/webhooks/<webhook_id:id>/deliveries", access=VIEWER, responses={200: DeliveriesOut})
async def list_deliveries(request: Request, principal: Principal, webhook_id: int) -> HTTPResponse:
    """The webhook's last 25 delivery attempts, newest first."""
    return ok({"deliveries": await webhooks.list_deliveries(principal.org_id, webhook_id)})
