"""Apps: list, create, read, update, delete, rotate the SDK key (API.md section 2)."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routing import Body, endpoint
from pipelines import apps

bp = Blueprint("apps", url_prefix="/api/v4/apps")

PACKAGE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$"


class AppIn(Body):
    name: str = Field(min_length=1, max_length=255)
    package_name: str = Field(min_length=3, max_length=255, pattern=PACKAGE_PATTERN)


class AppUpdate(Body):
    name: str | None = Field(None, min_length=1, max_length=255)
    package_name: str | None = Field(None, min_length=3, max_length=255, pattern=PACKAGE_PATTERN)


class AppOut(BaseModel):
    id: int
    name: str
    package_name: str
    sdk_key: str
    created_at: str
    updated_at: str


class AppsOut(BaseModel):
    apps: list[AppOut]


class DeletedOut(BaseModel):
    success: bool
    deleted: dict[str, int]


@endpoint(bp, "GET", "", access=VIEWER, responses={200: AppsOut})
async def list_apps(request: Request, principal: Principal) -> HTTPResponse:
    """The organisation's apps."""
    return ok({"apps": [apps.app_body(a) for a in await apps.list_apps(principal.org_id)]})


@endpoint(bp, "POST", "", access=ADMIN, body=AppIn, responses={201: AppOut, 409: None})
async def create_app(request: Request, principal: Principal, body: AppIn) -> HTTPResponse:
    """Create an app (a duplicate package is 409; over the plan's app limit 403)."""
    app = await apps.create_app(principal.org_id, body.name, body.package_name)
    return ok(apps.app_body(app), status=201)


@endpoint(bp, "GET", "/<app_id:id>", access=VIEWER, responses={200: AppOut})
async def get_app(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """One app."""
    return ok(apps.app_body(await apps.get_app(principal.org_id, app_id)))


@endpoint(bp, "PUT", "/<app_id:id>", access=ADMIN, body=AppUpdate, responses={200: AppOut, 409: None})
async def update_app(request: Request, principal: Principal, app_id: int, body: AppUpdate) -> HTTPResponse:
    """Rename an app or change its package name."""
    app = await apps.update_app(principal.org_id, app_id, body.model_dump(exclude_none=True))
    return ok(apps.app_body(app))


@endpoint(bp, "DELETE", "/<app_id:id>", access=ADMIN, responses={200: DeletedOut})
async def delete_app(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Delete an app with all its devices and events."""
    deleted = await apps.delete_app(request.app.ctx.redis, principal.org_id, app_id)
    return ok({"success": True, "deleted": deleted})


@endpoint(bp, "POST", "/<app_id:id>/rotate-key", access=ADMIN, responses={200: AppOut})
async def rotate_key(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Issue a new SDK key; the old one stops working at once."""
    app = await apps.rotate_sdk_key(request.app.ctx.redis, principal.org_id, app_id)
    return ok(apps.app_body(app))
