"""Plan quotas: devices and monthly events counted per organisation, without COUNT(*) on requests."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import asyncpg

from core.clock import utcnow
from core.errors import PlanLimitReached
from core.models import App, Device, Org, OrgUsage
from core.plans import PLAN_LIMITS


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


async def subscription(org_id: int) -> dict[str, Any]:
    """Plan, status, limits and usage (API.md section 8; Stripe fields arrive with billing)."""
    org = await Org.get(id=org_id)
    return {
        "plan": org.plan,
        "status": "active",
        "current_period_end": None,
        "cancel_at_period_end": False,
        "limits": asdict(PLAN_LIMITS[org.plan]),
        "usage": {
            "apps": await App.filter(org_id=org_id).count(),
            "devices": org.device_count,
            "events_this_month": await events_this_month(org_id),
        },
    }
