"""Ad strategy per app and profile segment: shipped defaults, overrides, config versions."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from core.errors import BadRequest
from core.models import AdStrategy

# Built-in segment (device rows) -> profile segment (SDK).
PROFILE_SEGMENTS = {
    "churned": "CHURNED_USER",
    "dormant": "DORMANT_USER",
    "power_user": "POWER_USER",
    "new": "NEW_USER",
    "active": "ACTIVE_USER",
    "casual": "CASUAL_USER",
}

# The keys every strategy has, with their type; extra keys may be bool, number or string.
FIELDS: dict[str, type] = {
    "ads_enabled": bool,
    "interstitial_enabled": bool,
    "ad_cooldown_sec": int,
    "interstitial_cap": int,
    "interstitial_daily_cap": int,
    "rewarded_cap": int,
    "app_open_cooldown_sec": int,
    "app_open_daily_cap": int,
    "pre_show_delay_ms": int,
    "banner_enabled": bool,
    "native_enabled": bool,
}


def _strategy(
    ads: bool,
    interstitial: bool,
    cooldown: int,
    cap: int,
    daily: int,
    rewarded: int,
    open_cooldown: int,
    open_daily: int,
    delay: int,
    banner: bool,
    native: bool,
) -> dict[str, Any]:
    return dict(
        zip(
            FIELDS,
            (
                ads,
                interstitial,
                cooldown,
                cap,
                daily,
                rewarded,
                open_cooldown,
                open_daily,
                delay,
                banner,
                native,
            ),
        )
    )


# Shipped defaults: new users see no interstitials in their first sessions; power users fewer
# interruptions (they are engaged or pay); dormant users only gentle formats; churned users none.
DEFAULTS: dict[str, dict[str, Any]] = {
    "NEW_USER": _strategy(True, False, 120, 0, 0, 10, 3600, 1, 2000, True, True),
    "ACTIVE_USER": _strategy(True, True, 90, 3, 8, 15, 2400, 3, 1500, True, True),
    "POWER_USER": _strategy(True, True, 180, 2, 5, 25, 3600, 2, 1000, True, True),
    "CASUAL_USER": _strategy(True, True, 90, 3, 6, 15, 2400, 2, 1500, True, True),
    "DORMANT_USER": _strategy(True, False, 300, 0, 0, 10, 7200, 1, 2000, True, False),
    "CHURNED_USER": _strategy(False, False, 0, 0, 0, 0, 0, 0, 0, False, False),
}
MAX_EXTRA_KEYS = 50
MAX_SETTING = 2**31 - 1  # the SDK reads the known integer settings as Java ints
MAX_EXTRA_INT = 2**63 - 1  # extra integers must fit the JSON encoder and the SDK's long


def validate(strategy: dict[str, Any]) -> dict[str, Any]:
    """Type-check a strategy; known keys have fixed types, extra keys are bool, number or string."""
    details: dict[str, str] = {}
    for key, value in strategy.items():
        expected = FIELDS.get(key)
        if key == "config_version":
            details[key] = "is managed by the server"
        elif expected is bool and not isinstance(value, bool):
            details[key] = "must be a boolean"
        elif expected is int and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SETTING
        ):
            details[key] = f"must be an integer from 0 to {MAX_SETTING}"
        elif expected is None and (
            not isinstance(value, (bool, int, float, str))
            or (isinstance(value, str) and len(value) > 255)
            or (isinstance(value, int) and not -MAX_EXTRA_INT <= value <= MAX_EXTRA_INT)
            or not 0 < len(key) <= 64
        ):
            details[key] = (
                "extra keys must be a boolean, a number (integers within 64 bits) or a string "
                "of at most 255 characters"
            )
    if len([k for k in strategy if k not in FIELDS]) > MAX_EXTRA_KEYS:
        details["strategy"] = f"at most {MAX_EXTRA_KEYS} extra keys"
    if details:
        raise BadRequest("Invalid ad strategy", details)
    return strategy


def resolve(segment: str, override: AdStrategy | None) -> dict[str, Any]:
    """The effective strategy of a profile segment: defaults, overrides, config_version."""
    merged = {**DEFAULTS[segment], **(override.strategy if override else {})}
    merged["config_version"] = override.config_version if override else 1
    return merged


async def strategies(app_id: int) -> dict[str, dict[str, Any]]:
    """Every profile segment's effective strategy for the app."""
    overrides = {o.segment: o for o in await AdStrategy.filter(app_id=app_id)}
    return {segment: resolve(segment, overrides.get(segment)) for segment in DEFAULTS}


async def for_segment(app_id: int, segment: str) -> dict[str, Any]:
    return resolve(segment, await AdStrategy.get_or_none(app_id=app_id, segment=segment))


async def update(
    app_id: int, segment: str, strategy: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge `strategy` into the segment's overrides and, if anything changed, bump its config_version.
    Returns the effective strategy and {key: {"before", "after"}}."""
    validate(strategy)
    async with in_transaction() as conn:
        # The row exists before it is locked (an empty override is the defaults, version 1), so
        # concurrent first changes of a segment queue on its lock instead of both inserting it.
        await conn.execute_query(
            "INSERT INTO ad_strategies (app_id, segment, strategy, config_version, updated_at) "
            "VALUES ($1, $2, '{}'::jsonb, 1, now()) ON CONFLICT (app_id, segment) DO NOTHING",
            [app_id, segment],
        )
        override = await AdStrategy.select_for_update().get(app_id=app_id, segment=segment)
        before = resolve(segment, override)
        changed = {
            k: v for k, v in strategy.items() if before.get(k) != v or type(before.get(k)) is not type(v)
        }
        if not changed:  # nothing changes: the version stays, SDKs need not refetch
            return before, {}
        override.strategy = {**override.strategy, **changed}
        override.config_version += 1
        await override.save(update_fields=["strategy", "config_version", "updated_at"])
    after = resolve(segment, override)
    return after, {k: {"before": before.get(k), "after": v} for k, v in after.items() if before.get(k) != v}
