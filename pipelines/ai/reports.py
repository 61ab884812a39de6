"""Generated reports of an app (POST /ai/reports, a job; GET /ai/reports lists them).

Each type computes its figures (the same pipelines as the dashboard and insights), then a narrative: the
model's when configured and reachable, a plain-text template otherwise. The report and its activity entry
are stored together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from tortoise.transactions import in_transaction

from core.clock import iso
from core.errors import NotFound
from core.models import Report
from core.settings import Settings
from pipelines import activity, apps, dashboard
from pipelines.ai import client, insights, market, prompts, sentiment

ReportType = Literal["daily_summary", "weekly", "competitor", "revenue", "review"]
TITLES = {
    "daily_summary": "Daily summary",
    "weekly": "Weekly report",
    "competitor": "Competitor report",
    "revenue": "Revenue report",
    "review": "Review report",
}
PAGE = 50


def report_body(report: Report) -> dict[str, Any]:
    """A report as the API shows it."""
    return {
        "id": report.id,
        "app_id": report.app_id,  # type: ignore[attr-defined]
        "type": report.type,
        "title": report.title,
        "content": report.content,
        "data": report.data,
        "narrative_source": report.narrative_source,
        "created_by": report.created_by_id,
        "created_at": iso(report.created_at),
    }


def _money(value: float) -> str:
    return f"${value:,.2f}"


async def _figures(settings: Settings, org_id: int, app_id: int, kind: str) -> tuple[dict[str, Any], str]:
    """(figures, template narrative) of one report type."""
    app = await apps.get_app(org_id, app_id)
    day = insights.yesterday()
    if kind in ("daily_summary", "weekly"):
        base = await insights.figures(app_id, day)
        if kind == "daily_summary":
            data = {k: base[k] for k in ("date", "daily_summary", "anomalies", "enough_data", "message")}
        else:
            data = {k: base[k] for k in ("weekly_report", "anomalies", "enough_data", "message")}
            data["top_events_7d"] = (await dashboard.event_counts(org_id, app_id, 7))[:10]
            data["segments"] = await dashboard.segment_counts(org_id, app_id)
        return data, insights.template_narrative(
            {**base, "weekly_report": base["weekly_report"] if kind == "weekly" else None}
        )
    if kind == "revenue":
        revenue = await dashboard.revenue(org_id, app_id, 30)
        data = {**{k: v for k, v in revenue.items() if k != "daily"}, "last_7_days": revenue["daily"][-7:]}
        top = revenue["by_network"][0] if revenue["by_network"] else None
        text = (
            f"Revenue over 30 days: {_money(revenue['total'])} ({_money(revenue['ad_revenue'])} from ads, "
            f"{_money(revenue['purchase_revenue'])} from purchases), ARPDAU {_money(revenue['arpdau'])}."
            + (
                f" Top ad network: {top['ad_network'] or 'unknown'} with {_money(top['revenue'])}."
                if top
                else ""
            )
        )
        return data, text
    if kind == "competitor":
        overview = await dashboard.overview(org_id, app_id)
        rivals = await market.competitors_of(org_id, app_id)
        data = {"app": {"package_name": app.package_name, **overview}, "competitors": rivals,
                "playstore": "available" if rivals else market.PLAYSTORE_MISSING}  # fmt: skip
        text = (
            f"{app.name}: {overview['active_users_30d']:,} devices active in 30 days, "
            f"{overview['new_users_7d']:,} new in 7 days. Competitor data: "
            + ("; ".join(rivals) if rivals else market.PLAYSTORE_MISSING + " (no competitors tracked yet).")
        )
        return data, text
    analysed = await sentiment.analyze(settings, org_id, app.package_name, None)
    data = {k: analysed.get(k) for k in ("package_name", "counts", "summary", "playstore", "note")}
    return data, analysed.get("note") or analysed["summary"]


async def generate(
    settings: Settings, org_id: int, app_id: int, kind: str, user_id: int | None, audit: dict[str, Any] | None
) -> dict[str, Any]:
    """Compute, narrate and store one report; returns it."""
    app = await apps.get_app(org_id, app_id)
    data, fallback = await _figures(settings, org_id, app_id, kind)
    system = prompts.REPORT_SYSTEM.format(kind=TITLES[kind].lower())
    told = await client.narrate(settings, org_id, system, data, fallback)
    if told.get("narrative_note"):
        data["narrative_note"] = told["narrative_note"]
    today = datetime.now(UTC).date().isoformat()
    async with in_transaction() as conn:
        report = await Report.create(
            app_id=app_id,
            type=kind,
            title=f"{TITLES[kind]}: {app.name}, {today}"[:255],
            content=told["narrative"],
            data=data,
            narrative_source=told["narrative_source"],
            created_by_id=user_id,
            using_db=conn,
        )
        await activity.record_change(
            conn, report.id, {"app_id": app_id, "type": kind}, **activity.handed(audit)
        )
    return report_body(report)


async def list_reports(org_id: int, app_id: int, page: int) -> dict[str, Any]:
    """The app's reports, newest first, PAGE per page."""
    await apps.get_app(org_id, app_id)
    query = Report.filter(app_id=app_id)
    total = await query.count()
    rows = await query.order_by("-created_at", "-id").offset((page - 1) * PAGE).limit(PAGE)
    return {"reports": [report_body(r) for r in rows], "page": page, "total": total}


async def get_report(org_id: int, report_id: int) -> dict[str, Any]:
    """One report of the organisation's apps."""
    report = await Report.get_or_none(id=report_id, app__org_id=org_id)
    if report is None:
        raise NotFound("Report not found")
    return report_body(report)
