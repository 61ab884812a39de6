"""Each user's dashboard theme."""

from __future__ import annotations

from typing import Any

from core.models import User

DEFAULT_THEME = {"primary_color": "#4F46E5", "mode": "system", "sidebar_style": "expanded"}


async def get_theme(user_id: int) -> dict[str, Any]:
    """The user's theme, defaults filled in."""
    user = await User.get(id=user_id)
    return {**DEFAULT_THEME, **(user.theme or {})}


async def update_theme(user_id: int, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the changes; returns the new theme and {field: {"before", "after"}} of what changed."""
    user = await User.get(id=user_id)
    before = {**DEFAULT_THEME, **(user.theme or {})}
    after = {**before, **changes}
    user.theme = {k: after[k] for k in DEFAULT_THEME}
    await user.save(update_fields=["theme"])
    diff = {k: {"before": before[k], "after": after[k]} for k in DEFAULT_THEME if before[k] != after[k]}
    return after, diff
