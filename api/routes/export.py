"""GET /export/devices and /export/events: streamed CSV (API.md section 3), in the export rate tier."""

from __future__ import annotations

from contextlib import aclosing

from sanic import Blueprint, HTTPResponse, Request

from api.auth import Principal, user
from api.routing import AppQuery, endpoint
from core.clock import utcnow
from core.models import Role
from pipelines import apps, export

bp = Blueprint("export", url_prefix="/api/v4/export")

EXPORT = user(Role.viewer, tier="export")  # one budget per org, shared by both exports


async def _stream(request: Request, principal: Principal, app_id: int, kind: export.Kind) -> HTTPResponse:
    """The app's export streamed as an attachment, chunk by chunk as the cursor yields them."""
    app = await apps.get_app(principal.org_id, app_id)
    name = export.filename(app.package_name, kind, utcnow().date())
    async with aclosing(export.csv_chunks(app.id, kind)) as chunks:
        # The first chunk is read before the headers go out, so a database failure is still a JSON error.
        first = await anext(chunks)
        response = await request.respond(
            content_type=export.CONTENT_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )
        await response.send(first)
        async for chunk in chunks:
            await response.send(chunk)
        await response.eof()
    return response


@endpoint(bp, "GET", "/devices", access=EXPORT, query=AppQuery, responses={200: "text/csv"})
async def export_devices(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's devices as CSV, ordered by id.

    Export rate tier: one budget per organisation, shared with /export/events."""
    return await _stream(request, principal, query.app_id, "devices")


@endpoint(bp, "GET", "/events", access=EXPORT, query=AppQuery, responses={200: "text/csv"})
async def export_events(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's events of the last 30 days (by created_at) as CSV, ordered by id.

    Export rate tier: one budget per organisation, shared with /export/devices."""
    return await _stream(request, principal, query.app_id, "events")
