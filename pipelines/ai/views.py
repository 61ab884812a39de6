"""The documented read-only views the natural-language query may read (schema `nlq`, migration 9).

Each view shows the rows of ONE app: the one bound to the reading connection (pipelines.ai.reader).
This description is what the model is shown, what sqlcheck allows, and what the README lists; a test
compares it with the views in the database.
"""

from __future__ import annotations

SCHEMA = "nlq"

# view -> (what a row is, [(column, type, meaning)])
VIEWS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "devices": (
        "one installed device of the app",
        [
            ("id", "bigint", "device id"),
            ("android_id", "text", "the device's Android ID"),
            ("brand", "text", "maker, e.g. Samsung"),
            ("model", "text", "device model"),
            ("android_version", "text", "Android version"),
            ("app_version", "text", "installed app version"),
            ("country", "text", "ISO 3166-1 alpha-2 country, upper-case (may be null)"),
            ("install_type", "text", "organic | store"),
            ("user_segment", "text", "churned | dormant | power_user | new | active | casual"),
            ("sessions_count", "integer", "sessions ever"),
            ("ad_watches", "integer", "ads watched ever"),
            ("purchases", "integer", "in-app purchases ever"),
            ("purchase_revenue", "numeric", "purchase revenue ever, USD"),
            ("ad_revenue", "numeric", "ad revenue ever, USD"),
            ("sessions_30d", "integer", "sessions in the last 30 days"),
            ("ad_watches_30d", "integer", "ads watched in the last 30 days"),
            ("purchases_30d", "integer", "purchases in the last 30 days"),
            ("first_seen_at", "timestamptz", "first registration or event (install)"),
            ("last_seen_at", "timestamptz", "latest event"),
            ("created_at", "timestamptz", "when the device was registered"),
        ],
    ),
    "events": (
        "one event sent by a device",
        [
            ("id", "bigint", "event id"),
            ("device_id", "bigint", "devices.id"),
            ("event_type", "text", "e.g. session_start, ad_watched, purchase, screen_view"),
            ("event_data", "jsonb", "the event's properties (use ->> to read a key)"),
            ("created_at", "timestamptz", "when it happened (UTC)"),
        ],
    ),
    "purchases": (
        "one in-app purchase (the events of type purchase)",
        [
            ("id", "bigint", "event id"),
            ("device_id", "bigint", "devices.id"),
            ("product_id", "text", "store product id"),
            ("amount", "numeric", "price paid, USD"),
            ("currency", "text", "currency code as sent"),
            ("created_at", "timestamptz", "when it happened (UTC)"),
        ],
    ),
    "ad_revenue": (
        "one ad impression's revenue",
        [
            ("id", "bigint", "impression id"),
            ("device_id", "bigint", "devices.id"),
            ("ad_type", "text", "banner | interstitial | rewarded | app_open | native"),
            ("ad_network", "text", "e.g. admob"),
            ("revenue", "numeric", "USD"),
            ("ecpm", "numeric", "USD per 1,000 impressions"),
            ("geo_tier", "text", "tier1 | tier2 | tier3"),
            ("country", "text", "ISO 3166-1 alpha-2"),
            ("created_at", "timestamptz", "when it was shown (UTC)"),
        ],
    ),
    "daily": (
        "the app's totals of one UTC day (days without activity have no row)",
        [
            ("day", "date", "UTC day"),
            ("active_devices", "integer", "devices with an event that day (DAU)"),
            ("new_devices", "integer", "devices first seen that day"),
            ("events", "bigint", "events"),
            ("sessions", "bigint", "session_start events"),
            ("ad_watches", "bigint", "ad_watched events"),
            ("purchases", "bigint", "purchase events"),
            ("purchase_revenue", "numeric", "USD"),
            ("ad_revenue", "numeric", "USD"),
            ("ad_impressions", "bigint", "ad impressions"),
        ],
    ),
    "daily_events": (
        "events per type of one UTC day",
        [
            ("day", "date", "UTC day"),
            ("event_type", "text", "event type"),
            ("count", "bigint", "events of that type that day"),
        ],
    ),
}


def describe() -> str:
    """The views as the model reads them."""
    lines = []
    for name, (meaning, columns) in VIEWS.items():
        lines.append(f"{name} -- {meaning}")
        lines += [f"  {column} {kind} -- {text}" for column, kind, text in columns]
    return "\n".join(lines)
