"""Devices: registration (upsert by app and android_id) and the SDK's auto-register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.db import raw_connection
from core.errors import Conflict, NotFound, PlanLimitReached
from core.models import App
from pipelines import apps as apps_pipeline
from pipelines import usage
from pipelines.ingest import LOCK_APPS


@dataclass(frozen=True)
class DeviceInfo:
    android_id: str
    brand: str | None = None
    model: str | None = None
    android_version: str | None = None
    app_version: str | None = None
    fcm_token: str | None = None
    country: str | None = None
    install_type: str | None = None


@dataclass(frozen=True)
class RegisteredDevice:
    id: int
    android_id: str
    user_segment: str
    created_at: datetime
    created: bool


# Update the fields the SDK sent (absent fields keep their value).
UPDATE_DEVICE = """
UPDATE devices SET
    brand = COALESCE($3, brand),
    model = COALESCE($4, model),
    android_version = COALESCE($5, android_version),
    app_version = COALESCE($6, app_version),
    fcm_token = COALESCE($7, fcm_token),
    country = COALESCE($8, country),
    install_type = COALESCE($9, install_type),
    last_seen_at = GREATEST(last_seen_at, now()),
    updated_at = now()
WHERE app_id = $1 AND android_id = $2
RETURNING id, android_id, user_segment, created_at, false AS created
"""

# Insert; a concurrent registration of the same device turns it into the update above.
UPSERT_DEVICE = """
INSERT INTO devices (app_id, android_id, brand, model, android_version, app_version, fcm_token, country,
                     install_type, user_segment, sessions_count, ad_watches, purchases, purchase_revenue,
                     ad_revenue, first_seen_at, last_seen_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', 0, 0, 0, 0, 0, now(), now(), now(), now())
ON CONFLICT (app_id, android_id) DO UPDATE SET
    brand = COALESCE(EXCLUDED.brand, devices.brand),
    model = COALESCE(EXCLUDED.model, devices.model),
    android_version = COALESCE(EXCLUDED.android_version, devices.android_version),
    app_version = COALESCE(EXCLUDED.app_version, devices.app_version),
    fcm_token = COALESCE(EXCLUDED.fcm_token, devices.fcm_token),
    country = COALESCE(EXCLUDED.country, devices.country),
    install_type = COALESCE(EXCLUDED.install_type, devices.install_type),
    last_seen_at = GREATEST(devices.last_seen_at, EXCLUDED.last_seen_at),
    updated_at = now()
RETURNING id, android_id, user_segment, created_at, (xmax = 0) AS created
"""

# A registered device is new on its first day, as one created by its first events is (trends, erasure).
COUNT_NEW_DEVICE = """
INSERT INTO app_daily AS t (app_id, day, new_devices) VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1)
ON CONFLICT (app_id, day) DO UPDATE SET new_devices = t.new_devices + 1
"""


async def register_device(app_id: int, org_id: int, plan: str, info: DeviceInfo) -> RegisteredDevice:
    """Create or update the app's device with this android_id.

    A new device takes a slot of the org's device quota (PlanLimitReached when spent);
    known devices keep working whatever the quota.
    """
    args = (
        app_id,
        info.android_id,
        info.brand,
        info.model,
        info.android_version,
        info.app_version,
        info.fcm_token,
        info.country.upper() if info.country else None,
        info.install_type,
    )
    async with raw_connection() as conn, conn.transaction():
        row = await conn.fetchrow(UPDATE_DEVICE, *args)
        if row is None:
            # A new device moves the app's rollups: take the app's lock first, as ingest does, so a
            # registration racing the device's first events never waits on it in the opposite order.
            await conn.execute(LOCK_APPS, [app_id])
            try:
                await usage.reserve_devices(conn, org_id, plan, 1)
            except PlanLimitReached:
                # A concurrent request may have registered this very device with the last slot.
                row = await conn.fetchrow(UPDATE_DEVICE, *args)
                if row is None:
                    raise
            else:
                try:
                    row = await conn.fetchrow(UPSERT_DEVICE, *args)
                except asyncpg.ForeignKeyViolationError:  # the app was deleted meanwhile
                    raise NotFound("App not found") from None
                if not row["created"]:  # registered concurrently by another request
                    await usage.release_devices(conn, org_id, 1)
                else:
                    await conn.execute(COUNT_NEW_DEVICE, app_id)
    return RegisteredDevice(
        row["id"], row["android_id"], row["user_segment"], row["created_at"], row["created"]
    )


async def auto_register(
    org_id: int, plan: str, package_name: str, app_name: str | None, info: DeviceInfo
) -> tuple[App, bool, RegisteredDevice]:
    """Find or create the org's app for the package (plan limits apply), then register the device."""
    app = await App.get_or_none(org_id=org_id, package_name=package_name)
    created = False
    if app is None:
        try:
            app = await apps_pipeline.create_app(org_id, app_name or package_name, package_name)
            created = True
        except Conflict:  # a concurrent first launch created it
            app = await App.get(org_id=org_id, package_name=package_name)
    device = await register_device(app.id, org_id, plan, info)
    return app, created, device
