"""Push notifications (API.md section 5): send now or at send_at, history with opens, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from actors.notifications import start_notification
from api.auth import ADMIN, VIEWER, Principal
from api.jobs import enqueue_job
from api.responses import ok
from api.routing import AppId, AppQuery, Body, endpoint
from core.errors import BadRequest, ServiceUnavailable
from pipelines import notifications
from pipelines.notifications import PushRequest

bp = Blueprint("notifications", url_prefix="/api/v4")

Segment = Literal["churned", "dormant", "power_user", "new", "active", "casual"]
TARGET_FIELD = {"device": "device_id", "segment": "segment", "custom_segment": "segment_id"}


class NotificationIn(Body):
    app_id: AppId
    target: Literal["device", "segment", "custom_segment", "all"]
    device_id: int | None = Field(None, ge=1, le=2**63 - 1, description="for target=device")
    segment: Segment | None = Field(None, description="a built-in segment, for target=segment")
    segment_id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="a custom segment, for target=custom_segment"
    )
    title: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1, max_length=4096)
    data: dict[str, str] = Field(default_factory=dict, max_length=100, description="string values (FCM data)")
    send_at: datetime | None = Field(
        None, description="ISO-8601 or YYYY-MM-DD HH:MM:SS (UTC); future: scheduled"
    )


class SentOut(BaseModel):
    notification_id: int
    job_id: str | None = Field(description="the sending job (null while scheduled)")
    status: Literal["queued", "scheduled"]
    target_count: int


class NotificationOut(BaseModel):
    id: int
    app_id: int
    title: str
    body: str
    data: dict[str, Any]
    target: str
    segment: str | None
    segment_id: int | None
    device_id: int | None
    target_count: int
    status: Literal["scheduled", "sending", "delivered", "partial", "failed", "cancelled"]
    sent: int
    failed: int
    opened: int = Field(description="devices with a notification_clicked event carrying its notification_id")
    error: str | None
    send_at: str | None
    sent_at: str | None
    finished_at: str | None
    created_at: str


class NotificationsOut(BaseModel):
    notifications: list[NotificationOut]


def _request(body: NotificationIn) -> PushRequest:
    needed = TARGET_FIELD.get(body.target)
    if needed is not None and getattr(body, needed) is None:
        raise BadRequest("Invalid notification", {needed: f"required for target={body.target}"})
    send_at = body.send_at
    if send_at is not None and send_at.tzinfo is None:
        send_at = send_at.replace(tzinfo=UTC)
    return PushRequest(
        app_id=body.app_id,
        target=body.target,
        title=body.title,
        body=body.body,
        data=body.data,
        device_id=body.device_id,
        segment=body.segment,
        segment_id=body.segment_id,
        send_at=send_at,
    )


@endpoint(
    bp,
    "POST",
    "/notifications/send",
    access=ADMIN,
    body=NotificationIn,
    responses={202: SentOut, 503: None},
    action="notification.send",
)
async def send_notification(request: Request, principal: Principal, body: NotificationIn) -> HTTPResponse:
    """Send a push through FCM now (a job) or at `send_at`; 503 when the app has no FCM credentials."""
    notification = await notifications.create(principal.org_id, principal.user_id, _request(body))
    job_id = None
    if notification.status == "sending":
        try:
            job_id = await enqueue_job(
                request, principal, start_notification, (notification.id,), kind="notification.send"
            )
        except ServiceUnavailable as exc:  # answered 503: the push must not go out later after all
            await notifications.abandon(notification.id, exc.message)
            raise
    return ok(
        {
            "notification_id": notification.id,
            "job_id": job_id,
            "status": "queued" if job_id else "scheduled",
            "target_count": notification.target_count,
        },
        status=202,
    )


@endpoint(bp, "GET", "/notifications", access=VIEWER, query=AppQuery, responses={200: NotificationsOut})
async def list_notifications(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """The app's last 50 pushes, newest first, with sent, failed and opened."""
    return ok({"notifications": await notifications.history(principal.org_id, query.app_id)})


@endpoint(
    bp,
    "DELETE",
    "/notifications/<notification_id:id>",
    access=ADMIN,
    responses={200: NotificationOut, 409: None},
    action="notification.cancel",
)
async def cancel_notification(request: Request, principal: Principal, notification_id: int) -> HTTPResponse:
    """Cancel a scheduled push (409 once sending started)."""
    return ok(notifications.notification_body(await notifications.cancel(principal.org_id, notification_id)))
