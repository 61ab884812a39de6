"""Feature flags: deterministic evaluation (API.md section 6) and their management.

Evaluation is a pure function of a compiled flag, the device's android_id and the device's
targeting attributes, identical in every SDK:

    bucket  = crc32(utf8(flag_key + ":" + android_id)) % 100
    enabled = is_enabled and targeting matches and bucket < rollout_pct
    pick    = crc32(utf8(flag_key + ":" + android_id + ":variant")) % sum(weights)
    variant = first variant (declared order) whose cumulative weight > pick

A device's bucket does not depend on rollout_pct, so raising the rollout only adds devices.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from tortoise import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.clock import iso
from core.errors import BadRequest, Conflict
from core.models import CustomSegment, FeatureFlag
from pipelines import apps

BUILTIN_SEGMENTS = ("churned", "dormant", "power_user", "new", "active", "casual")
DUPLICATE_KEY = "A flag with this flag_key already exists in this app"


# --- evaluation ---------------------------------------------------------------------------------


def cumulative_weights(variants: list[dict[str, Any]]) -> tuple[int, ...]:
    """Running totals of the variants' weights, in declared order (the last is their sum)."""
    total, edges = 0, []
    for variant in variants:
        total += int(variant["weight"])
        edges.append(total)
    return tuple(edges)


def pick_index(cumulative: tuple[int, ...], pick: int) -> int:
    """The first variant (declared order) whose cumulative weight exceeds `pick`."""
    for i, edge in enumerate(cumulative):
        if edge > pick:
            return i
    raise AssertionError("unreachable: the last cumulative weight exceeds every pick")


def bucket(flag_key: str, android_id: str) -> int:
    """The device's rollout bucket 0..99 for a flag."""
    return zlib.crc32(f"{flag_key}:{android_id}".encode()) % 100


def variant_pick(flag_key: str, android_id: str, total_weight: int) -> int:
    """The device's variant pick 0..total_weight-1 for a multivariate flag."""
    return zlib.crc32(f"{flag_key}:{android_id}:variant".encode()) % total_weight


VERSION_PART = re.compile(r"(\d+)|([A-Za-z]+)")


def version_key(version: str) -> tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]:
    """A sort key for app versions: numeric dotted release first ("1.10" > "1.9", "1.2" == "1.2.0"),
    then a release sorts after its pre-releases ("1.2.0" > "1.2.0-beta.2" > "1.2.0-beta.1")."""
    text = version.strip().lstrip("vV")
    cut = len(text)
    for sep in "-+ ":
        at = text.find(sep)
        if at != -1:
            cut = min(cut, at)
    release, suffix = text[:cut], text[cut:]
    numbers: list[int] = []
    for part in release.split("."):
        digits = re.match(r"\d+", part)
        numbers.append(int(digits.group()) if digits else 0)
        if digits and digits.end() < len(part):  # "3rc1": the rest is a pre-release marker
            suffix = part[digits.end() :] + suffix
            break
    while numbers and numbers[-1] == 0:
        numbers.pop()
    build = suffix.split("+", 1)[0].lstrip("-+ .")
    if not build:
        return tuple(numbers), 1, ()
    pre = tuple((0, int(n)) if n else (1, word.lower()) for n, word in VERSION_PART.findall(build))
    return tuple(numbers), 0, pre


def is_version(text: str) -> bool:
    return bool(re.match(r"^[vV]?\d+(\.\d+)*([-+ .]?[0-9A-Za-z.+-]*)?$", text.strip()))


@dataclass(frozen=True)
class DeviceAttrs:
    """What targeting reads about a device (an unknown device is a new one with nothing known)."""

    segment: str = "new"
    country: str | None = None
    app_version: str | None = None
    custom_segments: frozenset[int] = frozenset()


NEW_DEVICE = DeviceAttrs()


@dataclass(frozen=True)
class CompiledFlag:
    """A flag ready for evaluation: CRC prefixes, cumulative weights and targeting sets precomputed."""

    key: str
    multivariate: bool
    is_enabled: bool
    rollout_pct: int
    crc_prefix: int  # crc32 of "flag_key:"
    variant_keys: tuple[str, ...]
    variant_values: tuple[Any, ...]
    cumulative: tuple[int, ...]
    segments: frozenset[str] | None
    custom_segment_ids: frozenset[int] | None
    countries: frozenset[str] | None
    min_version: tuple[Any, ...] | None

    def matches(self, device: DeviceAttrs) -> bool:
        if self.segments is not None and device.segment not in self.segments:
            return False
        if self.countries is not None and device.country not in self.countries:
            return False
        if self.custom_segment_ids is not None and not (self.custom_segment_ids & device.custom_segments):
            return False
        return self.min_version is None or (
            bool(device.app_version) and version_key(device.app_version) >= self.min_version
        )  # type: ignore[arg-type]

    def evaluate(self, android_id: str, device: DeviceAttrs) -> dict[str, Any]:
        """The SDK's view of this flag for one device."""
        kind = "multivariate" if self.multivariate else "boolean"
        if not self.is_enabled or self.rollout_pct <= 0 or not self.matches(device):
            return {"enabled": False, "type": kind}
        crc = zlib.crc32(android_id.encode(), self.crc_prefix)
        if crc % 100 >= self.rollout_pct:
            return {"enabled": False, "type": kind}
        if not self.multivariate:
            return {"enabled": True, "type": kind}
        i = pick_index(self.cumulative, zlib.crc32(b":variant", crc) % self.cumulative[-1])
        return {
            "enabled": True,
            "type": kind,
            "variant": self.variant_keys[i],
            "value": self.variant_values[i],
        }


def compile_flag(flag: FeatureFlag) -> CompiledFlag:
    variants = flag.variants if flag.flag_type == "multivariate" else []
    return CompiledFlag(
        key=flag.flag_key,
        multivariate=flag.flag_type == "multivariate",
        is_enabled=flag.is_enabled,
        rollout_pct=flag.rollout_pct,
        crc_prefix=zlib.crc32(f"{flag.flag_key}:".encode()),
        variant_keys=tuple(v["key"] for v in variants),
        variant_values=tuple(v.get("value") for v in variants),
        cumulative=cumulative_weights(variants),
        segments=frozenset(flag.segments) if flag.segments else None,
        custom_segment_ids=frozenset(flag.custom_segment_ids) if flag.custom_segment_ids else None,
        countries=frozenset(flag.countries) if flag.countries else None,
        min_version=version_key(flag.min_app_version) if flag.min_app_version else None,
    )


def evaluate_all(flags: list[CompiledFlag], android_id: str, device: DeviceAttrs) -> dict[str, Any]:
    """The body of GET /sdk/flags."""
    return {"flags": {flag.key: flag.evaluate(android_id, device) for flag in flags}}


async def compiled_flags(app_id: int) -> list[CompiledFlag]:
    """Every flag of the app, compiled (what the API's flag cache holds)."""
    return [compile_flag(f) for f in await FeatureFlag.filter(app_id=app_id).order_by("id")]


# --- management ---------------------------------------------------------------------------------

FIELDS = (
    "flag_key",
    "name",
    "description",
    "flag_type",
    "is_enabled",
    "rollout_pct",
    "variants",
    "segments",
    "custom_segment_ids",
    "countries",
    "min_app_version",
)


def flag_body(flag: FeatureFlag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "app_id": flag.app_id,  # type: ignore[attr-defined]
        **{name: getattr(flag, name) for name in FIELDS},
        "created_at": iso(flag.created_at),
        "updated_at": iso(flag.updated_at),
    }


def _check(values: dict[str, Any]) -> None:
    """Rules that span fields (each field's own format is checked by the route's schema)."""
    variants = values.get("variants") or []
    if values["flag_type"] == "multivariate":
        if len(variants) < 2:
            raise BadRequest("Invalid flag", {"variants": "a multivariate flag needs at least 2 variants"})
    elif variants:
        raise BadRequest("Invalid flag", {"variants": "only multivariate flags have variants"})
    keys = [v["key"] for v in variants]
    if len(set(keys)) != len(keys):
        raise BadRequest("Invalid flag", {"variants": "variant keys must be unique"})
    if values.get("min_app_version") and not is_version(values["min_app_version"]):
        raise BadRequest("Invalid flag", {"min_app_version": "not a version such as 2.4.1"})


async def _check_segments(conn: BaseDBAsyncClient, app_id: int, values: dict[str, Any]) -> None:
    """Targeted custom segments must be the app's. Inside the flag's transaction, under the app row's
    lock, which deleting a segment takes too: a segment cannot go between this check and the save."""
    ids = values.get("custom_segment_ids") or []
    if not ids:
        return
    await conn.execute_query("SELECT id FROM apps WHERE id = $1 FOR UPDATE", [app_id])
    known = set(
        await CustomSegment.filter(app_id=app_id, id__in=ids).using_db(conn).values_list("id", flat=True)
    )
    unknown = sorted(set(ids) - known)
    if unknown:
        raise BadRequest("Invalid flag", {"custom_segment_ids": f"no custom segments {unknown} in this app"})


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("custom_segment_ids") is not None:
        values["custom_segment_ids"] = sorted(set(values["custom_segment_ids"]))
    if values.get("countries") is not None:
        values["countries"] = sorted({c.upper() for c in values["countries"]})
    if values.get("segments") is not None:
        values["segments"] = [s for s in BUILTIN_SEGMENTS if s in set(values["segments"])]
    return values


async def list_flags(org_id: int, app_id: int) -> list[FeatureFlag]:
    app = await apps.get_app(org_id, app_id)
    return await FeatureFlag.filter(app_id=app.id).order_by("id")


async def get_flag(org_id: int, flag_id: int, app_id: int | None = None) -> FeatureFlag:
    """A flag of the org (and of `app_id` when given); NotFound otherwise."""
    return await apps.get_app_object(FeatureFlag, org_id, flag_id, app_id, "Flag")


async def create_flag(org_id: int, app_id: int, values: dict[str, Any]) -> FeatureFlag:
    app = await apps.get_app(org_id, app_id)
    values = _normalise(
        {
            "name": values.get("name") or values["flag_key"],
            **{k: v for k, v in values.items() if v is not None and k != "name"},
        }
    )
    values.setdefault("flag_type", "boolean")
    _check(values)
    try:
        async with in_transaction() as conn:
            await _check_segments(conn, app.id, values)
            return await FeatureFlag.create(app_id=app.id, **values)
    except IntegrityError:
        raise Conflict(DUPLICATE_KEY) from None


async def update_flag(
    org_id: int, flag_id: int, app_id: int | None, changes: dict[str, Any]
) -> tuple[FeatureFlag, dict[str, Any]]:
    """Apply the given fields; returns the flag and {"before": {...}, "after": {...}} of what changed."""
    flag = await get_flag(org_id, flag_id, app_id)
    changes = _normalise(dict(changes))
    diff = apps.changed_fields(flag, changes)
    if not diff:
        return flag, {}
    merged = {name: getattr(flag, name) for name in FIELDS} | diff
    if merged["flag_type"] == "boolean" and "variants" not in diff and "flag_type" in diff:
        merged["variants"] = diff["variants"] = []  # turning a multivariate flag boolean drops its variants
    _check(merged)
    before = {k: getattr(flag, k) for k in diff}
    flag.update_from_dict(diff)
    try:
        async with in_transaction() as conn:
            if "custom_segment_ids" in diff:
                await _check_segments(conn, flag.app_id, diff)  # type: ignore[attr-defined]
            await flag.save()
    except IntegrityError:
        raise Conflict(DUPLICATE_KEY) from None
    return flag, {"before": before, "after": diff}


async def delete_flag(org_id: int, flag_id: int, app_id: int | None) -> FeatureFlag:
    flag = await get_flag(org_id, flag_id, app_id)
    await flag.delete()
    return flag
