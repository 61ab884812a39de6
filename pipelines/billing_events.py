"""Stripe webhook events: verified, applied once, in order (API.md section 8).

- Verified with `stripe.Webhook.construct_event` over the raw body (bad or stale signature: 400).
- Idempotent by event id: the event's row in `stripe_events` is inserted first, in the transaction that
  applies it; a second delivery (or five at once) finds the row and changes nothing.
- Out-of-order safe: the subscription row keeps the Stripe `created` time of the event that set its state
  (`state_at`); an older event of the same subscription never overwrites it, a canceled subscription stays
  canceled, and another subscription takes over only when it is live and newer.
- The org's plan follows its subscription: a live one (active, trialing, past_due) gives the plan of its
  price (STRIPE_PRICE_*, else the plan named in its metadata); any other status gives DEFAULT_PLAN. After
  a change every API process drops its cached plan (pub/sub) and the device-quota mark is recomputed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import asyncpg
import stripe
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from core.db import raw_connection
from core.errors import BadRequest, ServiceUnavailable
from core.logging import get_logger
from core.pubsub import invalidate
from core.settings import Settings
from pipelines import activity, outbound, usage
from pipelines.billing import LIVE_STATUSES, PAID_PLANS, _locked_row, price_ids

log = get_logger(__name__)

HANDLED = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.payment_failed",
        "invoice.paid",
    }
)


class EventData(BaseModel):
    object: dict[str, Any]


class EventIn(BaseModel):
    """The envelope of a Stripe event (snapshot payload)."""

    id: str
    type: str
    created: int
    data: EventData


@dataclass
class State:
    """What an event says about the org's subscription; None leaves a field as it is."""

    subscription_id: str | None
    customer_id: str | None = None
    status: str | None = None
    plan: str | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool | None = None


@dataclass
class Outcome:
    """What processing an event did, for the response and the follow-ups after the commit."""

    result: str  # applied | duplicate | ignored | stale | unknown_org
    org_id: int | None = None
    plan_changed: bool = False
    email_owners: bool = False


def verify(settings: Settings, payload: bytes, signature: str | None) -> EventIn:
    """The event of a webhook request, its `Stripe-Signature` checked (400 when wrong, stale or absent)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise ServiceUnavailable("Stripe webhooks are not configured (set STRIPE_WEBHOOK_SECRET)")
    if not signature:
        raise BadRequest("Missing Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        raise BadRequest("Invalid or expired Stripe signature") from None
    except ValueError:  # not UTF-8 or not JSON, though signed
        raise BadRequest("Invalid webhook payload: not a JSON event") from None
    try:
        return EventIn.model_validate_json(payload)
    except ValidationError:
        raise BadRequest("Invalid webhook payload: not a Stripe event") from None


def _id_of(value: Any) -> str | None:
    """A Stripe reference: an id string or an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) and value > 0 else None


def _plan_of_subscription(settings: Settings, sub: dict[str, Any]) -> str | None:
    by_price = {price: plan for plan, price in price_ids(settings).items()}
    for item in (sub.get("items") or {}).get("data") or []:
        plan = by_price.get(_id_of((item or {}).get("price")) or "")
        if plan:
            return plan
    named = (sub.get("metadata") or {}).get("plan")
    return named if named in PAID_PLANS else None


def _period_end(sub: dict[str, Any]) -> datetime | None:
    # Since Stripe API 2025-03-31 the period is on the subscription's items; before, on the subscription.
    items = (sub.get("items") or {}).get("data") or []
    ends = [i.get("current_period_end") for i in items if isinstance(i, dict) and i.get("current_period_end")]
    return _timestamp(max(ends) if ends else sub.get("current_period_end"))


def _invoice_subscription(invoice: dict[str, Any]) -> str | None:
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id_of(details.get("subscription")) or _id_of(invoice.get("subscription"))


def state_of(settings: Settings, event: EventIn) -> State | None:
    """The subscription state an event describes (None: nothing to apply, e.g. a one-off payment)."""
    obj = event.data.object
    if event.type == "checkout.session.completed":
        if obj.get("mode") != "subscription" or not _id_of(obj.get("subscription")):
            return None
        plan = (obj.get("metadata") or {}).get("plan")
        return State(
            _id_of(obj.get("subscription")),
            _id_of(obj.get("customer")),
            status="active",
            plan=plan if plan in PAID_PLANS else None,
            cancel_at_period_end=False,
        )
    if event.type.startswith("customer.subscription."):
        status = "canceled" if event.type == "customer.subscription.deleted" else str(obj.get("status"))
        return State(
            _id_of(obj),
            _id_of(obj.get("customer")),
            status=status,
            plan=_plan_of_subscription(settings, obj),
            current_period_end=_period_end(obj),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        )
    status = "past_due" if event.type == "invoice.payment_failed" else "active"
    return State(_invoice_subscription(obj), _id_of(obj.get("customer")), status=status)


async def _org_of(conn: asyncpg.Connection, event: EventIn, state: State) -> int | None:
    """The org an event is about: by its Stripe customer, else the org id we put in the checkout."""
    if state.customer_id:
        org_id = await conn.fetchval(
            "SELECT org_id FROM subscriptions WHERE stripe_customer_id = $1", state.customer_id
        )
        if org_id is not None:
            return org_id
    obj = event.data.object
    for candidate in (obj.get("client_reference_id"), (obj.get("metadata") or {}).get("org_id")):
        if isinstance(candidate, str) and candidate.isdigit() and int(candidate) < 2**31:
            if await conn.fetchval("SELECT id FROM orgs WHERE id = $1", int(candidate)) is not None:
                return int(candidate)
    return None


def _supersedes(row: asyncpg.Record, state: State, created: int, event_type: str) -> bool:
    """Whether the event's state replaces the stored one (module docstring: ordering)."""
    stored = row["stripe_subscription_id"]
    if state.subscription_id is None:
        return False
    if event_type.startswith("invoice."):
        # An invoice says only how a payment of a known subscription went; it neither introduces a
        # subscription nor dates its state (an invoice arriving before the subscription's own events
        # must not make them stale).
        return state.subscription_id == stored and row["status"] != "canceled" and created >= row["state_at"]
    if stored and state.subscription_id != stored:
        # Another subscription takes over only when live and newer: a late event of an old one changes nothing.
        return state.status in LIVE_STATUSES and created >= row["state_at"]
    if stored and row["status"] == "canceled":
        return False  # a canceled subscription never comes back
    return created >= row["state_at"]


async def _apply(
    conn: asyncpg.Connection, settings: Settings, org_id: int, row: asyncpg.Record, state: State, created: int
) -> bool:
    """Store the state (dated `created`; 0 keeps the stored date) and the plan it gives; returns whether
    the plan changed."""
    status = state.status or row["status"]
    sub_id = state.subscription_id or row["stripe_subscription_id"]
    same_sub = sub_id == row["stripe_subscription_id"]
    org = await conn.fetchrow("SELECT plan FROM orgs WHERE id = $1 FOR UPDATE", org_id)
    plan = settings.DEFAULT_PLAN.value
    if status in LIVE_STATUSES:  # the price's plan; an event naming none keeps the subscription's
        plan = state.plan or (org["plan"] if same_sub else None) or plan
    period_end = state.current_period_end or (row["current_period_end"] if same_sub else None)
    cancel = state.cancel_at_period_end
    if cancel is None:
        cancel = row["cancel_at_period_end"] if same_sub else False
    await conn.execute(
        "UPDATE subscriptions SET stripe_customer_id = COALESCE(stripe_customer_id, $2), "
        "stripe_subscription_id = $3, status = $4, current_period_end = $5, cancel_at_period_end = $6, "
        "state_at = GREATEST(state_at, $7), updated_at = now() WHERE org_id = $1",
        org_id,
        state.customer_id,
        sub_id,
        status,
        period_end,
        cancel,
        created,
    )
    if plan != org["plan"]:
        await conn.execute("UPDATE orgs SET plan = $2 WHERE id = $1", org_id, plan)
    before = {
        "plan": org["plan"],
        "status": row["status"],
        "cancel_at_period_end": row["cancel_at_period_end"],
    }
    after = {"plan": plan, "status": status, "cancel_at_period_end": cancel}
    if before != after:
        actor = activity.Actor(org_id, None, None, None, "Stripe webhook")
        await activity.record_change(
            conn, sub_id, {"before": before, "after": after}, action="billing.update", actor=actor
        )
    return plan != org["plan"]


async def process(
    settings: Settings, redis: Redis, event: EventIn, send_email: Callable[[str], Awaitable[None]]
) -> Outcome:
    """Apply one verified event once. `send_email(event_id)` queues the owners' email of a failed payment;
    it is called inside the transaction, so an event whose email cannot be queued is not recorded (Stripe
    delivers it again)."""
    if event.type not in HANDLED:
        return Outcome("ignored")
    state = state_of(settings, event)
    async with raw_connection() as conn, conn.transaction():
        first = await conn.fetchval(
            "INSERT INTO stripe_events (id, type, created, received_at) VALUES ($1, $2, $3, now()) "
            "ON CONFLICT (id) DO NOTHING RETURNING true",
            event.id,
            event.type,
            event.created,
        )
        if not first:
            return Outcome("duplicate")
        org_id = await _org_of(conn, event, state) if state is not None else None
        if org_id is None:
            log.warning("billing.event_without_org", event_id=event.id, type=event.type)
            return Outcome("ignored" if state is None else "unknown_org")
        await conn.execute("UPDATE stripe_events SET org_id = $2 WHERE id = $1", event.id, org_id)
        row = await _locked_row(conn, org_id)
        if not _supersedes(row, state, event.created, event.type):
            return Outcome("stale", org_id)
        dated = 0 if event.type.startswith("invoice.") else event.created
        outcome = Outcome("applied", org_id, await _apply(conn, settings, org_id, row, state, dated))
        if event.type == "invoice.payment_failed":
            outcome.email_owners = True
            await send_email(event.id)
    if outcome.plan_changed:
        await invalidate(redis, "org", org_id)
        await usage.sync_device_quota_mark(redis, org_id)
    return outcome


# --- the owners' email of a failed payment (run by a worker) ---------------------------------------------


class EventNotCommitted(Exception):
    """The event's transaction has not committed yet (or was rolled back): retried by the actor."""


async def email_payment_failed(settings: Settings, event_id: str) -> bool:
    """Email the org's owners that a payment failed, once per event (the row is locked while sending);
    False when SMTP is not configured (nothing to retry)."""
    if not settings.SMTP_HOST:
        log.warning("billing.payment_failed_not_emailed", event_id=event_id, reason="SMTP not configured")
        return False
    async with raw_connection() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT e.org_id, e.notified_at, o.name FROM stripe_events e JOIN orgs o ON o.id = e.org_id "
            "WHERE e.id = $1 FOR UPDATE OF e",
            event_id,
        )
        if row is None:
            raise EventNotCommitted(event_id)
        if row["notified_at"] is not None:
            return True
        owners = await conn.fetch(
            "SELECT email FROM users WHERE org_id = $1 AND role = 'owner' AND status = 'active' ORDER BY id",
            row["org_id"],
        )
        if owners:
            message = EmailMessage()
            message["From"] = settings.SMTP_FROM
            message["To"] = ", ".join(r["email"] for r in owners)
            message["Subject"] = f"[Vaimanasoft] Payment failed for {row['name']}"[:200].replace("\n", " ")
            link = f"{settings.PUBLIC_URL.rstrip('/')}/billing" if settings.PUBLIC_URL else "the billing page"
            message.set_content(
                f"Stripe could not collect the latest payment of {row['name']}'s subscription. Stripe will "
                f"try again; meanwhile the subscription is past due.\n\nUpdate the payment method from "
                f"{link} (Manage billing).\n"
            )
            await outbound.send_email(settings, message)
        await conn.execute("UPDATE stripe_events SET notified_at = now() WHERE id = $1", event_id)
    return True
