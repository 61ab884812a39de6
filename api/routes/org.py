"""The organisation's API key (used by the SDK's auto-register)."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from api.auth import ADMIN, OWNER, Principal
from api.responses import ok
from api.routing import endpoint
from pipelines import apps

bp = Blueprint("org", url_prefix="/api/v4/org")


class ApiKeyOut(BaseModel):
    api_key: str


@endpoint(bp, "GET", "/api-key", access=ADMIN, responses={200: ApiKeyOut})
async def get_api_key(request: Request, principal: Principal) -> HTTPResponse:
    """The org API key (X-API-Key of /sdk/auto-register); owners and admins."""
    return ok({"api_key": await apps.org_api_key(principal.org_id)})


@endpoint(
    bp, "POST", "/api-key/rotate", access=OWNER, responses={200: ApiKeyOut}, action="org.rotate_api_key"
)
async def rotate_api_key(request: Request, principal: Principal) -> HTTPResponse:
    """Replace the org API key; the old one stops working at once (owner only)."""
    return ok({"api_key": await apps.rotate_org_api_key(principal.org_id)})
