"""Billing through Stripe (API.md section 8): checkout, customer portal, cancellation.

The organisation's plan (`orgs.plan`, which every limit reads) changes only when Stripe's webhook events
say so (pipelines.billing_events); these calls only start the flows in Stripe. An org has at most one
Stripe customer, created on its first checkout and reused after.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import stripe

from core.db import raw_connection
from core.errors import BadRequest, Conflict
from core.settings import Settings
from pipelines import activity, stripeclient, usage

PAID_PLANS = ("starter", "pro", "enterprise")
# Stripe subscription statuses in which the org keeps its paid plan (past_due: Stripe is retrying payment).
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})

ENSURE_ROW = """
INSERT INTO subscriptions (org_id, status, cancel_at_period_end, state_at, updated_at)
VALUES ($1, 'active', false, 0, now()) ON CONFLICT (org_id) DO NOTHING
"""


def price_ids(settings: Settings) -> dict[str, str]:
    """Plan -> Stripe price id, for the plans whose STRIPE_PRICE_<PLAN> is set."""
    prices = {
        "starter": settings.STRIPE_PRICE_STARTER,
        "pro": settings.STRIPE_PRICE_PRO,
        "enterprise": settings.STRIPE_PRICE_ENTERPRISE,
    }
    return {plan: price for plan, price in prices.items() if price}


def public_url(settings: Settings) -> str:
    """Where users reach the platform (PUBLIC_URL, else the API's own address): Stripe's return pages."""
    return (settings.PUBLIC_URL or f"http://{settings.HOST}:{settings.PORT}").rstrip("/")


async def _locked_row(conn: asyncpg.Connection, org_id: int) -> asyncpg.Record:
    """The org's subscription row, created if missing, locked until the transaction ends."""
    await conn.execute(ENSURE_ROW, org_id)
    return await conn.fetchrow("SELECT * FROM subscriptions WHERE org_id = $1 FOR UPDATE", org_id)


async def _customer_id(client: stripe.StripeClient, org_id: int, email: str | None) -> str:
    """The org's Stripe customer, created on first use. The row stays locked while Stripe creates it, so
    two checkouts at once cannot create two customers."""
    async with raw_connection() as conn, conn.transaction():
        row = await _locked_row(conn, org_id)
        if row["stripe_customer_id"]:
            return row["stripe_customer_id"]
        name = await conn.fetchval("SELECT name FROM orgs WHERE id = $1", org_id)
        params: dict[str, Any] = {"name": name, "metadata": {"org_id": str(org_id)}}
        if email:
            params["email"] = email
        customer = await stripeclient.call(client.v1.customers.create_async(params))  # type: ignore[arg-type]
        await conn.execute(
            "UPDATE subscriptions SET stripe_customer_id = $2, updated_at = now() WHERE org_id = $1",
            org_id,
            customer.id,
        )
        return customer.id


async def checkout(
    client: stripe.StripeClient | None, settings: Settings, org_id: int, email: str | None, plan: str
) -> str:
    """A Checkout Session (subscription mode) for `plan`; its URL. 400 when the plan has no price id,
    409 while the org has a live subscription (plan changes go through the portal)."""
    client = stripeclient.require(client)
    price = price_ids(settings).get(plan)
    if price is None:
        raise BadRequest(
            f"The {plan} plan cannot be bought: no Stripe price is configured for it",
            {"plan": f"set STRIPE_PRICE_{plan.upper()}"},
        )
    current = await usage.subscription_row(org_id)
    if current is not None and current.stripe_subscription_id and current.status in LIVE_STATUSES:
        raise Conflict(
            "The organisation already has a subscription; change or cancel it in the billing portal"
        )
    customer = await _customer_id(client, org_id, email)
    base = public_url(settings)
    metadata = {"org_id": str(org_id), "plan": plan}
    session = await stripeclient.call(
        client.v1.checkout.sessions.create_async(
            {  # type: ignore[arg-type]
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(org_id),
                "line_items": [{"price": price, "quantity": 1}],
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
                "success_url": f"{base}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{base}/billing?checkout=cancelled",
            }
        )
    )
    await activity.record_change(None, org_id, {"plan": plan, "checkout_session": session.id})
    return session.url


async def portal(client: stripe.StripeClient | None, settings: Settings, org_id: int) -> str:
    """A Customer Portal session's URL; 409 while the org has no Stripe customer."""
    client = stripeclient.require(client)
    row = await usage.subscription_row(org_id)
    if row is None or not row.stripe_customer_id:
        raise Conflict(
            "The organisation has no Stripe customer yet; subscribe through POST /billing/checkout"
        )
    session = await stripeclient.call(
        client.v1.billing_portal.sessions.create_async(
            {"customer": row.stripe_customer_id, "return_url": f"{public_url(settings)}/billing"}
        )
    )
    await activity.record_change(None, org_id, {"portal_session": session.id})
    return session.url


async def cancel(client: stripe.StripeClient | None, org_id: int) -> None:
    """Cancel the org's subscription at the end of its period (the plan stays until Stripe ends it);
    409 without a live subscription."""
    client = stripeclient.require(client)
    row = await usage.subscription_row(org_id)
    if row is None or not row.stripe_subscription_id or row.status not in LIVE_STATUSES:
        raise Conflict("The organisation has no active subscription to cancel")
    updated = await stripeclient.call(
        client.v1.subscriptions.update_async(row.stripe_subscription_id, {"cancel_at_period_end": True})
    )
    async with raw_connection() as conn, conn.transaction():
        before = (await _locked_row(conn, org_id))["cancel_at_period_end"]
        await conn.execute(
            "UPDATE subscriptions SET cancel_at_period_end = $3, updated_at = now() "
            "WHERE org_id = $1 AND stripe_subscription_id = $2",
            org_id,
            updated.id,
            bool(updated.cancel_at_period_end),
        )
        await activity.record_change(
            conn,
            updated.id,
            {"before": {"cancel_at_period_end": before}, "after": {"cancel_at_period_end": True}},
        )
