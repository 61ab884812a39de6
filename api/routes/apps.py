"""Apps: list, create, read, update, delete, rotate the SDK key (API.md section 2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routing import Body, endpoint
from pipelines import apps, credentials

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
    fcm_configured: bool
    fcm_project_id: str | None
    created_at: str
    updated_at: str


class FcmCredentialsIn(BaseModel):
    """A Firebase service-account JSON (as downloaded from the Firebase console)."""

    model_config = ConfigDict(extra="allow")
    type: str
    project_id: str
    private_key: str
    client_email: str


class AppsOut(BaseModel):
    apps: list[AppOut]


class DeletedOut(BaseModel):
    success: bool
    deleted: dict[str, int]


@endpoint(bp, "GET", "", access=VIEWER, responses={200: AppsOut})
async def list_apps(request: Request, principal: Principal) -> HTTPResponse:
    """The organisation's apps."""
    return ok({"apps": [apps.app_body(a) for a in await apps.list_apps(principal.org_id)]})


@endpoint(bp, "POST", "", access=ADMIN, body=AppIn, responses={201: AppOut, 409: None}, action="app.create")
async def create_app(request: Request, principal: Principal, body: AppIn) -> HTTPResponse:
    """Create an app (a duplicate package is 409; over the plan's app limit 403)."""
    app = await apps.create_app(principal.org_id, body.name, body.package_name)
    return ok(apps.app_body(app), status=201)


@endpoint(bp, "GET", "/<app_id:id>", access=VIEWER, responses={200: AppOut})
async def get_app(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """One app."""
    return ok(apps.app_body(await apps.get_app(principal.org_id, app_id)))


@endpoint(
    bp,
    "PUT",
    "/<app_id:id>",
    access=ADMIN,
    body=AppUpdate,
    responses={200: AppOut, 409: None},
    action="app.update",
)
async def update_app(request: Request, principal: Principal, app_id: int, body: AppUpdate) -> HTTPResponse:
    """Rename an app or change its package name."""
    app, changes = await apps.update_app(principal.org_id, app_id, body.model_dump(exclude_none=True))
    audit.note(request).details = changes
    return ok(apps.app_body(app))


@endpoint(bp, "DELETE", "/<app_id:id>", access=ADMIN, responses={200: DeletedOut}, action="app.delete")
async def delete_app(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Delete an app with all its devices and events."""
    deleted = await apps.delete_app(request.app.ctx.redis, principal.org_id, app_id)
    audit.note(request).details = {"deleted": deleted}
    return ok({"success": True, "deleted": deleted})


@endpoint(
    bp, "POST", "/<app_id:id>/rotate-key", access=ADMIN, responses={200: AppOut}, action="app.rotate_key"
)
async def rotate_key(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Issue a new SDK key; the old one stops working at once."""
    app = await apps.rotate_sdk_key(request.app.ctx.redis, principal.org_id, app_id)
    return ok(apps.app_body(app))


@endpoint(
    bp,
    "PUT",
    "/<app_id:id>/fcm-credentials",
    access=ADMIN,
    body=FcmCredentialsIn,
    responses={200: AppOut},
    action="app.fcm_credentials_set",
)
async def set_fcm_credentials(
    request: Request, principal: Principal, app_id: int, body: FcmCredentialsIn
) -> HTTPResponse:
    """Store the app's Firebase service account (encrypted; the private key is never returned)."""
    account = body.model_dump()  # every key of the file, extra ones included
    app = await credentials.set_fcm_credentials(
        request.app.ctx.settings.SECRET_KEY, principal.org_id, app_id, account
    )
    audit.note(request).details = {"project_id": app.fcm_project_id, "client_email": account["client_email"]}
    return ok(apps.app_body(app))


@endpoint(
    bp,
    "DELETE",
    "/<app_id:id>/fcm-credentials",
    access=ADMIN,
    responses={200: AppOut},
    action="app.fcm_credentials_delete",
)
async def delete_fcm_credentials(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Remove the app's Firebase service account."""
    return ok(apps.app_body(await credentials.delete_fcm_credentials(principal.org_id, app_id)))
