"""SDK routes (X-SDK-Key, or X-API-Key for auto-register): API.md section 1."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from api.auth import ORG_KEY, SDK, Principal
from api.responses import ok
from api.routing import Body, endpoint
from core.clock import iso
from pipelines import devices

bp = Blueprint("sdk", url_prefix="/api/v4")

ANDROID_ID = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
TEXT = Field(None, max_length=255)
COUNTRY = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")


class RegisterDeviceIn(Body):
    android_id: str = ANDROID_ID
    brand: str | None = TEXT
    model: str | None = TEXT
    android_version: str | None = TEXT
    app_version: str | None = TEXT
    fcm_token: str | None = Field(None, max_length=4096)
    country: str | None = COUNTRY
    install_type: Literal["organic", "store"] | None = None


class DeviceOut(BaseModel):
    id: int
    android_id: str
    user_segment: str
    created_at: str


class RegisterDeviceOut(BaseModel):
    success: bool
    device: DeviceOut


class AutoRegisterIn(Body):
    package_name: str = Field(min_length=3, max_length=255, pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
    app_name: str | None = Field(None, min_length=1, max_length=255)
    android_id: str = ANDROID_ID
    brand: str | None = TEXT
    android_ver: str | None = TEXT
    app_ver: str | None = TEXT
    fcm_token: str | None = Field(None, max_length=4096)


class AutoRegisterOut(BaseModel):
    success: bool
    sdk_key: str
    app_id: int
    device_id: int
    app_action: Literal["created", "existing"]
    device_action: Literal["registered", "updated"]


@endpoint(bp, "POST", "/devices/register", access=SDK, body=RegisterDeviceIn,
          responses={200: RegisterDeviceOut, 403: None})
async def register_device(request: Request, principal: Principal, body: RegisterDeviceIn) -> HTTPResponse:
    """Register a device, or update it (upsert by app and android_id)."""
    device = await devices.register_device(
        principal.app_id, principal.org_id, principal.plan, devices.DeviceInfo(**body.model_dump())
    )
    return ok({"success": True, "device": {"id": device.id, "android_id": device.android_id,
                                           "user_segment": device.user_segment, "created_at": iso(device.created_at)}})


@endpoint(bp, "POST", "/sdk/auto-register", access=ORG_KEY, body=AutoRegisterIn,
          responses={200: AutoRegisterOut, 403: None})
async def auto_register(request: Request, principal: Principal, body: AutoRegisterIn) -> HTTPResponse:
    """First launch: find or create the app for package_name (plan limits apply), then register the device."""
    info = devices.DeviceInfo(android_id=body.android_id, brand=body.brand, android_version=body.android_ver,
                              app_version=body.app_ver, fcm_token=body.fcm_token)
    app, app_created, device = await devices.auto_register(
        principal.org_id, principal.plan, body.package_name, body.app_name, info
    )
    return ok({
        "success": True, "sdk_key": app.sdk_key, "app_id": app.id, "device_id": device.id,
        "app_action": "created" if app_created else "existing",
        "device_action": "registered" if device.created else "updated",
    })
