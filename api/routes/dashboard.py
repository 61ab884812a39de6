"""Dashboard routes (API.md section 3)."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, Principal
from api.responses import ok
from api.routing import endpoint
from pipelines import erasure

bp = Blueprint("dashboard", url_prefix="/api/v4/dashboard")


class ErasureOut(BaseModel):
    deleted: dict[str, int]


@endpoint(bp, "DELETE", "/devices/<device_id:bigid>", access=ADMIN, responses={200: ErasureOut},
          action="device.erase")
async def erase_device(request: Request, principal: Principal, device_id: int) -> HTTPResponse:
    """Erase a device with all its events, revenue and history (GDPR); answers what was deleted.
    Later SDK calls with the same android_id start a new device."""
    deleted = await erasure.erase_device(request.app.ctx.redis, principal.org_id, device_id)
    audit.note(request).details = {"deleted": deleted}
    return ok({"deleted": deleted})
