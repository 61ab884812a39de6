"""GET /stream: Server-Sent Events of an app's stored events (API.md section 3)."""

from __future__ import annotations

import asyncio

from pydantic import Field
from sanic import Blueprint, HTTPResponse, Request

from api.auth import STREAM, Principal
from api.routing import Query, endpoint
from core.db import raw_connection
from pipelines import apps, stream

bp = Blueprint("stream", url_prefix="/api/v4")


class StreamQuery(Query):
    app_id: int = Field(ge=1, le=2**31 - 1)
    # Optional here: authentication already took it, or an `Authorization: Bearer` header instead.
    token: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="the JWT (EventSource cannot send headers; else Authorization: Bearer)",
    )


@endpoint(bp, "GET", "/stream", access=STREAM, query=StreamQuery, responses={200: "text/event-stream"})
async def live_stream(request: Request, principal: Principal, query: StreamQuery) -> HTTPResponse:
    """Each stored batch of the app as `data: [<event>, ...]`; `: heartbeat` every 15 s. Redis pub/sub
    when available, else the database is polled every second."""
    app = await apps.get_app(principal.org_id, query.app_id)
    hub = request.app.ctx.stream_hub
    queue = hub.join(app.id)
    response = await request.respond(
        content_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            "X-Request-Id": request.ctx.request_id,
        },
    )
    try:
        await hub.wait_subscribed(app.id, 2.0)
        async with raw_connection() as conn:
            last_id = await stream.latest_event_id(conn, app.id)
        await response.send(": connected\n\n")
        loop = asyncio.get_running_loop()
        heartbeat = request.app.ctx.settings.STREAM_HEARTBEAT_SECONDS
        next_heartbeat = loop.time() + heartbeat
        while True:
            if hub.connected:
                try:
                    # Waits at most a poll interval, so a lost Redis is noticed as soon as polling would be.
                    wait = min(stream.POLL_SECONDS, max(0.0, next_heartbeat - loop.time()))
                    sent_id, data = await asyncio.wait_for(queue.get(), timeout=wait)
                    await response.send(f"data: {data}\n\n")
                    last_id = max(last_id, sent_id)
                    continue
                except TimeoutError:
                    pass
            else:  # Redis is down: poll the database
                async with raw_connection() as conn:
                    payload, last_id = await stream.events_after(conn, app.id, last_id)
                if payload is not None:
                    await response.send(f"data: {payload.decode()}\n\n")
                await asyncio.sleep(stream.POLL_SECONDS)
            if loop.time() >= next_heartbeat:
                await response.send(": heartbeat\n\n")
                next_heartbeat = loop.time() + heartbeat
    finally:
        hub.leave(app.id, queue)
    return response
