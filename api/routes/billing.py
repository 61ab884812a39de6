"""Billing (API.md section 8): the subscription, Stripe checkout/portal/cancel, and Stripe's webhook."""

from __future__ import annotations

import asyncio
from typing import Literal

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from actors.billing import email_payment_failed
from api.auth import ADMIN, OWNER, PUBLIC, Principal
from api.responses import ok
from api.routing import Body, endpoint
from core.errors import ServiceUnavailable
from core.logging import get_logger
from pipelines import billing, billing_events, usage

bp = Blueprint("billing", url_prefix="/api/v4/billing")
log = get_logger(__name__)


class LimitsOut(BaseModel):
    apps: int | None
    devices: int | None
    events_per_month: int | None


class UsageOut(BaseModel):
    apps: int
    devices: int
    events_this_month: int


class SubscriptionOut(BaseModel):
    plan: str
    status: str
    current_period_end: str | None
    cancel_at_period_end: bool
    limits: LimitsOut
    usage: UsageOut


class CheckoutIn(Body):
    plan: Literal["starter", "pro", "enterprise"]


class CheckoutOut(BaseModel):
    checkout_url: str


class PortalOut(BaseModel):
    portal_url: str


class WebhookOut(BaseModel):
    received: bool
    result: Literal["applied", "duplicate", "ignored", "stale", "unknown_org"]


@endpoint(bp, "GET", "/subscription", access=ADMIN, responses={200: SubscriptionOut})
async def subscription(request: Request, principal: Principal) -> HTTPResponse:
    """Plan, status, limits and usage of the organisation (owners and admins)."""
    return ok(await usage.subscription(principal.org_id))


@endpoint(
    bp,
    "POST",
    "/checkout",
    access=OWNER,
    body=CheckoutIn,
    responses={200: CheckoutOut, 409: None},
    action="billing.checkout",
)
async def checkout(request: Request, principal: Principal, body: CheckoutIn) -> HTTPResponse:
    """A Stripe Checkout page subscribing the org to `plan` (owner); the plan changes once Stripe confirms."""
    ctx = request.app.ctx
    url = await billing.checkout(ctx.stripe, ctx.settings, principal.org_id, principal.email, body.plan)
    return ok({"checkout_url": url})


@endpoint(bp, "POST", "/portal", access=OWNER, responses={200: PortalOut, 409: None}, action="billing.portal")
async def portal(request: Request, principal: Principal) -> HTTPResponse:
    """A Stripe Customer Portal session: payment methods, invoices, plan changes (owner)."""
    ctx = request.app.ctx
    return ok({"portal_url": await billing.portal(ctx.stripe, ctx.settings, principal.org_id)})


@endpoint(
    bp, "POST", "/cancel", access=OWNER, responses={200: SubscriptionOut, 409: None}, action="billing.cancel"
)
async def cancel(request: Request, principal: Principal) -> HTTPResponse:
    """Cancel the subscription at the end of its period; the plan stays until then (owner)."""
    await billing.cancel(request.app.ctx.stripe, principal.org_id)
    return ok(await usage.subscription(principal.org_id))


async def _queue_payment_failed_email(event_id: str) -> None:
    try:
        await asyncio.to_thread(email_payment_failed.send, event_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: Stripe delivers the event again
        log.error("billing.email_enqueue_failed", event_id=event_id, error=str(exc))
        raise ServiceUnavailable("Job queue unavailable") from exc


@endpoint(bp, "POST", "/webhook", access=PUBLIC, responses={200: WebhookOut})
async def webhook(request: Request, principal: Principal) -> HTTPResponse:
    """Stripe's events (no JWT; `Stripe-Signature` over the raw body): applied once each, in order."""
    ctx = request.app.ctx
    event = billing_events.verify(ctx.settings, request.body or b"", request.headers.get("stripe-signature"))
    outcome = await billing_events.process(ctx.settings, ctx.redis, event, _queue_payment_failed_email)
    return ok({"received": True, "result": outcome.result})
