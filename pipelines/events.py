"""SDK event batches: validation (msgspec, no ORM) and normalisation into an ingest message."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson

from core.errors import BadRequest

MAX_EVENTS = 50
MAX_EVENT_DATA = 8 * 1024
FUTURE_TOLERANCE = timedelta(hours=24)
CLAMPED_KEY = "_clamped_from"  # added to event_data when a future created_at was clamped

# Lengths are checked while decoding; character sets once per batch over the joined values
# (one regex run instead of one per event).
AndroidId = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
EventType = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
CHARSETS = {
    "android_id": (re.compile(r"[A-Za-z0-9._:-]+"), "letters, digits and . _ : - only"),
    "event_type": (re.compile(r"[a-z0-9_.:-]+"), "lower-case letters, digits and _ . : - only"),
}
_JOINED = {name: re.compile(rf"(?:{rx.pattern}\n)+") for name, (rx, _) in CHARSETS.items()}
UuidText = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
    ),
]  # PostgreSQL's uuid input takes any case, with or without hyphens


class EventIn(msgspec.Struct, forbid_unknown_fields=False):
    android_id: AndroidId
    event_type: EventType
    event_data: msgspec.Raw = msgspec.Raw(b"{}")
    created_at: datetime | None = None  # ISO-8601 or "YYYY-MM-DD HH:MM:SS"; naive is UTC
    event_id: UuidText | None = None


class BatchIn(msgspec.Struct, forbid_unknown_fields=False):
    events: Annotated[list[EventIn], msgspec.Meta(min_length=1, max_length=MAX_EVENTS)]
    sent_at: datetime | None = None


_decoder = msgspec.json.Decoder(BatchIn)
_BIG_EXPONENT = re.compile(r"[0-9.][eE][+-]?[0-9]{3}")  # a number written with an exponent of 3+ digits
_BIG_EXPONENT_BYTES = re.compile(_BIG_EXPONENT.pattern.encode())
_PATH = re.compile(r"\$\.?(.*)$")


# One validated event, ready to store (lists, not objects: this runs 30,000 times a second):
# [android_id, event_type, event_data (JSON text of an object), created_at (unix ms), event_id (UUID)]
Event = list[Any]
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _where(message: str) -> tuple[str, str]:
    """msgspec's "... - at `$.events[3].event_type`" as ("events.3.event_type", "...")."""
    text, dotted = message, ""
    if " - at `" in message:
        text, _, at = message.rpartition(" - at `")
        path = _PATH.match(at.rstrip("`"))
        dotted = re.sub(r"\[(\d+)\]", r".\1", path.group(1) if path else "").lstrip(".")
    missing = _MISSING.search(text)
    if missing:
        dotted = f"{dotted}.{missing.group(1)}" if dotted else missing.group(1)
    return dotted or "body", text.replace("`str` matching regex", "a string matching")


def _id_factory() -> Any:
    """Server-side event ids, time-ordered like UUIDv7 (48-bit unix ms, then randomness) so the
    unique (app_id, event_id) index grows at its end; the batch shares 64 random bits, the
    event's index completes it (uuid4 per event is slow)."""
    ms = f"{time.time_ns() // 1_000_000:012x}"
    r = os.urandom(8).hex()
    prefix = f"{ms[:8]}-{ms[8:12]}-7{r[:3]}-{r[3:7]}-{r[7:15]}"
    return lambda i: prefix + _SUFFIX[i]


_SUFFIX = [f"{i:04x}" for i in range(MAX_EVENTS)]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _invalid(field: str, message: str) -> BadRequest:
    return BadRequest(f"Invalid event batch: {field}: {message}", {field: message})


def _event_data(
    value: msgspec.Raw, index: int, clamped_from: str | None, check_nul: bool, check_exponents: bool
) -> str:
    field = f"events.{index}.event_data"
    if len(value) > MAX_EVENT_DATA:
        raise _invalid(field, f"must be at most {MAX_EVENT_DATA} bytes of JSON")
    try:
        text = str(value, "utf-8")  # msgspec skips over a Raw value without checking its encoding
    except UnicodeDecodeError:
        raise _invalid(field, "must be UTF-8 encoded JSON") from None
    if not text.startswith("{"):
        raise _invalid(field, "must be a JSON object")
    if check_nul and "\\u0000" in text:  # PostgreSQL cannot store NUL in jsonb
        raise _invalid(field, "must not contain NUL characters")
    if check_exponents and _BIG_EXPONENT.search(text):
        # PostgreSQL's numeric cannot hold e.g. 1e200000 or 1e-20000 (the whole flush would fail):
        # such numbers are taken as doubles, past a double's range refused.
        try:
            text = msgspec.json.encode(msgspec.json.decode(value)).decode()
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise _invalid(field, "numbers must be within the range of a double") from None
    if clamped_from is None:
        return text
    data = orjson.loads(text)
    data[CLAMPED_KEY] = clamped_from
    return orjson.dumps(data).decode()


def _check_charsets(events: list[EventIn]) -> None:
    for name, (rx, message) in CHARSETS.items():
        values = [getattr(e, name) for e in events]
        joined = "\n".join(values)
        # A value holding a newline would pass the joined match as two values.
        if joined.count("\n") == len(values) - 1 and _JOINED[name].fullmatch(joined + "\n"):
            continue
        for i, value in enumerate(values):
            if not rx.fullmatch(value):
                raise _invalid(f"events.{i}.{name}", message)


def parse_batch(body: bytes, received: datetime) -> list[Event]:
    """Validate a POST /events/batch body; any invalid event rejects the whole batch (BadRequest
    naming the index and field). Times are corrected for the device's clock skew (received - sent_at)
    and clamped to `received` when more than 24 h in the future."""
    try:
        batch = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        field, message = _where(str(exc))
        raise _invalid(field, message) from None
    except (msgspec.DecodeError, RecursionError):  # RecursionError: nested too deeply
        raise BadRequest("Invalid JSON body") from None
    _check_charsets(batch.events)
    check_nul = b"\\u0000" in body
    check_exponents = _BIG_EXPONENT_BYTES.search(body) is not None
    skew = received - _utc(batch.sent_at) if batch.sent_at is not None else None
    received_ms = int(received.timestamp() * 1000)
    limit = received + FUTURE_TOLERANCE
    new_id = _id_factory()
    events = []
    for i, item in enumerate(batch.events):
        created_ms, clamped_from = received_ms, None
        if item.created_at is not None:
            try:
                created = _utc(item.created_at)
                if skew is not None:
                    created += skew
                if created.year == 1:  # with a positive UTC offset it may be in year 0 (unstorable)
                    created = created.astimezone(UTC)
            except OverflowError:  # past year 9999 (then clamped below), or before year 1 in UTC
                if skew is None or skew <= timedelta(0) or item.created_at.year == 1:
                    raise _invalid(f"events.{i}.created_at", "out of range (before year 1 in UTC)") from None
                created = datetime.max.replace(tzinfo=UTC)
            if created > limit:
                clamped_from = item.created_at.isoformat()
            else:
                created_ms = int(created.timestamp() * 1000)
        # Server-made ids are fixed here, so a redelivered message is still stored once.
        event_id = item.event_id if item.event_id is not None else new_id(i)
        data = _event_data(item.event_data, i, clamped_from, check_nul, check_exponents)
        events.append([item.android_id, item.event_type, data, created_ms, event_id])
    return events


def batch_message(app_id: int, org_id: int, received: datetime, events: list[Event]) -> dict[str, Any]:
    """The ingest actor's argument (JSON primitives only)."""
    return {
        "app_id": app_id,
        "org_id": org_id,
        "received_ms": int(received.timestamp() * 1000),
        "events": events,
    }
