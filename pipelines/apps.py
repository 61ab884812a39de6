"""Apps of an organisation: CRUD, SDK key rotation, plan limit; the org API key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.clock import iso
from core.errors import BadRequest, Conflict, NotFound, PlanLimitReached
from core.models import App, Event, Org
from core.plans import PLAN_LIMITS
from core.pubsub import invalidate
from pipelines import activity
from pipelines.auth import new_org_api_key, new_sdk_key
from pipelines.ingest import LOCK_APPS

DUPLICATE_PACKAGE = "An app with this package_name already exists in your organisation"


def app_body(app: App) -> dict[str, Any]:
    """The app object of API.md section 2 (FCM: whether configured and the project, never the key)."""
    return {
        "id": app.id,
        "name": app.name,
        "package_name": app.package_name,
        "sdk_key": app.sdk_key,
        "fcm_configured": app.fcm_credentials is not None,
        "fcm_project_id": app.fcm_project_id,
        "created_at": iso(app.created_at),
        "updated_at": iso(app.updated_at),
    }


async def list_apps(org_id: int) -> list[App]:
    """The organisation's apps, oldest first."""
    return await App.filter(org_id=org_id).order_by("id")


async def get_app(org_id: int, app_id: int) -> App:
    """One app of the organisation; NotFound for another org's."""
    app = await App.get_or_none(id=app_id, org_id=org_id)
    if app is None:
        raise NotFound("App not found")
    return app


M = TypeVar("M", bound=Model)


async def get_app_object(model: type[M], org_id: int, object_id: int, app_id: int | None, label: str) -> M:
    """An object of one of the organisation's apps (and of `app_id` when given); NotFound otherwise,
    so another organisation's objects are never told apart from missing ones."""
    found = await model.get_or_none(id=object_id, app__org_id=org_id)
    if found is None or (app_id is not None and found.app_id != app_id):  # type: ignore[attr-defined]
        raise NotFound(f"{label} not found")
    return found


def changed_fields(obj: Model, changes: dict[str, Any]) -> dict[str, Any]:
    """The requested changes that differ from what `obj` holds."""
    return {k: v for k, v in changes.items() if getattr(obj, k) != v}


async def save_changes(obj: Model, diff: dict[str, Any]) -> dict[str, Any]:
    """Apply `diff` to `obj` and save it; the activity record `{"before": ..., "after": ...}`."""
    before = {k: getattr(obj, k) for k in diff}
    obj.update_from_dict(diff)
    await obj.save()
    return {"before": before, "after": diff}


async def create_capped(
    model: type[M],
    app: App,
    limit: int,
    noun: str,
    *,
    record: Callable[[M], dict[str, Any]] | None = None,
    **values: Any,
) -> M:
    """Create an object of the app unless it already has `limit` of them (400 naming app_id). The app's
    row lock makes the count and the insert one step: concurrent creations cannot both pass it. With
    `record`, the activity entry (details `record(obj)`) is written in the same transaction."""
    async with in_transaction() as conn:
        await conn.execute_query("SELECT id FROM apps WHERE id = $1 FOR UPDATE", [app.id])
        if await model.filter(app_id=app.id).count() >= limit:
            raise BadRequest(f"An app can have at most {limit} {noun}", {"app_id": f"already {limit} {noun}"})
        obj = await model.create(app_id=app.id, **values)
        if record is not None:
            await activity.record_change(conn, obj.pk, record(obj))
        return obj


async def create_app(org_id: int, name: str, package_name: str) -> App:
    """Create an app: 409 for a duplicate package (checked first), 403 over the plan's app limit."""
    async with in_transaction():
        # Lock the org row so concurrent creations cannot both pass the limit check.
        org = await Org.select_for_update().get(id=org_id)
        if await App.filter(org_id=org_id, package_name=package_name).exists():
            raise Conflict(DUPLICATE_PACKAGE)
        limit = PLAN_LIMITS[org.plan].apps
        if limit is not None and await App.filter(org_id=org_id).count() >= limit:
            raise PlanLimitReached(f"Plan limit reached: the {org.plan} plan allows {limit} app(s)")
        return await App.create(org_id=org_id, name=name, package_name=package_name, sdk_key=new_sdk_key())


async def update_app(org_id: int, app_id: int, changes: dict[str, Any]) -> tuple[App, dict[str, Any]]:
    """Change name and/or package_name; returns the app and {field: {"before", "after"}}."""
    app = await get_app(org_id, app_id)
    diff = {k: {"before": getattr(app, k), "after": v} for k, v in changes.items() if getattr(app, k) != v}
    if not diff:
        return app, diff
    if "package_name" in diff:
        if await App.filter(org_id=org_id, package_name=changes["package_name"]).exists():
            raise Conflict(DUPLICATE_PACKAGE)
    app.update_from_dict({k: v["after"] for k, v in diff.items()})
    try:
        await app.save()
    except IntegrityError:
        raise Conflict(DUPLICATE_PACKAGE) from None
    return app, diff


async def delete_app(redis: Redis, org_id: int, app_id: int) -> dict[str, int]:
    """Delete an app with its devices and events; its SDK key stops working everywhere."""
    app = await get_app(org_id, app_id)
    async with in_transaction() as conn:
        # The app's lock, then the org row, in the order ingest and device registration take them:
        # no new device can slip past the count below, and nobody waits in the opposite order.
        await conn.execute_query(LOCK_APPS, [[app.id]])
        await Org.select_for_update().get(id=org_id)
        events = await Event.filter(app_id=app.id).delete()
        devices = await app.devices.all().count()  # type: ignore[attr-defined]
        for table in ("revenue_events", "device_days", "app_daily", "app_daily_events", "app_daily_revenue"):
            await conn.execute_query(f"DELETE FROM {table} WHERE app_id = $1", [app.id])
        await app.delete()  # devices and ad strategies cascade
        await conn.execute_query(
            "DELETE FROM app_countries WHERE app_id = $1", [app.id]
        )  # after the devices' triggers
        # Their quota slots are free again.
        await conn.execute_query(
            "UPDATE orgs SET device_count = GREATEST(0, device_count - $2) WHERE id = $1", [org_id, devices]
        )
    await invalidate(redis, "app", app_id)
    return {"events": events, "devices": devices}


async def rotate_sdk_key(redis: Redis, org_id: int, app_id: int) -> App:
    """Give the app a new SDK key; the old one stops working in every API process."""
    app = await get_app(org_id, app_id)
    app.sdk_key = new_sdk_key()
    await app.save(update_fields=["sdk_key", "updated_at"])
    await invalidate(redis, "app", app_id)
    return app


async def org_api_key(org_id: int) -> str:
    org = await Org.get(id=org_id)
    return org.api_key


async def rotate_org_api_key(org_id: int) -> str:
    """A new org API key; the old one stops working at once (it is not cached)."""
    org = await Org.get(id=org_id)
    org.api_key = new_org_api_key()
    await org.save(update_fields=["api_key"])
    return org.api_key
