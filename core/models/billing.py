"""Stripe billing: each organisation's subscription, and the webhook events already processed."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Subscription(Model):
    """An organisation's Stripe customer and subscription, as the latest Stripe event described them.

    The plan itself stays on `orgs.plan` (every limit reads it); this row says where it came from.
    """

    org = fields.OneToOneField(
        "models.Org", related_name="subscription", on_delete=fields.CASCADE, primary_key=True
    )
    stripe_customer_id = fields.CharField(max_length=255, null=True, unique=True)
    stripe_subscription_id = fields.CharField(max_length=255, null=True, unique=True)
    status = fields.CharField(max_length=32, default="active")
    current_period_end = fields.DatetimeField(null=True)
    cancel_at_period_end = fields.BooleanField(default=False)
    # Stripe's `created` of the event that set this state: an older event never overwrites it.
    state_at = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscriptions"


class StripeEvent(Model):
    """A Stripe webhook event, inserted before it is applied (in the same transaction): one event id is
    applied once however often, or however concurrently, Stripe delivers it."""

    id = fields.CharField(max_length=255, primary_key=True)
    type = fields.CharField(max_length=128)
    created = fields.BigIntField()
    org_id = fields.IntField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)
    notified_at = fields.DatetimeField(null=True)  # invoice.payment_failed: when the owners were emailed

    class Meta:
        table = "stripe_events"
