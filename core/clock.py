"""Time helpers: UTC now, and ISO-8601 with a Z as API.md writes timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def utcnow() -> datetime:
    return datetime.now(UTC)


def midnight(day: date) -> datetime:
    """The start of a UTC day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """`2026-03-20T14:30:00Z`, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
