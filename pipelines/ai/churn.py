"""Churn risk of an app's active devices (GET /ai/churn-risk): a score 0..1, the top reasons, an action.

Active devices are those with activity in the last 30 UTC days (per-device days, `device_days`). Each is
described by FEATURES, computed from one aggregate of 60 days of `device_days` per device:
- days_inactive: days since its last active day;
- decline: (active days in days 15-29 ago - active days in the last 15) / max(the former, 1), in -1..1;
- sessions, ad_watches (log of 1 + the 30-day count), events_per_day (log of 1 + events per active day);
- tenure (log of 1 + days since first seen); payer (a purchase in the 30 days).
A logistic regression (scikit-learn) is fitted on the app's own history: the devices active in the 30
days before a reference day 30 days ago, described as of that day, labelled 1 when they then went the
30 days since without any activity (a random MAX_TRAINING of them at most). With fewer than MIN_TRAINING
devices or MIN_CLASS of either label,
FIXED_WEIGHTS are used instead (documented in the README). Reasons are the features that push a device's
score up the most against the app's average device; the action follows from risk, inactivity, purchases
and ad watching.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from core.clock import iso
from core.db import raw_connection
from pipelines import apps

FEATURES = ("days_inactive", "decline", "sessions", "ad_watches", "events_per_day", "tenure", "payer")
MIN_TRAINING = 200
MAX_TRAINING = 50_000
SPAN = 15  # decline compares the last 15 days of a 30-day window with the 15 before
MIN_CLASS = 20
# Used when the app's history is too thin to fit: log-odds of churning within 30 days.
FIXED_INTERCEPT = -2.0
FIXED_WEIGHTS = {
    "days_inactive": 0.25,
    "decline": 1.5,
    "sessions": -0.6,
    "ad_watches": -0.2,
    "events_per_day": -0.3,
    "tenure": -0.2,
    "payer": -0.8,
}

# One pass over 60 days of device_days, one row per device (no JIT: compiling this plan costs more than
# running it). `active` has bit n set when the device was active n days ago (n < 60), which gives recency
# and active days of both 30-day windows from one cheap aggregate; the sums are per window.
ACTIVITY = """
SELECT array_agg(device_id) AS device, array_agg(active) AS active,
    array_agg(sessions_now) AS sessions_now, array_agg(sessions_then) AS sessions_then,
    array_agg(events_now) AS events_now, array_agg(events_then) AS events_then,
    array_agg(ads_now) AS ads_now, array_agg(ads_then) AS ads_then,
    array_agg(purchases_now) AS purchases_now, array_agg(purchases_then) AS purchases_then
FROM (
    SELECT device_id,
        bit_or(1::int8 << ($2::date - day)) AS active,
        coalesce(sum(sessions) FILTER (WHERE day > $2::date - 30), 0) AS sessions_now,
        coalesce(sum(sessions) FILTER (WHERE day <= $2::date - 30), 0) AS sessions_then,
        coalesce(sum(events) FILTER (WHERE day > $2::date - 30), 0) AS events_now,
        coalesce(sum(events) FILTER (WHERE day <= $2::date - 30), 0) AS events_then,
        coalesce(sum(ad_watches) FILTER (WHERE day > $2::date - 30), 0) AS ads_now,
        coalesce(sum(ad_watches) FILTER (WHERE day <= $2::date - 30), 0) AS ads_then,
        coalesce(sum(purchases) FILTER (WHERE day > $2::date - 30), 0) AS purchases_now,
        coalesce(sum(purchases) FILTER (WHERE day <= $2::date - 30), 0) AS purchases_then
    FROM device_days
    WHERE app_id = $1 AND day > $2::date - 60 AND day <= $2::date
    GROUP BY device_id
) d
"""
AGES = """
SELECT array_agg(id ORDER BY id) AS id,
    array_agg(greatest($2::date - (first_seen_at AT TIME ZONE 'UTC')::date, 0) ORDER BY id) AS age
FROM devices WHERE app_id = $1
"""

DEVICES = """
SELECT id, android_id, user_segment, last_seen_at, purchases, ad_watches_30d
FROM devices WHERE app_id = $1 AND id = ANY($2::bigint[])
"""


@dataclass
class Model:
    """Weights on standardised features (fitted) or raw ones (fixed), with what it was fitted on."""

    kind: str
    intercept: float
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray  # 1 for fixed weights
    trained_on: int
    positives: int

    def logit(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + ((x - self.mean) / self.scale) @ self.weights

    def contributions(self, x: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """How much each feature moves a device's log-odds against `reference` (the app's average)."""
        return (x - reference) / self.scale * self.weights


def features(inactive: Any, recent: Any, prior: Any, days: Any, sessions: Any, events: Any, ads: Any,
             purchases: Any, age: Any) -> np.ndarray:  # fmt: skip
    """The FEATURES matrix (one row per device) from the aggregate's columns."""
    inactive, recent, prior, days = (np.asarray(v, dtype=float) for v in (inactive, recent, prior, days))
    sessions, events, ads, purchases = (
        np.asarray(v, dtype=float) for v in (sessions, events, ads, purchases)
    )
    tenure = np.maximum(np.asarray(age, dtype=float), 0)
    decline = np.clip((prior - recent) / np.maximum(prior, 1), -1, 1)
    return np.column_stack(
        [
            inactive,
            decline,
            np.log1p(sessions),
            np.log1p(ads),
            np.log1p(events / np.maximum(days, 1)),
            np.log1p(tenure),
            (purchases > 0).astype(float),
        ]
    )


def fit(x: np.ndarray, y: np.ndarray) -> Model:
    """A logistic regression on the app's history, or the fixed weights when that history is thin."""
    positives = int(y.sum())
    if len(y) >= MIN_TRAINING and positives >= MIN_CLASS and len(y) - positives >= MIN_CLASS:
        scaler = StandardScaler().fit(x)
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        regression = LogisticRegression(max_iter=500).fit((x - scaler.mean_) / scale, y)
        return Model(
            "logistic_regression",
            float(regression.intercept_[0]),
            regression.coef_[0].astype(float),
            scaler.mean_.astype(float),
            scale,
            len(y),
            positives,
        )
    weights = np.array([FIXED_WEIGHTS[f] for f in FEATURES])
    zero, one = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    return Model("fixed_weights", FIXED_INTERCEPT, weights, zero, one, len(y), positives)


def _reason(feature: str, raw: dict[str, float]) -> str:
    if feature == "days_inactive":
        return f"no activity for {int(raw['inactive'])} days"
    if feature == "decline":
        return f"active on {int(raw['recent'])} of the last 15 days, down from {int(raw['prior'])} in the 15 before"
    if feature == "sessions":
        return f"only {int(raw['sessions'])} sessions in 30 days"
    if feature == "ad_watches":
        return f"{int(raw['ads'])} ads watched in 30 days"
    if feature == "events_per_day":
        return f"light use: {raw['events'] / max(raw['days'], 1):.1f} events per active day"
    if feature == "tenure":
        return f"installed {int(raw['age'])} days ago"
    return "no purchase in 30 days"


def action(risk: float, raw: dict[str, float]) -> dict[str, str]:
    """What to do about a device: by risk, then inactivity, purchases and ad watching."""
    if risk < 0.3:
        return {"type": "none", "detail": "No action: engagement is steady"}
    if raw["inactive"] >= 7:
        offer = " with a personalised offer" if raw["purchases"] > 0 else ""
        return {
            "type": "push",
            "detail": f"Win-back push notification{offer} (what's new, a comeback reward)",
        }
    if raw["purchases"] > 0:
        return {"type": "discount_offer", "detail": "A personalised discount or bundle for a paying user"}
    if raw["ads"] >= 5:
        return {
            "type": "rewarded_offer",
            "detail": "A bigger rewarded-ad reward (e.g. double coins) this week",
        }
    return {"type": "in_app_message", "detail": "An in-app message pointing at features not yet used"}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _bits(values: np.ndarray, low: int, width: int) -> np.ndarray:
    return (values >> low) & ((1 << width) - 1)


def _window(a: dict[str, np.ndarray], first: int) -> dict[str, np.ndarray]:
    """Per device, over the 30 days starting `first` days ago (0 or 30): days since its last active day
    (inf when none), active days in the first and second 15, and the sums."""
    days = _bits(a["active"], first, 2 * SPAN)
    lowest = days & -days  # the most recent active day's bit
    out = {"inactive": np.where(days > 0, np.log2(np.maximum(lowest, 1)), np.inf)}
    out["recent"] = np.bitwise_count(_bits(a["active"], first, SPAN)).astype(float)
    out["prior"] = np.bitwise_count(_bits(a["active"], first + SPAN, SPAN)).astype(float)
    out["days"] = out["recent"] + out["prior"]
    for key in ("sessions", "events", "ads", "purchases"):
        out[key] = a[f"{key}_{'then' if first else 'now'}"].astype(float)
    return out


def score(activity: dict[str, Any], ages: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """Fit on the history and score every active device (CPU work: run it off the event loop)."""
    a = {k: np.asarray(v or [], dtype=np.int64) for k, v in activity.items()}
    ids = a["device"]
    order = np.argsort(ids)
    a = {k: v[order] for k, v in a.items()}
    ids = a["device"]
    known = np.asarray(ages["id"] or [], dtype=np.int64)
    at = np.clip(np.searchsorted(known, ids), 0, max(len(known) - 1, 0))
    age = (
        np.where(known[at] == ids, np.asarray(ages["age"], dtype=float)[at], 0.0)
        if len(known)
        else np.zeros(len(ids))
    )
    now, then = _window(a, 0), _window(a, 2 * SPAN)
    active, trained = np.isfinite(now["inactive"]), np.isfinite(then["inactive"])
    picked = np.flatnonzero(trained)
    if len(picked) > MAX_TRAINING:
        picked = np.sort(np.random.default_rng(seed).choice(picked, MAX_TRAINING, replace=False))

    def matrix(
        window: dict[str, np.ndarray], rows: np.ndarray, age_offset: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        raw = {k: v[rows] for k, v in window.items()}
        raw["age"] = np.maximum(age[rows] - age_offset, 0)
        names = ("inactive", "recent", "prior", "days", "sessions", "events", "ads", "purchases", "age")
        return features(*(raw[k] for k in names)), raw

    x_train, _ = matrix(then, picked, 2 * SPAN)
    model = fit(x_train, (~active[picked]).astype(float))
    rows = np.flatnonzero(active)
    x, raw = matrix(now, rows, 0)
    return {"ids": ids[rows], "risk": _sigmoid(model.logit(x)), "x": x, "model": model, "raw": raw}


async def churn_risk(org_id: int, app_id: int, limit: int, today: date | None = None) -> dict[str, Any]:
    """The app's active devices most at risk of churning, highest first, with reasons and an action."""
    await apps.get_app(org_id, app_id)
    today = today or datetime.now(UTC).date()
    async with raw_connection() as conn, conn.transaction():
        await conn.execute("SET LOCAL jit = off")
        await conn.execute("SET LOCAL work_mem = '64MB'")
        activity = await conn.fetchrow(ACTIVITY, app_id, today)
        ages = await conn.fetchrow(AGES, app_id, today)
    scored = await asyncio.to_thread(score, dict(activity), dict(ages), app_id)
    risk, model = scored["risk"], scored["model"]
    top = np.argsort(-risk, kind="stable")[:limit]
    reference = scored["x"].mean(axis=0) if len(risk) else np.zeros(len(FEATURES))
    async with raw_connection() as conn:
        rows = await conn.fetch(DEVICES, app_id, [int(scored["ids"][i]) for i in top])
    by_id = {r["id"]: r for r in rows}
    devices = []
    for i in top:
        device = by_id.get(int(scored["ids"][i]))
        if device is None:  # erased since the aggregate ran
            continue
        raw = {k: float(v[i]) for k, v in scored["raw"].items()}
        pushes = model.contributions(scored["x"][i], reference)
        order = [j for j in np.argsort(-pushes) if pushes[j] > 0][:3]
        devices.append(
            {
                "device_id": device["id"],
                "android_id": device["android_id"],
                "segment": device["user_segment"],
                "last_seen_at": iso(device["last_seen_at"]),
                "days_inactive": int(raw["inactive"]),
                "risk": round(float(risk[i]), 4),
                "reasons": [_reason(FEATURES[j], raw) for j in order]
                or ["no warning sign against the app's average"],
                "recommended_action": action(float(risk[i]), raw),
            }
        )
    return {
        "app_id": app_id,
        "scored": int(len(risk)),
        "limit": limit,
        "devices": devices,
        "model": {
            "kind": model.kind,
            "trained_on": model.trained_on,
            "positives": model.positives,
            "features": list(FEATURES),
            "weights": {f: round(float(w), 4) for f, w in zip(FEATURES, model.weights)},
            "intercept": round(model.intercept, 4),
            "standardised": model.kind == "logistic_regression",
        },
    }
