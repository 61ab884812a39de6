"""Ad strategy per app and profile segment (API.md section 1, "Ad strategy")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routing import Body, endpoint
from pipelines import adstrategy, apps

bp = Blueprint("ad_strategy", url_prefix="/api/v4/apps")

Segment = Literal["NEW_USER", "ACTIVE_USER", "POWER_USER", "CASUAL_USER", "DORMANT_USER", "CHURNED_USER"]


class StrategyIn(Body):
    segment: Segment
    strategy: dict[str, Any]


class StrategiesOut(BaseModel):
    strategies: dict[str, dict[str, Any]]


class StrategyOut(BaseModel):
    segment: str
    strategy: dict[str, Any]


@endpoint(bp, "GET", "/<app_id:id>/ad-strategy", access=VIEWER, responses={200: StrategiesOut})
async def get_strategies(request: Request, principal: Principal, app_id: int) -> HTTPResponse:
    """Every profile segment's effective ad strategy (shipped defaults with the app's overrides)."""
    app = await apps.get_app(principal.org_id, app_id)
    return ok({"strategies": await adstrategy.strategies(app.id)})


@endpoint(
    bp,
    "PUT",
    "/<app_id:id>/ad-strategy",
    access=ADMIN,
    body=StrategyIn,
    responses={200: StrategyOut},
    action="ad_strategy.update",
)
async def put_strategy(request: Request, principal: Principal, app_id: int, body: StrategyIn) -> HTTPResponse:
    """Change a segment's strategy (type-checked; keys left out keep their value; config_version bumps)."""
    app = await apps.get_app(principal.org_id, app_id)
    strategy, changes = await adstrategy.update(app.id, body.segment, body.strategy)
    entry = audit.note(request)
    entry.resource_id, entry.details = app.id, {"segment": body.segment, **changes}
    return ok({"segment": body.segment, "strategy": strategy})
