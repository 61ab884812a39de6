"""Billing: the subscription with its limits and usage (API.md section 8)."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from api.auth import ADMIN, Principal
from api.responses import ok
from api.routing import endpoint
from pipelines import usage

bp = Blueprint("billing", url_prefix="/api/v4/billing")


class LimitsOut(BaseModel):
    apps: int | None
    devices: int | None
    events_per_month: int | None


class UsageOut(BaseModel):
    apps: int
    devices: int
    events_this_month: int


class SubscriptionOut(BaseModel):
    plan: str
    status: str
    current_period_end: str | None
    cancel_at_period_end: bool
    limits: LimitsOut
    usage: UsageOut


@endpoint(bp, "GET", "/subscription", access=ADMIN, responses={200: SubscriptionOut})
async def subscription(request: Request, principal: Principal) -> HTTPResponse:
    """Plan, status, limits and usage of the organisation (owners and admins)."""
    return ok(await usage.subscription(principal.org_id))
