"""Billing actors: the owners' email when Stripe reports a failed payment."""

from __future__ import annotations

from actors.base import actor
from actors.middleware import runtime
from pipelines import billing_events


@actor(queue_name="default", max_retries=5, time_limit_ms=60_000)
async def email_payment_failed(event_id: str) -> bool:
    """Email the org's owners about the failed payment of Stripe event `event_id` (once per event)."""
    assert runtime.settings is not None
    return await billing_events.email_payment_failed(runtime.settings, event_id)
