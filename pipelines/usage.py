"""Plan quotas: devices and monthly events counted per organisation, without COUNT(*) on requests."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import PlanLimitReached
from core.logging import get_logger
from core.models import App, Device, Org, OrgUsage, Subscription
from core.plans import PLAN_LIMITS

log = get_logger(__name__)


def month_start(day: date | None = None) -> date:
    day = day or utcnow().date()
    return day.replace(day=1)


async def reserve_devices(conn: asyncpg.Connection, org_id: int, plan: str, count: int) -> None:
    """Take `count` device slots of the org's quota, or raise PlanLimitReached.

    Call inside the transaction that creates the devices: the org row stays locked
    until it commits, so concurrent registrations cannot overshoot the limit.
    """
    limit = PLAN_LIMITS[plan].devices
    ok = await conn.fetchval(
        "UPDATE orgs SET device_count = device_count + $2 "
        "WHERE id = $1 AND ($3::bigint IS NULL OR device_count + $2 <= $3) RETURNING true",
        org_id,
        count,
        limit,
    )
    if not ok:
        raise PlanLimitReached(f"Plan limit reached: the {plan} plan allows {limit:,} devices")


async def release_devices(conn: asyncpg.Connection, org_id: int, count: int) -> None:
    """Give back device slots (devices deleted, or a reserved slot not used)."""
    if count:
        await conn.execute(
            "UPDATE orgs SET device_count = GREATEST(0, device_count - $2) WHERE id = $1", org_id, count
        )


async def add_events(conn: asyncpg.Connection, org_id: int, count: int, month: date | None = None) -> None:
    """Count stored events toward the org's month."""
    if count:
        await conn.execute(
            "INSERT INTO org_usage (org_id, month, events) VALUES ($1, $2, $3) "
            "ON CONFLICT (org_id, month) DO UPDATE SET events = org_usage.events + EXCLUDED.events",
            org_id,
            month or month_start(),
            count,
        )


async def current_usage(org_id: int) -> tuple[int, int]:
    """(devices, events this month) of the org, from the counters."""
    org = await Org.get(id=org_id)
    return org.device_count, await events_this_month(org_id)


async def check_batch_quota(
    org_id: int, app_id: int, plan: str, usage: tuple[int, int], android_ids: set[str], events: int
) -> None:
    """Refuse a whole batch (PlanLimitReached) that would pass the monthly events or create devices
    beyond the device quota; `usage` is (devices, events this month), possibly a few seconds old."""
    limits = PLAN_LIMITS[plan]
    devices, month_events = usage
    if limits.events_per_month is not None and month_events + events > limits.events_per_month:
        raise PlanLimitReached(
            f"Plan limit reached: the {plan} plan allows {limits.events_per_month:,} events per month"
        )
    if limits.devices is not None and devices + len(android_ids) > limits.devices:
        known = await Device.filter(app_id=app_id, android_id__in=list(android_ids)).values_list(
            "android_id", flat=True
        )
        new = len(android_ids) - len(set(known))
        if new and devices + new > limits.devices:
            raise PlanLimitReached(f"Plan limit reached: the {plan} plan allows {limits.devices:,} devices")


async def events_this_month(org_id: int) -> int:
    row = await OrgUsage.get_or_none(org_id=org_id, month=month_start())
    return row.events if row else 0


async def check_events_quota(org_id: int, plan: str, incoming: int) -> None:
    """Raise PlanLimitReached when `incoming` more events would pass the monthly quota."""
    limit = PLAN_LIMITS[plan].events_per_month
    if limit is not None and await events_this_month(org_id) + incoming > limit:
        raise PlanLimitReached(f"Plan limit reached: the {plan} plan allows {limit:,} events per month")


async def subscription_row(org_id: int) -> Subscription | None:
    """The org's Stripe subscription row (None before its first checkout)."""
    return await Subscription.get_or_none(org_id=org_id)


async def subscription(org_id: int) -> dict[str, Any]:
    """Plan, status, limits and usage (API.md section 8); an org that never subscribed is `active`."""
    org = await Org.get(id=org_id)
    row = await subscription_row(org_id)
    return {
        "plan": org.plan,
        "status": row.status if row else "active",
        "current_period_end": iso(row.current_period_end) if row else None,
        "cancel_at_period_end": bool(row and row.cancel_at_period_end),
        "limits": asdict(PLAN_LIMITS[org.plan]),
        "usage": {
            "apps": await App.filter(org_id=org_id).count(),
            "devices": org.device_count,
            "events_this_month": await events_this_month(org_id),
        },
    }


# --- the "device quota full" mark ------------------------------------------------------------------------
# Set in Redis while an org's device count is at its plan's limit, so that POST /events/batch looks its
# android_ids up in the database only then: an org under quota pays no query. Set by the ingest flush that
# fills the quota and by plan changes; a mark left after slots were freed (app deleted, device erased) is
# found stale by the first check and dropped.

DEVICE_QUOTA_FULL = "quota:devices_full:{}"


def device_quota_key(org_id: int) -> str:
    """The Redis key of the org's mark."""
    return DEVICE_QUOTA_FULL.format(org_id)


def device_quota_full(device_count: int, plan: str) -> bool:
    limit = PLAN_LIMITS[plan].devices
    return limit is not None and device_count >= limit


async def mark_device_quotas(redis: Redis, orgs: dict[int, tuple[int, str]]) -> None:
    """Mark the orgs of {org_id: (device_count, plan)} whose quota is full (one round trip, only then)."""
    full = [org_id for org_id, (count, plan) in orgs.items() if device_quota_full(count, plan)]
    if not full:
        return
    try:
        await redis.mset({device_quota_key(org_id): 1 for org_id in full})
    except (RedisError, OSError) as exc:  # the cached-usage check still refuses within seconds
        log.warning("usage.quota_mark_failed", orgs=full, error=str(exc))


async def sync_device_quota_mark(redis: Redis, org_id: int) -> None:
    """Set or clear the org's mark from its stored count and plan (after a plan change)."""
    org = await Org.get(id=org_id)
    try:
        if device_quota_full(org.device_count, org.plan):
            await redis.set(device_quota_key(org_id), 1)
        else:
            await redis.delete(device_quota_key(org_id))
    except (RedisError, OSError) as exc:
        log.warning("usage.quota_mark_failed", orgs=[org_id], error=str(exc))


KNOWN_DEVICES = """
SELECT o.device_count,
    (SELECT count(*) FROM devices d WHERE d.app_id = $2 AND d.android_id = ANY($3::text[])) AS known
FROM orgs o WHERE o.id = $1
"""


async def check_marked_batch(
    redis: Redis, org_id: int, app_id: int, plan: str, android_ids: set[str]
) -> None:
    """For an org marked full: refuse (PlanLimitReached) a batch that would create devices beyond the
    quota, from the stored count and the app's devices (one query); a stale mark is dropped."""
    async with raw_connection() as conn:
        row = await conn.fetchrow(KNOWN_DEVICES, org_id, app_id, list(android_ids))
    count, new = (row["device_count"], len(android_ids) - row["known"]) if row else (0, 0)
    limit = PLAN_LIMITS[plan].devices
    if new and limit is not None and count + new > limit:
        raise PlanLimitReached(f"Plan limit reached: the {plan} plan allows {limit:,} devices")
    if not device_quota_full(count, plan):
        try:
            await redis.delete(device_quota_key(org_id))
        except (RedisError, OSError):
            pass
