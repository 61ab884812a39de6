"""Metric alerts (API.md section 4): rules and their history, and evaluation on demand as a job."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, JsonValue
from sanic import Blueprint, HTTPResponse, Request

from actors.alerts import evaluate_app_alerts
from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routes.flags import DeletedOut
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, endpoint, set_fields
from pipelines import alerts, apps

bp = Blueprint("alerts", url_prefix="/api/v4")

Metric = Literal["dau", "new_users", "events", "ad_watches", "purchases", "crash_rate", "churn_rate"]
Condition = Literal["drops_by", "increases_by", "below", "above"]
CompareWindow = Literal["day", "week"]
Channel = Literal["email", "webhook", "dashboard"]


class AlertFields(Body):
    is_active: bool | None = None


class AlertIn(AlertFields):
    app_id: AppId
    name: str = Field(min_length=1, max_length=255)
    metric: Metric
    condition: Condition
    threshold: float = Field(
        allow_inf_nan=False,
        description="a percentage for drops_by/increases_by; a fraction 0..1 for crash_rate/churn_rate",
    )
    compare_window: CompareWindow = "day"
    channel: Channel = "dashboard"
    channel_config: dict[str, JsonValue] = Field(
        default_factory=dict,
        description=('email: {"emails": [...]} (optional); webhook: {"url": "https://..."}; dashboard: {}'),
    )


class AlertUpdate(AlertFields):
    app_id: AppId | None = None
    name: str | None = Field(None, min_length=1, max_length=255)
    metric: Metric | None = None
    condition: Condition | None = None
    threshold: float | None = Field(None, allow_inf_nan=False)
    compare_window: CompareWindow | None = None
    channel: Channel | None = None
    channel_config: dict[str, JsonValue] | None = None


class AlertOut(BaseModel):
    id: int
    app_id: int
    name: str
    metric: str
    condition: str
    threshold: float
    compare_window: str
    channel: str
    channel_config: dict[str, Any]
    is_active: bool
    last_value: float | None
    last_evaluated_at: str | None
    created_at: str
    updated_at: str
    secret: str | None = Field(
        None, description="the webhook signing secret: only in the answer that creates it"
    )


class FiredOut(BaseModel):
    id: int
    rule_id: int
    rule_name: str | None
    window_start: str
    window_end: str
    value: float
    previous_value: float | None
    message: str
    channel: str
    notified_at: str | None
    attempts: int
    error: str | None
    fired_at: str


class AlertsOut(BaseModel):
    rules: list[AlertOut]
    history: list[FiredOut]


class EvaluateQuery(JobQuery):
    app_id: int = Field(ge=1, le=2**31 - 1, description="the app whose active rules to evaluate")


class EvaluatedOut(BaseModel):
    evaluated: int
    fired: int
    notified: int


@endpoint(bp, "GET", "/alerts", access=VIEWER, query=AppQuery, responses={200: AlertsOut})
async def list_alerts(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's alert rules and its last 50 firings, newest first."""
    return ok(await alerts.list_alerts(principal.org_id, query.app_id))


@endpoint(bp, "POST", "/alerts", access=ADMIN, body=AlertIn, responses={201: AlertOut}, action="alert.create")
async def create_alert(request: Request, principal: Principal, body: AlertIn) -> HTTPResponse:
    """Create an alert rule; a webhook rule's signing secret is in this answer only."""
    values = body.model_dump(exclude={"app_id"}, exclude_none=True)
    rule, secret = await alerts.create_rule(
        principal.org_id, body.app_id, values, request.app.ctx.settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    )
    audit.note(request).details = {"after": alerts.rule_body(rule)}
    return ok(alerts.rule_body(rule, secret), status=201)


@endpoint(
    bp,
    "POST",
    "/alerts/evaluate",
    access=ADMIN,
    query=EvaluateQuery,
    responses={200: EvaluatedOut, 202: JobAcceptedOut},
    action="alert.evaluate",
)
async def evaluate_alerts(request: Request, principal: Principal, query: EvaluateQuery) -> HTTPResponse:
    """Evaluate the app's active rules now (a job), notifying as the schedule would:
    `{evaluated, fired, notified}`."""
    app = await apps.get_app(principal.org_id, query.app_id)
    return await run_job(
        request, principal, evaluate_app_alerts, (app.id,), kind="alerts.evaluate", wait=query.wait
    )


@endpoint(bp, "GET", "/alerts/<alert_id:id>", access=VIEWER, responses={200: AlertOut})
async def get_alert(request: Request, principal: Principal, alert_id: int) -> HTTPResponse:
    """One alert rule."""
    return ok(alerts.rule_body(await alerts.get_rule(principal.org_id, alert_id)))


@endpoint(
    bp,
    "PUT",
    "/alerts/<alert_id:id>",
    access=ADMIN,
    body=AlertUpdate,
    responses={200: AlertOut},
    action="alert.update",
)
async def update_alert(
    request: Request, principal: Principal, alert_id: int, body: AlertUpdate
) -> HTTPResponse:
    """Change any field (is_active pauses a rule); the whole rule is checked again."""
    changes = set_fields(body, frozenset(), "alert", exclude=frozenset({"app_id"}))
    rule, diff, secret = await alerts.update_rule(
        principal.org_id,
        alert_id,
        body.app_id,
        changes,
        request.app.ctx.settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    )
    audit.note(request).details = diff
    return ok(alerts.rule_body(rule, secret))


@endpoint(
    bp,
    "DELETE",
    "/alerts/<alert_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut},
    action="alert.delete",
)
async def delete_alert(
    request: Request, principal: Principal, alert_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete an alert rule and its history."""
    rule = await alerts.delete_rule(principal.org_id, alert_id, query.app_id)
    audit.note(request).details = {"before": alerts.rule_body(rule)}
    return ok({"success": True})
