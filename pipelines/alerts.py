"""Metric alerts (API.md section 4 "Alerts"): rules, their evaluation, and one notification per firing.

A rule watches one metric of an app (windows, values and conditions: pipelines.alertmetrics). Every
15 minutes (ALERTS_CRON), and on demand (POST /alerts/evaluate), each active rule is evaluated: the
current and previous window's values are computed and the current one stored on the rule (last_value,
last_evaluated_at). When the condition holds, one alert_history row is written per rule and window
(unique (rule_id, window_start, window_end), so a day and a week window ending together are two
windows; INSERT ... ON CONFLICT DO NOTHING) and the rule's channel is notified while that row's
notification has not succeeded (notified_at null) and fewer than MAX_ATTEMPTS were made: at most one
attempt per evaluation, never a second message once one succeeded. The row is locked while sending
(FOR UPDATE SKIP LOCKED), so concurrent evaluations skip it instead of sending twice.

Thresholds: drops_by/increases_by take a percentage (0 < X; drops_by X <= 100); below/above take a
fraction 0..1 for crash_rate and churn_rate, a number >= 0 for the other metrics.
Channels and channel_config (unknown keys are 400):
    email      {"emails": [1..10 addresses]} or {} for the organisation's owners and admins; sent through
               SMTP_HOST (no SMTP_HOST: the row records "SMTP not configured")
    webhook    {"url": "http(s)://..."}: the server adds a signing secret (outbound.new_signing_secret), answered
               once by the create (or the update that adds it), never listed; signed as API.md section 9
               (pipelines.outbound). Non-public targets are refused at creation and skipped at send time
               unless WEBHOOK_ALLOW_PRIVATE_TARGETS.
    dashboard  {}: the history row is the notification (recorded as notified at once)
"""

from __future__ import annotations

import math
from datetime import date
from email.message import EmailMessage
from typing import Any

import orjson

from core.clock import iso, utcnow
from core.db import raw_connection
from core.errors import BadRequest, ServiceUnavailable
from core.logging import get_logger
from core.models import AlertFired, AlertRule, App
from core.settings import Settings
from pipelines import alertmetrics, apps, auth, outbound
from pipelines.alertmetrics import RATE_METRICS, RELATIVE_CONDITIONS, Window

log = get_logger(__name__)

MAX_PER_APP = 50
MAX_ATTEMPTS = 5
MAX_EMAILS = 10
HISTORY_LIMIT = 50
MAX_COUNT_THRESHOLD = 1e12
MAX_PERCENT_THRESHOLD = 1e6
EMAIL_FORBIDDEN = set(' \t\r\n,;<>()[]\\"')
CHANNEL_KEYS = {"email": {"emails"}, "webhook": {"url"}, "dashboard": set()}


# --- validation -----------------------------------------------------------------------------------------


def check_threshold(metric: str, condition: str, threshold: float) -> None:
    """400 unless the threshold fits the condition and metric (module docstring)."""
    if not math.isfinite(threshold):
        raise BadRequest("Invalid alert", {"threshold": "must be a finite number"})
    if condition in RELATIVE_CONDITIONS:
        if threshold <= 0:
            raise BadRequest(
                "Invalid alert", {"threshold": f"{condition} takes a percentage above 0 (20 = 20%)"}
            )
        if condition == "drops_by" and threshold > 100:
            raise BadRequest("Invalid alert", {"threshold": "drops_by takes a percentage of at most 100"})
        if threshold > MAX_PERCENT_THRESHOLD:
            raise BadRequest("Invalid alert", {"threshold": f"at most {MAX_PERCENT_THRESHOLD:g} (percent)"})
    elif metric in RATE_METRICS:
        if not 0 <= threshold <= 1:
            raise BadRequest(
                "Invalid alert",
                {
                    "threshold": f"{metric} is a fraction: {condition} takes a "
                    "threshold between 0 and 1 (0.05 = 5%)"
                },
            )
    elif not 0 <= threshold <= MAX_COUNT_THRESHOLD:
        raise BadRequest(
            "Invalid alert",
            {"threshold": f"{condition} takes a number between 0 and {MAX_COUNT_THRESHOLD:g} for {metric}"},
        )


def _valid_email(value: Any) -> str | None:
    """The address lower-cased (auth's rule), or None; no character that could break a mail header."""
    if not isinstance(value, str) or len(value) > 254 or EMAIL_FORBIDDEN & set(value):
        return None
    try:
        return auth.valid_email(value)
    except ValueError:
        return None


async def channel_config(
    channel: str, config: dict[str, Any], allow_private: bool, secret: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """The config to store for `channel` and, for a webhook given no `secret` to keep, its new secret
    (to answer once); 400 for unknown keys, bad addresses, or a refused webhook URL."""
    unknown = sorted(set(config) - CHANNEL_KEYS[channel])
    if unknown:
        allowed = ", ".join(sorted(CHANNEL_KEYS[channel])) or "no keys"
        raise BadRequest(
            "Invalid alert",
            {f"channel_config.{unknown[0]}": f"unknown key for the {channel} channel (it takes {allowed})"},
        )
    if channel == "dashboard":
        return {}, None
    if channel == "email":
        if "emails" not in config:
            return {}, None
        emails = config["emails"]
        if not isinstance(emails, list) or not 1 <= len(emails) <= MAX_EMAILS:
            raise BadRequest(
                "Invalid alert",
                {
                    "channel_config.emails": f"a list of 1..{MAX_EMAILS} email "
                    "addresses (omit it for the org's admins)"
                },
            )
        valid = [_valid_email(e) for e in emails]
        for i, email in enumerate(valid):
            if email is None:
                raise BadRequest(
                    "Invalid alert", {f"channel_config.emails.{i}": "must be a valid email address"}
                )
        return {"emails": list(dict.fromkeys(e for e in valid if e))}, None
    url = config.get("url")
    if not isinstance(url, str) or not url:
        raise BadRequest("Invalid alert", {"channel_config.url": "the webhook channel needs an http(s) url"})
    await outbound.check_target(url, allow_private=allow_private, field="channel_config.url")
    new_secret = None if secret else outbound.new_signing_secret()
    return {"url": url, "secret": secret or new_secret}, new_secret


# --- management -----------------------------------------------------------------------------------------


def _without_secret(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "secret"}


def public_config(rule: AlertRule) -> dict[str, Any]:
    """channel_config as clients see it: never the signing secret."""
    return _without_secret(rule.channel_config or {})


def rule_body(rule: AlertRule, secret: str | None = None) -> dict[str, Any]:
    body = {
        "id": rule.id,
        "app_id": rule.app_id,  # type: ignore[attr-defined]
        "name": rule.name,
        "metric": rule.metric,
        "condition": rule.condition,
        "threshold": rule.threshold,
        "compare_window": rule.compare_window,
        "channel": rule.channel,
        "channel_config": public_config(rule),
        "is_active": rule.is_active,
        "last_value": rule.last_value,
        "last_evaluated_at": iso(rule.last_evaluated_at),
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def history_body(fired: AlertFired, rule_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": fired.id,
        "rule_id": fired.rule_id,  # type: ignore[attr-defined]
        "rule_name": rule_names.get(fired.rule_id),  # type: ignore[attr-defined]
        "window_start": fired.window_start.isoformat(),
        "window_end": fired.window_end.isoformat(),
        "value": fired.value,
        "previous_value": fired.previous_value,
        "message": fired.message,
        "channel": fired.channel,
        "notified_at": iso(fired.notified_at),
        "attempts": fired.attempts,
        "error": fired.error,
        "fired_at": iso(fired.fired_at),
    }


async def list_alerts(org_id: int, app_id: int) -> dict[str, Any]:
    """{"rules": the app's rules, "history": its last HISTORY_LIMIT firings, newest first}."""
    app = await apps.get_app(org_id, app_id)
    rules = await AlertRule.filter(app_id=app.id).order_by("id")
    history = await AlertFired.filter(app_id=app.id).order_by("-fired_at", "-id").limit(HISTORY_LIMIT)
    names = {r.id: r.name for r in rules}
    return {"rules": [rule_body(r) for r in rules], "history": [history_body(h, names) for h in history]}


async def get_rule(org_id: int, rule_id: int, app_id: int | None = None) -> AlertRule:
    return await apps.get_app_object(AlertRule, org_id, rule_id, app_id, "Alert")


async def create_rule(
    org_id: int, app_id: int, values: dict[str, Any], allow_private: bool
) -> tuple[AlertRule, str | None]:
    """Create a rule (at most MAX_PER_APP per app); returns it and its webhook secret, if one was made."""
    app = await apps.get_app(org_id, app_id)
    values = {"compare_window": "day", "channel": "dashboard", "channel_config": {}, **values}
    check_threshold(values["metric"], values["condition"], values["threshold"])
    values["channel_config"], secret = await channel_config(
        values["channel"], values["channel_config"], allow_private
    )
    return await apps.create_capped(AlertRule, app, MAX_PER_APP, "alert rules", **values), secret


async def update_rule(
    org_id: int, rule_id: int, app_id: int | None, changes: dict[str, Any], allow_private: bool
) -> tuple[AlertRule, dict[str, Any], str | None]:
    """Change any field; the result is checked as a whole. A webhook keeps its secret while it stays a
    webhook; switching to the webhook channel makes a new one (returned). Changing the channel without
    a channel_config resets it to {}."""
    rule = await get_rule(org_id, rule_id, app_id)
    metric, condition = changes.get("metric", rule.metric), changes.get("condition", rule.condition)
    check_threshold(metric, condition, changes.get("threshold", rule.threshold))
    secret = None
    channel = changes.get("channel", rule.channel)
    if "channel_config" in changes or channel != rule.channel:
        kept = rule.channel_config.get("secret") if rule.channel == "webhook" == channel else None
        config = changes.get("channel_config", {})
        changes["channel_config"], secret = await channel_config(channel, config, allow_private, kept)
    diff = apps.changed_fields(rule, changes)
    if not diff:
        return rule, {}, None
    record = await apps.save_changes(rule, diff)
    record = {
        side: {k: _without_secret(v) if k == "channel_config" else v for k, v in values.items()}
        for side, values in record.items()
    }
    return rule, record, secret


async def delete_rule(org_id: int, rule_id: int, app_id: int | None) -> AlertRule:
    """Delete a rule with its history."""
    rule = await get_rule(org_id, rule_id, app_id)
    await rule.delete()
    return rule


# --- evaluation -----------------------------------------------------------------------------------------


async def apps_with_active_rules() -> list[int]:
    ids = (
        await AlertRule.filter(is_active=True).distinct().order_by("app_id").values_list("app_id", flat=True)
    )
    return list(ids)


async def evaluate_app(settings: Settings, app_id: int, today: date | None = None) -> dict[str, int]:
    """Evaluate the app's active rules now: {"evaluated": rules, "fired": rules whose condition holds
    (a firing of this window, new or recorded before), "notified": notifications that succeeded now}."""
    today = today or utcnow().date()
    app = await App.get_or_none(id=app_id)
    result = {"evaluated": 0, "fired": 0, "notified": 0}
    if app is None:
        return result
    values: dict[tuple[str, Window], float] = {}
    for rule in await AlertRule.filter(app_id=app.id, is_active=True).order_by("id"):
        fired, notified = await evaluate_rule(settings, app, rule, today, values)
        result["evaluated"] += 1
        result["fired"] += fired
        result["notified"] += notified
    return result


async def evaluate_rule(
    settings: Settings, app: App, rule: AlertRule, today: date, values: dict[tuple[str, Window], float]
) -> tuple[bool, bool]:
    """(whether the condition holds, whether a notification succeeded now); `values` caches the app's
    metric values by window."""
    current_window, previous_window = alertmetrics.windows(rule.compare_window, today)
    async with raw_connection() as conn:
        for window in (current_window, previous_window):
            if (rule.metric, window) not in values:
                values[rule.metric, window] = await alertmetrics.metric_value(
                    conn, app.id, rule.metric, window
                )
        current, previous = values[rule.metric, current_window], values[rule.metric, previous_window]
        await conn.execute(
            "UPDATE alert_rules SET last_value = $2, last_evaluated_at = now() WHERE id = $1",
            rule.id,
            current,
        )
        if not alertmetrics.condition_holds(rule.condition, rule.threshold, current, previous):
            return False, False
        message = alertmetrics.describe(
            rule.metric, rule.condition, rule.threshold, current, previous, current_window
        )
        await conn.execute(
            "INSERT INTO alert_history (rule_id, app_id, window_start, window_end, value, previous_value, message, "
            "channel, notified_at, attempts, fired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, now()) "
            "ON CONFLICT (rule_id, window_start, window_end) DO NOTHING",
            rule.id,
            app.id,
            current_window.start,
            current_window.end,
            current,
            previous,
            message,
            rule.channel,
            utcnow() if rule.channel == "dashboard" else None,
        )
    return True, await notify(settings, app, rule, current_window)


async def notify(settings: Settings, app: App, rule: AlertRule, window: Window) -> bool:
    """Send the window's firing if it is still due; records the attempt and its outcome on the row."""
    async with raw_connection() as conn, conn.transaction():
        # Locked while sending: a concurrent evaluation skips the row rather than send it twice.
        row = await conn.fetchrow(
            "SELECT id, window_start, window_end, value, previous_value, message, fired_at FROM alert_history "
            "WHERE rule_id = $1 AND window_start = $2 AND window_end = $3 AND notified_at IS NULL AND attempts < $4 "
            "FOR UPDATE SKIP LOCKED",
            rule.id,
            window.start,
            window.end,
            MAX_ATTEMPTS,
        )
        if row is None:
            return False
        error = await deliver(settings, app, rule, dict(row))
        await conn.execute(
            "UPDATE alert_history SET attempts = attempts + 1, channel = $3, error = $2, "
            "notified_at = CASE WHEN $2::text IS NULL THEN now() END WHERE id = $1",
            row["id"],
            error,
            rule.channel,
        )
    if error is not None:
        log.warning("alert.notify_failed", rule_id=rule.id, app_id=app.id, channel=rule.channel, error=error)
    return error is None


async def deliver(settings: Settings, app: App, rule: AlertRule, fired: dict[str, Any]) -> str | None:
    """Notify the rule's channel of one firing; None on success, else what went wrong."""
    try:
        if rule.channel == "email":
            await _send_email(settings, app, rule, fired)
        elif rule.channel == "webhook":
            return await _send_webhook(settings, app, rule, fired)
        return None
    except (BadRequest, ServiceUnavailable) as exc:
        return (
            exc.message if not exc.details else f"{exc.message}: {'; '.join(map(str, exc.details.values()))}"
        )
    except Exception as exc:  # recorded on the row, so the app's other rules still go out
        log.exception("alert.deliver_crashed", rule_id=rule.id, channel=rule.channel)
        return f"Internal error ({type(exc).__name__})"


def _one_line(text: str) -> str:
    """Text fit for a mail header: whitespace runs (line breaks too) become one space."""
    return " ".join(text.split())


async def _org_admin_emails(org_id: int) -> list[str]:
    async with raw_connection() as conn:
        rows = await conn.fetch(
            "SELECT email FROM users WHERE org_id = $1 AND role IN ('owner', 'admin') ORDER BY id", org_id
        )
    return [r["email"] for r in rows]


async def _send_email(settings: Settings, app: App, rule: AlertRule, fired: dict[str, Any]) -> None:
    recipients = rule.channel_config.get("emails") or await _org_admin_emails(app.org_id)  # type: ignore[attr-defined]
    if not recipients:
        raise ServiceUnavailable("No recipients: the organisation has no owners or admins")
    message = EmailMessage()
    message["From"] = settings.SMTP_FROM
    message["To"] = ", ".join(recipients)
    message["Subject"] = _one_line(f"[Vaimanasoft] {rule.name} ({app.name})")
    link = f"\n\n{settings.PUBLIC_URL.rstrip('/')}" if settings.PUBLIC_URL else ""
    message.set_content(
        f'Alert "{rule.name}" fired for {app.name} ({app.package_name}).\n\n{fired["message"]}\n\n'
        f"Window: {fired['window_start'].isoformat()} to {fired['window_end'].isoformat()} (UTC, end exclusive)"
        f"{link}\n"
    )
    await outbound.send_email(settings, message)


def webhook_payload(app: App, rule: AlertRule, fired: dict[str, Any]) -> dict[str, Any]:
    """The body of an `alert.fired` delivery (API.md section 9's envelope)."""
    return {
        "id": f"alert_{fired['id']}",
        "event": "alert.fired",
        "app_id": app.id,
        "created_at": iso(fired["fired_at"]),
        "data": {
            "rule": {
                "id": rule.id,
                "name": rule.name,
                "metric": rule.metric,
                "condition": rule.condition,
                "threshold": rule.threshold,
                "compare_window": rule.compare_window,
            },
            "value": fired["value"],
            "previous_value": fired["previous_value"],
            "window_start": fired["window_start"].isoformat(),
            "window_end": fired["window_end"].isoformat(),
            "message": fired["message"],
        },
    }


async def _send_webhook(settings: Settings, app: App, rule: AlertRule, fired: dict[str, Any]) -> str | None:
    payload = webhook_payload(app, rule, fired)
    delivery = await outbound.post_signed(
        rule.channel_config["url"],
        orjson.dumps(payload),
        secret=rule.channel_config["secret"],
        message_id=payload["id"],
        event="alert.fired",
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    )
    return None if delivery.ok else f"Webhook answered {delivery.status_code}"
