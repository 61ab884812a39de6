"""Dashboard routes (API.md section 3)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from sanic import Blueprint, HTTPResponse, Request

from api import audit
from api.auth import ADMIN, VIEWER, Principal
from api.responses import ok
from api.routing import AppQuery, endpoint
from pipelines import dashboard, erasure
from pipelines.flags import BUILTIN_SEGMENTS

bp = Blueprint("dashboard", url_prefix="/api/v4/dashboard")

BuiltinSegment = Literal[BUILTIN_SEGMENTS]  # type: ignore[valid-type]


class PeriodQuery(AppQuery):
    days: int = Field(30, ge=1, le=365, description="today (UTC) and the days before it, 1..365")


class EventsQuery(AppQuery):
    days: int = Field(7, ge=1, le=365, description="today (UTC) and the days before it, 1..365")


class DevicesQuery(AppQuery):
    page: int = Field(1, ge=1, le=1_000_000)
    limit: int = Field(50, ge=1, le=100)
    search: str | None = Field(
        None,
        max_length=255,
        pattern=r"^[^\x00]*$",
        description="case-insensitive substring of android_id, brand or model",
    )
    segment: BuiltinSegment | None = Field(None, description="built-in segment (lower-case)")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")


class ErasureOut(BaseModel):
    deleted: dict[str, int]


class OverviewOut(BaseModel):
    total_devices: int
    active_users_30d: int
    new_users_7d: int
    events_today: int
    ad_watches: int
    purchases: int
    revenue_30d: float


class SegmentCountOut(BaseModel):
    segment: str
    count: int


class SegmentsOut(BaseModel):
    segments: list[SegmentCountOut]


class DeviceOut(BaseModel):
    id: int
    app_id: int
    android_id: str
    brand: str | None
    model: str | None
    android_version: str | None
    app_version: str | None
    country: str | None
    install_type: str | None
    user_segment: str
    sessions_count: int
    ad_watches: int
    purchases: int
    purchase_revenue: float
    ad_revenue: float
    first_seen_at: str
    last_seen_at: str
    created_at: str


class DevicesOut(BaseModel):
    devices: list[DeviceOut]
    page: int
    limit: int
    total: int
    pages: int


class DeviceEventOut(BaseModel):
    id: int
    event_type: str
    event_data: dict[str, Any]
    created_at: str
    received_at: str
    event_id: str


class DeviceDetailOut(DeviceOut):
    profile: dict[str, Any]
    events: list[DeviceEventOut]


class TrendOut(BaseModel):
    date: str
    active_devices: int
    new_devices: int
    total_events: int


class TrendsOut(BaseModel):
    trends: list[TrendOut]


class CountryOut(BaseModel):
    country: str
    devices: int


class CountriesOut(BaseModel):
    countries: list[CountryOut]


class NetworkRevenueOut(BaseModel):
    ad_network: str | None
    revenue: float
    impressions: int


class AdTypeRevenueOut(BaseModel):
    ad_type: str
    revenue: float
    impressions: int


class CountryRevenueOut(BaseModel):
    country: str | None
    revenue: float
    impressions: int


class GeoTierRevenueOut(BaseModel):
    geo_tier: str | None
    revenue: float
    impressions: int


class DailyRevenueOut(BaseModel):
    date: str
    ad_revenue: float
    purchase_revenue: float
    dau: int


class RevenueOut(BaseModel):
    total: float
    ad_revenue: float
    purchase_revenue: float
    arpdau: float
    by_network: list[NetworkRevenueOut]
    by_ad_type: list[AdTypeRevenueOut]
    by_country: list[CountryRevenueOut]
    by_geo_tier: list[GeoTierRevenueOut]
    daily: list[DailyRevenueOut]


class EventCountOut(BaseModel):
    event_type: str
    count: int


class EventsOut(BaseModel):
    events: list[EventCountOut]


@endpoint(bp, "GET", "/overview", access=VIEWER, query=AppQuery, responses={200: OverviewOut})
async def overview(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """Headline numbers of the app (from the daily rollups; "30 days" are today (UTC) and the 29 before).
    total_devices: devices stored; active_users_30d: devices with an event in the last 30 days;
    new_users_7d: devices first seen in the last 7 days; ad_watches, purchases and revenue_30d
    (purchase + ad revenue, USD) over the last 30 days."""
    return ok(await dashboard.overview(principal.org_id, query.app_id))


@endpoint(bp, "GET", "/segments", access=VIEWER, query=AppQuery, responses={200: SegmentsOut})
async def segments(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """Devices per built-in segment, zeros included, in the order churned, dormant, power_user, new,
    active, casual."""
    return ok({"segments": await dashboard.segment_counts(principal.org_id, query.app_id)})


@endpoint(bp, "GET", "/devices", access=VIEWER, query=DevicesQuery, responses={200: DevicesOut})
async def devices(request: Request, principal: Principal, query: DevicesQuery) -> HTTPResponse:
    """A page of the app's devices, newest first (by creation), filtered by search (android_id, brand,
    model: case-insensitive substring), segment and country."""
    page = dashboard.DeviceFilter(
        page=query.page, limit=query.limit, search=query.search, segment=query.segment, country=query.country
    )
    return ok(await dashboard.list_devices(principal.org_id, query.app_id, page))


@endpoint(bp, "GET", "/devices/<device_id:bigid>", access=VIEWER, responses={200: DeviceDetailOut})
async def device(request: Request, principal: Principal, device_id: int) -> HTTPResponse:
    """One device with its profile and its last 50 events, newest first."""
    return ok(await dashboard.device_detail(principal.org_id, device_id))


@endpoint(bp, "GET", "/trends", access=VIEWER, query=PeriodQuery, responses={200: TrendsOut})
async def trends(request: Request, principal: Principal, query: PeriodQuery) -> HTTPResponse:
    """One row per UTC day of the period, oldest first, ending today: active devices (with an event
    that day), new devices (first seen that day), events; days without data as zeros."""
    return ok({"trends": await dashboard.trends(principal.org_id, query.app_id, query.days)})


@endpoint(bp, "GET", "/countries", access=VIEWER, query=AppQuery, responses={200: CountriesOut})
async def countries(request: Request, principal: Principal, query: AppQuery) -> HTTPResponse:
    """Devices per country, most first; devices without a known country are left out."""
    return ok({"countries": await dashboard.countries(principal.org_id, query.app_id)})


@endpoint(bp, "GET", "/revenue", access=VIEWER, query=PeriodQuery, responses={200: RevenueOut})
async def revenue(request: Request, principal: Principal, query: PeriodQuery) -> HTTPResponse:
    """Revenue over the period (USD): ad + purchase, ARPDAU (total / sum of daily active devices), ad
    revenue by network, ad type, country and geo tier (null: not reported), and per day."""
    return ok(await dashboard.revenue(principal.org_id, query.app_id, query.days))


@endpoint(bp, "GET", "/events", access=VIEWER, query=EventsQuery, responses={200: EventsOut})
async def events(request: Request, principal: Principal, query: EventsQuery) -> HTTPResponse:
    """Events per type over the period (default 7 days), most first."""
    return ok({"events": await dashboard.event_counts(principal.org_id, query.app_id, query.days)})


@endpoint(
    bp,
    "DELETE",
    "/devices/<device_id:bigid>",
    access=ADMIN,
    responses={200: ErasureOut},
    action="device.erase",
)
async def erase_device(request: Request, principal: Principal, device_id: int) -> HTTPResponse:
    """Erase a device with all its events, revenue and history (GDPR); answers what was deleted.
    Later SDK calls with the same android_id start a new device."""
    deleted = await erasure.erase_device(request.app.ctx.redis, principal.org_id, device_id)
    audit.note(request).details = {"deleted": deleted}
    return ok({"deleted": deleted})
