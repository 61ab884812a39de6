"""Custom segments (API.md section 4): rules compiled to one SQL query, membership stored per device.

Fields and their meaning (UTC; "30 days" are the 30 UTC days ending today, as everywhere):
    days_since_install  whole days since the device was first seen
    days_inactive       whole days since it was last seen
    event_count_30d     events in the last 30 days
    session_count_30d   session_start events in the last 30 days
    ad_watches_30d      ad_watched events in the last 30 days
    purchase_count      purchases ever
    country, app_version, brand, install_type   text, compared case-insensitively;
                        a device without the value is "" (so `neq` includes it)
Number fields take eq, neq, gt, gte, lt, lte; text fields eq, neq, contains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from core.clock import iso
from core.db import raw_connection
from core.errors import BadRequest, Conflict, NotFound
from core.models import CustomSegment
from pipelines import apps, devicecache

MAX_PER_APP = 20
MAX_RULES = 20

WINDOW = "(now() AT TIME ZONE 'UTC')::date - 30"
NUMBER_FIELDS: dict[str, str] = {
    "days_since_install": "floor(extract(epoch FROM now() - d.first_seen_at) / 86400)",
    "days_inactive": "floor(extract(epoch FROM now() - d.last_seen_at) / 86400)",
    "event_count_30d": "coalesce(w.events, 0)",
    "session_count_30d": "coalesce(w.sessions, 0)",
    "ad_watches_30d": "coalesce(w.ad_watches, 0)",
    "purchase_count": "d.purchases",
}
TEXT_FIELDS: dict[str, str] = {
    "country": "d.country",
    "app_version": "d.app_version",
    "brand": "d.brand",
    "install_type": "d.install_type",
}
WINDOWED = frozenset({"event_count_30d", "session_count_30d", "ad_watches_30d"})
NUMBER_OPERATORS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
TEXT_OPERATORS = frozenset({"eq", "neq", "contains"})


def check_rules(rules: list[dict[str, Any]]) -> None:
    """400 naming the first bad rule: unknown field or operator, an operator of the other kind, or a
    value of the wrong type."""
    if not rules:
        raise BadRequest("Invalid segment", {"rules": "at least one rule"})
    if len(rules) > MAX_RULES:
        raise BadRequest("Invalid segment", {"rules": f"at most {MAX_RULES} rules"})
    for i, rule in enumerate(rules):
        where = f"rules[{i}]"
        field, operator, value = rule.get("field"), rule.get("operator"), rule.get("value")
        if field in NUMBER_FIELDS:
            if operator not in NUMBER_OPERATORS:
                raise BadRequest(
                    "Invalid segment",
                    {
                        where: f"{field} is a number: the operator must be one of "
                        f"{', '.join(NUMBER_OPERATORS)} (not {operator!r})"
                    },
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1e12:
                raise BadRequest("Invalid segment", {where: f"{field} takes a number value"})
        elif field in TEXT_FIELDS:
            if operator not in TEXT_OPERATORS:
                raise BadRequest(
                    "Invalid segment",
                    {
                        where: f"{field} is text: the operator must be one of "
                        f"eq, neq, contains (not {operator!r})"
                    },
                )
            if not isinstance(value, str) or not 0 < len(value) <= 255:
                raise BadRequest(
                    "Invalid segment", {where: f"{field} takes a text value of 1..255 characters"}
                )
        else:
            known = ", ".join([*NUMBER_FIELDS, *TEXT_FIELDS])
            raise BadRequest("Invalid segment", {where: f"unknown field {field!r} (known: {known})"})


@dataclass(frozen=True)
class CompiledRules:
    """The rules as one SQL condition over `devices d` (and the 30-day sums `w`), with its arguments
    numbered from $2 ($1 is the app)."""

    condition: str
    args: list[Any]
    windowed: bool

    def select_members(self) -> str:
        window = (
            f"""
    LEFT JOIN LATERAL (
        SELECT sum(x.events) AS events, sum(x.sessions) AS sessions, sum(x.ad_watches) AS ad_watches
        FROM device_days x WHERE x.device_id = d.id AND x.day > {WINDOW}
    ) w ON true"""
            if self.windowed
            else ""
        )
        return f"SELECT d.id FROM devices d{window}\n    WHERE d.app_id = $1 AND ({self.condition})"


def compile_rules(rules: list[dict[str, Any]], logic: str) -> CompiledRules:
    """One SQL condition joining the rules with AND or OR; values are bound, never interpolated."""
    check_rules(rules)
    parts: list[str] = []
    args: list[Any] = []
    for rule in rules:
        field, operator, value = rule["field"], rule["operator"], rule["value"]
        args.append(value)
        slot = f"${len(args) + 1}"
        if field in NUMBER_FIELDS:
            parts.append(f"{NUMBER_FIELDS[field]} {NUMBER_OPERATORS[operator]} {slot}::numeric")
        else:
            column = f"lower(coalesce({TEXT_FIELDS[field]}, ''))"
            if operator == "contains":
                parts.append(f"strpos({column}, lower({slot}::text)) > 0")
            else:
                parts.append(f"{column} {'=' if operator == 'eq' else '<>'} lower({slot}::text)")
    joiner = " AND " if logic == "AND" else " OR "
    return CompiledRules(
        joiner.join(f"({p})" for p in parts), args, any(r["field"] in WINDOWED for r in rules)
    )


# --- management ---------------------------------------------------------------------------------


def segment_body(segment: CustomSegment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "app_id": segment.app_id,  # type: ignore[attr-defined]
        "name": segment.name,
        "description": segment.description,
        "logic": segment.logic,
        "color": segment.color,
        "rules": segment.rules,
        "is_active": segment.is_active,
        "device_count": segment.device_count,
        "last_calculated_at": iso(segment.last_calculated_at) if segment.last_calculated_at else None,
        "created_at": iso(segment.created_at),
        "updated_at": iso(segment.updated_at),
    }


async def list_segments(org_id: int, app_id: int) -> list[CustomSegment]:
    app = await apps.get_app(org_id, app_id)
    return await CustomSegment.filter(app_id=app.id).order_by("id")


async def get_segment(org_id: int, segment_id: int, app_id: int | None = None) -> CustomSegment:
    return await apps.get_app_object(CustomSegment, org_id, segment_id, app_id, "Segment")


async def create_segment(org_id: int, app_id: int, values: dict[str, Any]) -> CustomSegment:
    """Create a segment (at most MAX_PER_APP per app: 400 beyond); members come with its first calculation."""
    app = await apps.get_app(org_id, app_id)
    values = {"logic": "AND", **values}
    compile_rules(values["rules"], values["logic"])
    return await apps.create_capped(CustomSegment, app, MAX_PER_APP, "custom segments", **values)


async def update_segment(
    org_id: int, segment_id: int, app_id: int | None, changes: dict[str, Any]
) -> tuple[CustomSegment, dict[str, Any]]:
    segment = await get_segment(org_id, segment_id, app_id)
    diff = apps.changed_fields(segment, changes)
    if not diff:
        return segment, {}
    compile_rules(diff.get("rules", segment.rules), diff.get("logic", segment.logic))
    return segment, await apps.save_changes(segment, diff)


async def delete_segment(redis: Redis, org_id: int, segment_id: int, app_id: int | None) -> CustomSegment:
    """Delete a segment and its membership; a segment that flags target cannot go (409)."""
    segment = await get_segment(org_id, segment_id, app_id)
    async with raw_connection() as conn, conn.transaction():
        # The app row's lock, as a flag's change of its targeted segments takes it (pipelines.flags).
        await conn.execute("SELECT id FROM apps WHERE id = $1 FOR UPDATE", segment.app_id)  # type: ignore[attr-defined]
        flags = await conn.fetch(
            "SELECT flag_key FROM feature_flags WHERE app_id = $1 AND custom_segment_ids @> $2::jsonb ORDER BY id",
            segment.app_id,
            f"[{segment.id}]",
        )  # type: ignore[attr-defined]
        if flags:
            raise Conflict(f"Segment is targeted by flags: {', '.join(r['flag_key'] for r in flags)}")
        members = await conn.fetch(
            "DELETE FROM custom_segment_members m USING devices d WHERE m.segment_id = $1 AND d.id = m.device_id "
            "RETURNING d.app_id, d.android_id",
            segment.id,
        )
        await conn.execute("DELETE FROM custom_segments WHERE id = $1", segment.id)
    await devicecache.drop(redis, [(r["app_id"], r["android_id"]) for r in members])
    return segment


# --- calculation --------------------------------------------------------------------------------


async def recalculate(redis: Redis | None, segment_id: int) -> dict[str, Any]:
    """Store the segment's members as its rules select them now; returns {device_count, segment_id}.
    Devices that joined or left drop out of the flag-targeting cache."""
    async with raw_connection() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT app_id, logic, rules::text AS rules FROM custom_segments WHERE id = $1 FOR UPDATE",
            segment_id,
        )
        if row is None:
            raise NotFound("Segment not found")
        compiled = compile_rules(orjson.loads(row["rules"]), row["logic"])
        n = len(compiled.args) + 2  # the segment id's slot
        changed = await conn.fetch(
            f"""
WITH fresh AS (
    {compiled.select_members()}
), gone AS (
    DELETE FROM custom_segment_members m WHERE m.segment_id = ${n}
        AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.id = m.device_id)
    RETURNING m.device_id
), joined AS (
    INSERT INTO custom_segment_members (segment_id, device_id)
    SELECT ${n}, f.id FROM fresh f ORDER BY f.id
    ON CONFLICT (segment_id, device_id) DO NOTHING
    RETURNING device_id
), counted AS (
    UPDATE custom_segments SET device_count = (SELECT count(*) FROM fresh), last_calculated_at = now()
    WHERE id = ${n}
)
SELECT d.app_id, d.android_id FROM devices d
WHERE d.id IN (SELECT device_id FROM gone UNION ALL SELECT device_id FROM joined)
""",
            row["app_id"],
            *compiled.args,
            segment_id,
        )
        count = await conn.fetchval("SELECT device_count FROM custom_segments WHERE id = $1", segment_id)
    if redis is not None and changed:
        await devicecache.drop(redis, [(r["app_id"], r["android_id"]) for r in changed])
    return {"device_count": count, "segment_id": segment_id}


async def active_segment_ids() -> list[int]:
    return list(await CustomSegment.filter(is_active=True).order_by("id").values_list("id", flat=True))


async def recalculate_all(redis: Redis | None) -> dict[str, int]:
    """The nightly pass: every active segment, one transaction each."""
    done = 0
    for segment_id in await active_segment_ids():
        try:
            await recalculate(redis, segment_id)
        except NotFound:  # deleted meanwhile
            continue
        done += 1
    return {"segments": done}
