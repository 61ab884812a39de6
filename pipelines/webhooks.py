"""Webhooks of an app (API.md section 9): management, the subscriptions the fan-out reads, delivery history.

A webhook names a URL and the events it wants: SDK event types (session_start, session_end, purchase,
ad_watched, page_view, feature_used, notification_clicked), `device.registered`, `event.batch` (one
delivery per stored SDK batch instead of one per event) or `*` (every stored event, whatever its type,
and device.registered; not event.batch). At most MAX_PER_APP per app. The URL passes the outbound guard
(pipelines.outbound) when stored and again at each send. The signing secret (`whsec_` + base64 of 32
random bytes) is answered by the create, and by an update with `rotate_secret`, and never again; it is
stored Fernet-encrypted with a key derived from SECRET_KEY (core.crypto, as FCM credentials are).

Every change publishes an invalidation (`webhooks:<app_id>`), so the per-app subscription caches of the
API and worker processes (core.appcache) drop their copy at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from core import crypto
from core.clock import iso
from core.models import Webhook, WebhookDelivery
from core.pubsub import invalidate
from core.settings import Settings
from pipelines import activity, apps, outbound

SDK_EVENTS = (
    "session_start",
    "session_end",
    "purchase",
    "ad_watched",
    "page_view",
    "feature_used",
    "notification_clicked",
)
DEVICE_REGISTERED = "device.registered"
EVENT_BATCH = "event.batch"
ALL = "*"
EVENTS = (*SDK_EVENTS, DEVICE_REGISTERED, EVENT_BATCH, ALL)
MAX_PER_APP = 10
DELIVERIES_SHOWN = 25
SECRET_PURPOSE = "webhook-secrets"
CACHE_SCOPE = "webhooks"


@dataclass(frozen=True)
class Subscription:
    """An active webhook as the fan-out sees it."""

    webhook_id: int
    events: frozenset[str]

    def wants_event(self, event_type: str) -> bool:
        return event_type in self.events or (ALL in self.events and event_type != EVENT_BATCH)

    @property
    def wants_devices(self) -> bool:
        return DEVICE_REGISTERED in self.events or ALL in self.events

    @property
    def wants_batches(self) -> bool:
        return EVENT_BATCH in self.events


def webhook_body(hook: Webhook, secret: str | None = None) -> dict[str, Any]:
    """The webhook as clients see it; `secret` only in the answer that makes it."""
    body = {
        "id": hook.id,
        "app_id": hook.app_id,  # type: ignore[attr-defined]
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "is_active": hook.is_active,
        "failure_count": hook.failure_count,
        "disabled_reason": hook.disabled_reason,
        "disabled_at": iso(hook.disabled_at),
        "last_delivery_at": iso(hook.last_delivery_at),
        "created_at": iso(hook.created_at),
        "updated_at": iso(hook.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def _audited(hook: Webhook) -> dict[str, Any]:
    return {k: v for k, v in webhook_body(hook).items() if k in ("name", "url", "events", "is_active")}


def normalized_events(events: list[str]) -> list[str]:
    """The names once each, in the order given (the route's schema checked them against EVENTS)."""
    return list(dict.fromkeys(events))


def secret_of(settings: Settings, hook: Webhook) -> str:
    """The webhook's signing secret, decrypted."""
    return crypto.decrypt(settings.SECRET_KEY, SECRET_PURPOSE, hook.secret)


async def list_webhooks(org_id: int, app_id: int) -> list[dict[str, Any]]:
    app = await apps.get_app(org_id, app_id)
    return [webhook_body(h) for h in await Webhook.filter(app_id=app.id).order_by("id")]


async def get_webhook(org_id: int, webhook_id: int, app_id: int | None = None) -> Webhook:
    """One webhook of the organisation's apps (and of `app_id` when given); NotFound otherwise."""
    return await apps.get_app_object(Webhook, org_id, webhook_id, app_id, "Webhook")


async def create_webhook(
    settings: Settings, redis: Redis, org_id: int, app_id: int, name: str, url: str, events: list[str]
) -> tuple[Webhook, str]:
    """Create a webhook (400 past MAX_PER_APP or for a refused URL); returns it and its new secret."""
    app = await apps.get_app(org_id, app_id)
    await outbound.check_target(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    secret = outbound.new_signing_secret()
    hook = await apps.create_capped(
        Webhook,
        app,
        MAX_PER_APP,
        "webhooks",
        record=lambda h: {"after": _audited(h)},
        name=name,
        url=url,
        events=normalized_events(events),
        secret=crypto.encrypt(settings.SECRET_KEY, SECRET_PURPOSE, secret),
    )
    await invalidate(redis, CACHE_SCOPE, app.id)
    return hook, secret


async def update_webhook(
    settings: Settings,
    redis: Redis,
    org_id: int,
    webhook_id: int,
    app_id: int | None,
    changes: dict[str, Any],
    rotate_secret: bool,
) -> tuple[Webhook, str | None]:
    """Change name, url, events or is_active (re-enabling clears the failure count and the reason it was
    disabled); `rotate_secret` makes a new secret (returned). The activity entry has before and after."""
    hook = await get_webhook(org_id, webhook_id, app_id)
    if "url" in changes and changes["url"] != hook.url:
        await outbound.check_target(changes["url"], allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    if "events" in changes:
        changes["events"] = normalized_events(changes["events"])
    diff = apps.changed_fields(hook, changes)
    before = {k: getattr(hook, k) for k in diff}
    if diff.get("is_active"):
        hook.failure_count, hook.disabled_reason, hook.disabled_at = 0, None, None
    secret = outbound.new_signing_secret() if rotate_secret else None
    if secret is not None:
        hook.secret = crypto.encrypt(settings.SECRET_KEY, SECRET_PURPOSE, secret)
    if not diff and secret is None:
        return hook, None
    hook.update_from_dict(diff)
    details: dict[str, Any] = {"before": before, "after": diff}
    if secret is not None:
        details["secret"] = "rotated"
    async with in_transaction() as conn:
        await hook.save(using_db=conn)
        await activity.record_change(conn, hook.id, details)
    await invalidate(redis, CACHE_SCOPE, hook.app_id)  # type: ignore[attr-defined]
    return hook, secret


async def delete_webhook(redis: Redis, org_id: int, webhook_id: int, app_id: int | None) -> None:
    """Delete a webhook with its delivery history; deliveries still queued for it are dropped."""
    hook = await get_webhook(org_id, webhook_id, app_id)
    async with in_transaction() as conn:
        await hook.delete(using_db=conn)
        await activity.record_change(conn, webhook_id, {"before": _audited(hook)})
    await invalidate(redis, CACHE_SCOPE, hook.app_id)  # type: ignore[attr-defined]


async def subscriptions(app_id: int) -> tuple[Subscription, ...]:
    """The app's active webhooks (what the per-app caches hold)."""
    rows = await Webhook.filter(app_id=app_id, is_active=True).order_by("id").values_list("id", "events")
    return tuple(Subscription(webhook_id, frozenset(events)) for webhook_id, events in rows)


def delivery_body(row: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "delivery_id": row.delivery_id,
        "event": row.event,
        "attempt": row.attempt,
        "status": row.status,
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "error": row.error,
        "at": iso(row.at),
    }


async def list_deliveries(org_id: int, webhook_id: int) -> list[dict[str, Any]]:
    """The webhook's last DELIVERIES_SHOWN attempts, newest first."""
    hook = await get_webhook(org_id, webhook_id)
    rows = await WebhookDelivery.filter(webhook_id=hook.id).order_by("-id").limit(DELIVERIES_SHOWN)
    return [delivery_body(r) for r in rows]
