"""Custom dashboards (API.md section 4): CRUD and each widget's computed data (semantics in
pipelines.customdashboards)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, JsonValue, WithJsonSchema
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routes.flags import DeletedOut
from api.routing import AppId, AppQuery, Body, OptionalAppQuery, endpoint, set_fields
from pipelines import customdashboards

bp = Blueprint("dashboards", url_prefix="/api/v4")

# Widgets are checked by the pipeline, which names the widget and field of each problem (`widgets[2].metric`);
# this documents their shape.
WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "metric"],
    "description": "series metrics (active_devices, new_devices, total_events, dau, ad_watches, purchases, "
    "revenue) take kpi, line_chart, bar_chart and options.days; breakdowns (segments, countries, "
    "events_by_type) take bar_chart, pie_chart; events_by_type takes options.days, countries and "
    "events_by_type options.limit",
    "properties": {
        "type": {"type": "string", "enum": list(customdashboards.TYPES)},
        "metric": {"type": "string", "enum": list(customdashboards.METRICS)},
        "label": {"type": "string", "minLength": 1, "maxLength": customdashboards.MAX_LABEL},
        "options": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "days": {
                    "type": "integer",
                    "minimum": customdashboards.DAYS[0],
                    "maximum": customdashboards.DAYS[1],
                    "default": customdashboards.DEFAULT_DAYS,
                },
                "limit": {
                    "type": "integer",
                    "minimum": customdashboards.LIMIT[0],
                    "maximum": customdashboards.LIMIT[1],
                },
            },
        },
    },
}
WidgetJson = Annotated[JsonValue, WithJsonSchema(WIDGET_SCHEMA)]


class DashboardIn(Body):
    app_id: AppId
    name: str = Field(min_length=1, max_length=255)
    widgets: list[WidgetJson] = Field(default_factory=list, max_length=customdashboards.MAX_WIDGETS)


class DashboardUpdate(Body):
    app_id: AppId | None = Field(None, description="when given, the dashboard's app (else 404)")
    name: str | None = Field(None, min_length=1, max_length=255)
    widgets: list[WidgetJson] | None = Field(
        None, max_length=customdashboards.MAX_WIDGETS, description="replaces every widget"
    )


class WidgetOut(BaseModel):
    type: str
    metric: str
    label: str | None
    options: dict[str, int]


class DashboardOut(BaseModel):
    id: int
    app_id: int
    name: str
    widgets: list[WidgetOut]
    created_at: str
    updated_at: str


class DashboardsOut(BaseModel):
    dashboards: list[DashboardOut]


class WidgetDataOut(WidgetOut):
    data: dict[str, Any] = Field(
        description='kpi: {"value", "previous", "change", "days"}; series charts: '
        '{"series": [{"date", "value"}]}; breakdowns: '
        '{"breakdown": [{"key", "value"}]}'
    )


class DashboardDataOut(DashboardOut):
    widgets: list[WidgetDataOut]  # type: ignore[assignment]


@endpoint(bp, "GET", "/dashboards", access=VIEWER, query=AppQuery, responses={200: DashboardsOut})
async def list_dashboards(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's custom dashboards, oldest first."""
    dashboards = await customdashboards.list_dashboards(principal.org_id, query.app_id)
    return ok({"dashboards": [customdashboards.dashboard_body(d) for d in dashboards]})


@endpoint(
    bp,
    "POST",
    "/dashboards",
    access=ADMIN,
    body=DashboardIn,
    responses={201: DashboardOut},
    action="dashboard.create",
)
async def create_dashboard(request: Request, principal: Principal, body: DashboardIn) -> HTTPResponse:
    """Create a dashboard of 0..20 widgets (each invalid field is 400 naming it, e.g. `widgets[2].metric`)."""
    board = await customdashboards.create_dashboard(principal.org_id, body.app_id, body.name, body.widgets)
    audit.note(request).details = {"after": customdashboards.dashboard_body(board)}
    return ok(customdashboards.dashboard_body(board), status=201)


@endpoint(bp, "GET", "/dashboards/<dashboard_id:id>", access=VIEWER, responses={200: DashboardOut})
async def get_dashboard(request: Request, principal: Principal, dashboard_id: int) -> HTTPResponse:
    """One dashboard (its widgets without data)."""
    return ok(
        customdashboards.dashboard_body(await customdashboards.get_dashboard(principal.org_id, dashboard_id))
    )


@endpoint(
    bp,
    "PUT",
    "/dashboards/<dashboard_id:id>",
    access=ADMIN,
    body=DashboardUpdate,
    responses={200: DashboardOut},
    action="dashboard.update",
)
async def update_dashboard(
    request: Request, principal: Principal, dashboard_id: int, body: DashboardUpdate
) -> HTTPResponse:
    """Rename and/or replace the widgets; fields left out keep their value."""
    changes = set_fields(body, frozenset(), "dashboard", exclude=frozenset({"app_id"}))
    board, diff = await customdashboards.update_dashboard(
        principal.org_id, dashboard_id, body.app_id, changes
    )
    audit.note(request).details = diff
    return ok(customdashboards.dashboard_body(board))


@endpoint(
    bp,
    "DELETE",
    "/dashboards/<dashboard_id:id>",
    access=ADMIN,
    query=OptionalAppQuery,
    responses={200: DeletedOut},
    action="dashboard.delete",
)
async def delete_dashboard(
    request: Request, principal: Principal, dashboard_id: int, query: OptionalAppQuery
) -> HTTPResponse:
    """Delete a dashboard."""
    board = await customdashboards.delete_dashboard(principal.org_id, dashboard_id, query.app_id)
    audit.note(request).details = {"before": customdashboards.dashboard_body(board)}
    return ok({"success": True})


@endpoint(bp, "GET", "/dashboards/<dashboard_id:id>/data", access=VIEWER, responses={200: DashboardDataOut})
async def dashboard_data(request: Request, principal: Principal, dashboard_id: int) -> HTTPResponse:
    """The dashboard with each widget's computed `data`, from the same reads as GET /dashboard/..."""
    return ok(await customdashboards.dashboard_data(principal.org_id, dashboard_id))
