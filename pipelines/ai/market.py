"""Cross-analysis (Play Store metrics against internal ones, with lag) and ASO suggestions.

The Play Store area (tracked apps and their snapshots) is built by another issue. This module reads it
through three functions only — `snapshots_for`, `competitors_of`, `reviews_for` — which answer nothing
until that area is wired in; the responses then say `"playstore": PLAYSTORE_MISSING` and work from what
exists (the app's own daily series and listing name). The computations (`lagged_correlations`,
`aso_suggestions`) already take snapshots as plain dicts, so wiring the three functions is all it needs.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.db import raw_connection
from core.errors import BadRequest, NotFound
from core.models import App
from core.settings import Settings
from pipelines import apps, dashboard
from pipelines.ai import client, prompts

PLAYSTORE_MISSING = "not available: no Play Store snapshots"
TITLE_LIMIT, SHORT_DESCRIPTION_LIMIT, DESCRIPTION_LIMIT = 30, 80, 4000
MAX_LAG = 7
SERIES_DAYS = 90
STOPWORDS = frozenset(
    "a an and app apps are as at be best by for free from game games get in is it its new of on or the "
    "to with you your more all this that play".split()
)


# --- the Play Store boundary (wired by the integrator to the Play Store area's tables) ------------------


async def snapshots_for(org_id: int, package_name: str) -> list[dict[str, Any]]:
    """The Play Store snapshots of a package the org tracks, oldest first; each a dict with at least
    `at` (datetime), `title`, `description`, `short_description`, `rating`, `ratings_count`, `installs`,
    `reviews` ([{text, rating}]). None until the Play Store area is wired in."""
    return []


async def competitors_of(org_id: int, app_id: int) -> list[str]:
    """Packages the org tracks as competitors of the app. None until the Play Store area is wired in."""
    return []


async def reviews_for(org_id: int, package_name: str) -> list[dict[str, Any]]:
    """Recent reviews of a tracked package (from its latest snapshot): [{text, rating}]."""
    snapshots = await snapshots_for(org_id, package_name)
    return list(snapshots[-1].get("reviews") or []) if snapshots else []


# --- computations ------------------------------------------------------------------------------------------


def pearson(x: list[float], y: list[float]) -> float | None:
    """Pearson's r, or None when either side is constant or there are under 3 points."""
    if len(x) < 3:
        return None
    try:
        return statistics.correlation(x, y)
    except statistics.StatisticsError:
        return None


def lagged_correlations(
    leading: dict[date, float], following: dict[date, float], max_lag: int = MAX_LAG, min_points: int = 7
) -> list[dict[str, Any]]:
    """r of `leading` on day d against `following` on day d + lag, for lag 0..max_lag (shared days only)."""
    out = []
    for lag in range(max_lag + 1):
        days = sorted(d for d in leading if d + timedelta(days=lag) in following)
        if len(days) < min_points:
            continue
        r = pearson([leading[d] for d in days], [following[d + timedelta(days=lag)] for d in days])
        if r is not None:
            out.append({"lag_days": lag, "r": round(r, 3), "points": len(days)})
    return out


def store_series(snapshots: list[dict[str, Any]]) -> dict[str, dict[date, float]]:
    """Daily Play Store metrics from snapshots: rating, new ratings and new installs per day."""
    by_day: dict[date, dict[str, Any]] = {}
    for snap in snapshots:
        at = snap["at"]
        by_day[at.date() if isinstance(at, datetime) else at] = snap  # the day's last snapshot
    series: dict[str, dict[date, float]] = {"rating": {}, "new_ratings": {}, "new_installs": {}}
    previous: dict[str, Any] | None = None
    for day in sorted(by_day):
        snap = by_day[day]
        if snap.get("rating") is not None:
            series["rating"][day] = float(snap["rating"])
        if previous is not None:
            for key, name in (("ratings_count", "new_ratings"), ("installs", "new_installs")):
                if snap.get(key) is not None and previous.get(key) is not None:
                    series[name][day] = float(snap[key]) - float(previous[key])
        previous = snap
    return series


def strongest(correlations: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(correlations, key=lambda c: abs(c["r"]), default=None)


def _words(text: str | None) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z0-9'-]{2,}", (text or "").lower()) if w not in STOPWORDS]


def aso_suggestions(
    app_name: str, own: dict[str, Any] | None, rivals: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """Suggestions from the own listing against competitors' (title, descriptions, keywords, ratings)."""
    tips: list[dict[str, str]] = []
    title = (own or {}).get("title") or app_name
    room = TITLE_LIMIT - len(title)
    if room > 5:
        tips.append(
            {
                "area": "title",
                "text": f"The title uses {len(title)} of {TITLE_LIMIT} characters: add a keyword users search for.",
            }
        )
    elif room < 0:
        tips.append(
            {
                "area": "title",
                "text": f"The title is {len(title)} characters; the Play Store shows {TITLE_LIMIT}.",
            }
        )
    if own is None:
        return tips
    short = own.get("short_description") or ""
    if len(short) < SHORT_DESCRIPTION_LIMIT - 20:
        tips.append(
            {
                "area": "short_description",
                "text": f"The short description uses {len(short)} of {SHORT_DESCRIPTION_LIMIT} characters.",
            }
        )
    description = own.get("description") or ""
    rival_lengths = [len(r.get("description") or "") for r in rivals if r.get("description")]
    if rival_lengths and len(description) < 0.6 * statistics.median(rival_lengths):
        tips.append(
            {
                "area": "description",
                "text": f"The description has {len(description)} characters against a competitor median of {statistics.median(rival_lengths):.0f} (limit {DESCRIPTION_LIMIT}).",
            }
        )
    own_words = set(_words(title) + _words(short) + _words(description))
    counts = Counter(
        w
        for r in rivals
        for w in set(
            _words(r.get("title")) + _words(r.get("short_description")) + _words(r.get("description"))
        )
    )
    missing = [w for w, n in counts.most_common() if n >= 2 and w not in own_words][:8]
    if missing:
        tips.append(
            {
                "area": "keywords",
                "text": "Keywords several competitors use and this listing does not: "
                + ", ".join(missing)
                + ".",
            }
        )
    ratings = [float(r["rating"]) for r in rivals if r.get("rating") is not None]
    if ratings and own.get("rating") is not None and float(own["rating"]) < statistics.mean(ratings) - 0.1:
        tips.append(
            {
                "area": "rating",
                "text": f"Rating {float(own['rating']):.2f} against a competitor mean of {statistics.mean(ratings):.2f}: answer recent negative reviews and prompt satisfied users to rate.",
            }
        )
    counts_r = [float(r["ratings_count"]) for r in rivals if r.get("ratings_count") is not None]
    if (
        counts_r
        and own.get("ratings_count") is not None
        and float(own["ratings_count"]) < statistics.median(counts_r) / 2
    ):
        tips.append(
            {
                "area": "ratings_count",
                "text": f"{int(own['ratings_count']):,} ratings against a competitor median of {statistics.median(counts_r):,.0f}: ask for ratings after positive moments.",
            }
        )
    return tips  # fmt: skip


# --- the routes' pipelines -------------------------------------------------------------------------------


async def cross_analysis(settings: Settings, org_id: int, app_id: int) -> dict[str, Any]:
    """Play Store metrics correlated with DAU, new devices and events at lags 0..7 days; narrative."""
    app = await apps.get_app(org_id, app_id)
    async with raw_connection() as conn:
        rows = await dashboard.daily_rows(conn, app_id, SERIES_DAYS, 1)
    internal = {
        "dau": {r["day"]: float(r["active_devices"]) for r in rows},
        "new_devices": {r["day"]: float(r["new_devices"]) for r in rows},
        "events": {r["day"]: float(r["events"]) for r in rows},
    }
    snapshots = await snapshots_for(org_id, app.package_name)
    correlations = []
    for store_metric, values in store_series(snapshots).items():
        for metric, series in internal.items():
            found = lagged_correlations(values, series)
            if found:
                correlations.append(
                    {
                        "playstore_metric": store_metric,
                        "metric": metric,
                        "lags": found,
                        "strongest": strongest(found),
                    }
                )
    installs_to_dau = lagged_correlations(internal["new_devices"], internal["dau"])
    result: dict[str, Any] = {
        "app_id": app_id,
        "package_name": app.package_name,
        "playstore": "available" if snapshots else PLAYSTORE_MISSING,
        "period": {"from": rows[0]["day"].isoformat(), "to": rows[-1]["day"].isoformat()},
        "correlations": correlations,
        "internal": {"new_devices_to_dau": installs_to_dau, "strongest": strongest(installs_to_dau)},
    }
    best = strongest(installs_to_dau)
    fallback = (
        ("Play Store metrics are " + PLAYSTORE_MISSING + ", so only internal series are compared. " if not snapshots else "")
        + (f"New devices and DAU correlate most at a lag of {best['lag_days']} days (r = {best['r']:+.2f}, {best['points']} days)." if best else "Not enough daily data to correlate new devices with DAU.")
    )  # fmt: skip
    result.update(await client.narrate(settings, org_id, prompts.MARKET_SYSTEM, result, fallback))
    return result


async def _resolve(org_id: int, app_id: int | None, package_name: str | None) -> App:
    if app_id is not None:
        app = await apps.get_app(org_id, app_id)
        if package_name is not None and package_name != app.package_name:
            raise BadRequest(
                "package_name is not the package of app_id", {"package_name": "does not match the app"}
            )
        return app
    if package_name is None:
        raise BadRequest("Give app_id or package_name", {"app_id": "app_id or package_name is required"})
    found = await App.get_or_none(org_id=org_id, package_name=package_name)
    if found is None:
        raise NotFound("No app with this package in your organisation")
    return found


async def aso(
    settings: Settings, org_id: int, app_id: int | None, package_name: str | None
) -> dict[str, Any]:
    """ASO suggestions for one of the org's apps from its listing against tracked competitors'."""
    app = await _resolve(org_id, app_id, package_name)
    own_snaps = await snapshots_for(org_id, app.package_name)
    own = own_snaps[-1] if own_snaps else None
    rivals = []
    for package in await competitors_of(org_id, app.id):
        snaps = await snapshots_for(org_id, package)
        if snaps:
            rivals.append({"package_name": package, **snaps[-1]})
    tips = aso_suggestions(app.name, own, rivals)
    keep = ("title", "rating", "ratings_count", "installs")
    result: dict[str, Any] = {
        "app_id": app.id,
        "package_name": app.package_name,
        "playstore": "available" if own else PLAYSTORE_MISSING,
        "listing": {k: own.get(k) for k in keep} if own else None,
        "competitors": [{"package_name": r["package_name"], **{k: r.get(k) for k in keep}} for r in rivals],
        "suggestions": tips,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    fallback = " ".join(t["text"] for t in tips) or "No suggestion from the data available."
    if not own:
        fallback = (
            f"Play Store listing data is {PLAYSTORE_MISSING}; suggestions use the app name only. " + fallback
        )
    result.update(await client.narrate(settings, org_id, prompts.MARKET_SYSTEM, result, fallback))
    return result
