"""The cron table: what to enqueue, and when. Schedules only enqueue (STYLE.md 5).

Each scheduled actor receives the tick it was fired for as keyword `tick`
(ISO-8601 UTC), so a job can be made idempotent per tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.settings import Settings


@dataclass(frozen=True)
class Entry:
    name: str
    cron: str  # croniter syntax: 5 fields, or 6 with seconds last
    actor: str  # the Dramatiq actor name
    kwargs: dict[str, Any] = field(default_factory=dict)


def cron_table(settings: Settings) -> list[Entry]:
    """Every periodic job of the platform."""
    return [
        Entry("scheduler.heartbeat", settings.SCHEDULER_HEARTBEAT_CRON, "scheduler_heartbeat"),
        Entry("segments.reclassify", settings.SEGMENTS_RECLASSIFY_CRON, "reclassify_devices"),
        Entry("segments.custom", settings.CUSTOM_SEGMENTS_CRON, "recalculate_segments"),
        Entry("alerts.evaluate", settings.ALERTS_CRON, "evaluate_alerts"),
        Entry("ai.insights", settings.AI_INSIGHTS_CRON, "compute_insights"),
        Entry("notifications.due", settings.NOTIFICATIONS_CRON, "send_due_notifications"),
        Entry("webhooks.prune", settings.WEBHOOK_PRUNE_CRON, "prune_webhook_deliveries"),
    ]
