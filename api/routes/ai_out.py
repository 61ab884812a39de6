"""Response documents of the AI routes (OpenAPI): the shapes pipelines.ai answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class QueryOut(BaseModel):
    answer: str
    sql: str
    data: list[dict[str, Any]]
    columns: list[str]
    row_count: int
    truncated: bool


class AnomalyOut(BaseModel):
    metric: str
    date: str
    value: float
    median: float
    mad: float
    z_score: float
    direction: str
    change_pct: float | None
    baseline_days: int


class InsightsOut(_Open):
    app_id: int
    date: str
    days_of_data: int
    enough_data: bool
    message: str | None
    daily_summary: dict[str, Any]
    anomalies: list[AnomalyOut]
    weekly_report: dict[str, Any] | None
    narrative: str
    narrative_source: str
    generated_at: str
    cached: bool


class ActionOut(BaseModel):
    type: str
    detail: str


class ChurnDeviceOut(BaseModel):
    device_id: int
    android_id: str
    segment: str
    last_seen_at: str | None
    days_inactive: int
    risk: float
    reasons: list[str]
    recommended_action: ActionOut


class ChurnOut(BaseModel):
    app_id: int
    scored: int
    limit: int
    devices: list[ChurnDeviceOut]
    model: dict[str, Any]


class ChatOut(BaseModel):
    conversation_id: int
    reply: str
    sources: list[dict[str, Any]]


class ConversationSummaryOut(BaseModel):
    id: int
    title: str
    created_at: str
    updated_at: str


class ConversationsOut(BaseModel):
    conversations: list[ConversationSummaryOut]


class ConversationOut(ConversationSummaryOut):
    messages: list[dict[str, Any]]


class MarketOut(_Open):
    app_id: int
    package_name: str
    playstore: str
    narrative: str
    narrative_source: str


class ReportOut(BaseModel):
    id: int
    app_id: int
    type: str
    title: str
    content: str
    data: dict[str, Any]
    narrative_source: str
    created_by: int | None
    created_at: str


class ReportsOut(BaseModel):
    reports: list[ReportOut]
    page: int
    total: int


class SentimentResultOut(BaseModel):
    index: int
    text: str
    rating: int | None
    label: str
    score: float
    source: str


class SentimentOut(_Open):
    package_name: str | None
    source: str
    results: list[SentimentResultOut]
    counts: dict[str, int]
    summary: str
    summary_source: str


class UsageRowOut(BaseModel):
    date: str
    model: str
    requests: int
    input_tokens: int
    output_tokens: int


class UsageOut(BaseModel):
    days: int
    usage: list[UsageRowOut]
    totals: dict[str, int]
