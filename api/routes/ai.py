"""AI routes (API.md section 7, and POST /dashboard/query of section 3).

Viewers may ask (query, chat: their own conversations) and analyse (sentiment): read-only analytics,
as API.md section 0 allows them. Generating a stored report needs an admin; token usage is shown to admins.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sanic import Blueprint, HTTPResponse, Request

from actors import ai as actors
from api.auth import ADMIN, VIEWER, Principal
from api.jobs import JobAcceptedOut, JobQuery, run_job
from api.responses import ok
from api.routes import ai_out as out
from api.routes.apps import PACKAGE_PATTERN
from api.routing import AppId, AppQuery, Body, Query, endpoint
from pipelines import activity, apps
from pipelines.ai import chat, churn, client, insights, market, nlq, reports, sentiment
from pipelines.ai.sentiment import ReviewIn, ReviewText

bp = Blueprint("ai", url_prefix="/api/v4/ai")
query_bp = Blueprint("ai_query", url_prefix="/api/v4/dashboard")

PackageName = Annotated[str, Field(min_length=3, max_length=255, pattern=PACKAGE_PATTERN)]


class QueryIn(Body):
    app_id: AppId
    query: nlq.Question


class ChurnQuery(AppQuery):
    limit: int = Field(50, ge=1, le=500, description="devices to list, highest risk first")


class AsoQuery(Query):
    app_id: int | None = Field(None, ge=1, le=2**31 - 1, description="the app (or give package_name)")
    package_name: PackageName | None = Field(None, description="an app's package (or give app_id)")


class ChatIn(Body):
    message: str = Field(min_length=1, max_length=4000)
    conversation_id: int | None = Field(None, ge=1, le=2**31 - 1, description="continue this conversation")


class ReportIn(Body):
    app_id: AppId
    type: reports.ReportType


class ReportsQuery(AppQuery):
    page: int = Field(1, ge=1, le=1_000_000)


class SentimentIn(Body):
    package_name: PackageName | None = Field(None, description="analyse this package's Play Store reviews")
    reviews: list[ReviewText | ReviewIn] | None = Field(None, min_length=1, max_length=500)


class UsageQuery(Query):
    days: int = Field(30, ge=1, le=365)


def _settings(request: Request) -> Any:
    return request.app.ctx.settings


@endpoint(
    query_bp,
    "POST",
    "/query",
    access=VIEWER,
    body=QueryIn,
    query=JobQuery,
    responses={200: out.QueryOut, 202: JobAcceptedOut},
    action="ai.query",
)
async def nl_query(request: Request, principal: Principal, body: QueryIn, query: JobQuery) -> HTTPResponse:
    """A question in plain language answered with one safe SQL SELECT over the app's views (a job)."""
    await apps.get_app(principal.org_id, body.app_id)
    await nlq.ready(_settings(request))
    args = (principal.org_id, body.app_id, body.query, activity.hand_off())
    return await run_job(request, principal, actors.nl_query, args, kind="ai.query", wait=query.wait)


@endpoint(bp, "GET", "/insights", access=VIEWER, query=AppQuery, responses={200: out.InsightsOut})
async def get_insights(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """Cached insights of the last complete day: summary, anomalies (robust z-score), weekly report."""
    return ok(await insights.get(_settings(request), principal.org_id, query.app_id))


@endpoint(bp, "GET", "/churn-risk", access=VIEWER, query=ChurnQuery, responses={200: out.ChurnOut})
async def churn_risk(request: Request, principal: Principal, query: ChurnQuery) -> HTTPResponse:
    """Active devices ranked by churn risk 0..1, with reasons and a recommended action."""
    return ok(await churn.churn_risk(principal.org_id, query.app_id, query.limit))


@endpoint(bp, "POST", "/chat", access=VIEWER, body=ChatIn, responses={200: out.ChatOut}, action="ai.chat")
async def post_chat(request: Request, principal: Principal, body: ChatIn) -> HTTPResponse:
    """One turn with the assistant; it may look numbers up with read-only tools of the caller's org."""
    assert principal.user_id is not None and principal.org_id is not None
    return ok(
        await chat.chat(
            _settings(request),
            principal.org_id,
            principal.user_id,
            body.message,
            body.conversation_id,
        )
    )


@endpoint(bp, "GET", "/conversations", access=VIEWER, responses={200: out.ConversationsOut})
async def list_conversations(request: Request, principal: Principal) -> HTTPResponse:
    """The caller's own conversations, most recent first."""
    assert principal.user_id is not None and principal.org_id is not None
    return ok({"conversations": await chat.list_conversations(principal.org_id, principal.user_id)})


@endpoint(
    bp, "GET", "/conversations/<conversation_id:id>", access=VIEWER, responses={200: out.ConversationOut}
)
async def get_conversation(request: Request, principal: Principal, conversation_id: int) -> HTTPResponse:
    """One of the caller's conversations with its messages."""
    assert principal.user_id is not None and principal.org_id is not None
    return ok(await chat.conversation_body(principal.org_id, principal.user_id, conversation_id))


@endpoint(bp, "GET", "/cross-analysis", access=VIEWER, query=AppQuery, responses={200: out.MarketOut})
async def cross_analysis(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """Play Store metrics correlated with DAU, new devices and events at lags of 0..7 days."""
    return ok(await market.cross_analysis(_settings(request), principal.org_id, query.app_id))


@endpoint(bp, "GET", "/aso", access=VIEWER, query=AsoQuery, responses={200: out.MarketOut})
async def aso(request: Request, principal: Principal, query: AsoQuery) -> HTTPResponse:
    """App-store optimisation suggestions from the app's listing against tracked competitors'."""
    return ok(await market.aso(_settings(request), principal.org_id, query.app_id, query.package_name))


@endpoint(
    bp,
    "POST",
    "/reports",
    access=ADMIN,
    body=ReportIn,
    query=JobQuery,
    responses={200: out.ReportOut, 202: JobAcceptedOut},
    action="report.create",
)
async def create_report(
    request: Request, principal: Principal, body: ReportIn, query: JobQuery
) -> HTTPResponse:
    """Generate and store a report of the app (a job): daily_summary, weekly, competitor, revenue, review."""
    await apps.get_app(principal.org_id, body.app_id)
    args = (principal.org_id, body.app_id, body.type, principal.user_id, activity.hand_off())
    return await run_job(request, principal, actors.ai_report, args, kind="ai.report", wait=query.wait)


@endpoint(bp, "GET", "/reports", access=VIEWER, query=ReportsQuery, responses={200: out.ReportsOut})
async def list_reports(request: Request, principal: Principal, query: ReportsQuery) -> HTTPResponse:
    """The app's stored reports, newest first (50 a page)."""
    return ok(await reports.list_reports(principal.org_id, query.app_id, query.page))


@endpoint(bp, "GET", "/reports/<report_id:id>", access=VIEWER, responses={200: out.ReportOut})
async def get_report(request: Request, principal: Principal, report_id: int) -> HTTPResponse:
    """One stored report."""
    return ok(await reports.get_report(principal.org_id, report_id))


@endpoint(
    bp,
    "POST",
    "/sentiment",
    access=VIEWER,
    body=SentimentIn,
    query=JobQuery,
    responses={200: out.SentimentOut, 202: JobAcceptedOut},
    action="ai.sentiment",
)
async def post_sentiment(
    request: Request, principal: Principal, body: SentimentIn, query: JobQuery
) -> HTTPResponse:
    """Sentiment of reviews (given, or a package's Play Store reviews) with a summary (a job)."""
    reviews = (
        None if body.reviews is None else [r if isinstance(r, str) else r.model_dump() for r in body.reviews]
    )
    sentiment.check_input(body.package_name, reviews)
    args = (principal.org_id, body.package_name, reviews, activity.hand_off())
    return await run_job(
        request, principal, actors.review_sentiment, args, kind="ai.sentiment", wait=query.wait
    )


@endpoint(bp, "GET", "/usage", access=ADMIN, query=UsageQuery, responses={200: out.UsageOut})
async def usage(request: Request, principal: Principal, query: UsageQuery) -> HTTPResponse:
    """Tokens the organisation spent per UTC day and model, with totals."""
    assert principal.org_id is not None
    return ok(await client.usage(principal.org_id, query.days))
