"""Demo data: an organisation with two apps and a backdated history (installs, sessions, purchases,
ad revenue, churn), stored through the ingest statements (`pipelines.ingest.store_batches`) so that
devices, per-device days, rollups and usage are exactly what the same traffic would have left."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import asyncpg
import orjson

from core.db import raw_connection
from core.models import App, Org, User
from pipelines import apps as apps_pipeline
from pipelines import auth, segments
from pipelines.ingest import store_batches

DEMO_ORG = "Demo Studio"
DEMO_EMAIL = "demo@vaimanasoft.local"
DEMO_PLAN = "enterprise"  # no quota ever stops the demo
DAY_MS = 86_400_000
FLUSH_EVENTS = 12_000  # events per store_batches call: ~1,500 session batches
NEWEST_MS = 2 * 3_600_000  # the newest session starts at least this long before the run

COUNTRIES = {
    "US": 18,
    "IN": 13,
    "BR": 8,
    "ID": 6,
    "DE": 5,
    "GB": 5,
    "MX": 4,
    "RU": 4,
    "FR": 4,
    "TR": 3,
    "JP": 3,
    "PH": 3,
    "VN": 3,
    "KR": 2,
    "CA": 2,
    "IT": 2,
    "ES": 2,
    "PL": 2,
    "EG": 2,
    "NG": 2,
    "PK": 2,
    "TH": 2,
    "AU": 1.5,
    "NL": 1,
    "SE": 0.5,
}
TIER1 = {"US", "GB", "DE", "CA", "AU", "JP", "KR", "FR", "NL", "SE"}
TIER2 = {"BR", "MX", "RU", "TR", "IT", "ES", "PL", "TH"}
PHONES = [
    ("samsung", "Galaxy A54", 9),
    ("samsung", "Galaxy A14", 8),
    ("samsung", "Galaxy S23", 5),
    ("samsung", "Galaxy S24 Ultra", 3),
    ("Xiaomi", "Redmi Note 12", 8),
    ("Xiaomi", "Redmi 13C", 6),
    ("Xiaomi", "POCO X6", 3),
    ("Google", "Pixel 7a", 3),
    ("Google", "Pixel 8", 2),
    ("OPPO", "A78", 4),
    ("vivo", "Y36", 4),
    ("realme", "C55", 4),
    ("motorola", "moto g84", 3),
    ("OnePlus", "Nord CE 3", 2),
    ("TECNO", "Spark 20", 3),
    ("HUAWEI", "nova 11", 2),
]
ANDROID = {"14": 30, "13": 26, "12": 18, "11": 12, "10": 8, "9": 4, "15": 2}
INSTALL_TYPES = {"store": 62, "organic": 38}
# (version, released this share of the history ago): later installs get newer versions.
VERSIONS = [("1.4.0", 1.0), ("1.5.0", 0.6), ("1.6.1", 0.3), ("2.0.0", 0.1)]
PRODUCTS = [
    ("gems_small", 0.99, 50),
    ("starter_pack", 1.99, 25),
    ("no_ads", 2.99, 15),
    ("gems_medium", 4.99, 20),
    ("vip_month", 9.99, 8),
    ("gems_large", 19.99, 5),
]
NETWORKS = {"admob": 50, "applovin": 30, "unity": 20}
NETWORK_FACTOR = {"admob": 1.0, "applovin": 1.1, "unity": 0.85}
ECPM_TIER1 = {"rewarded": 14.0, "interstitial": 9.0, "app_open": 6.0, "banner": 0.6}  # USD per 1,000
TIER_FACTOR = {"tier1": 1.0, "tier2": 0.35, "tier3": 0.12}


def _variants(event_type: str, weight: float, datas: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    return [(event_type, orjson.dumps(d).decode(), weight / len(datas)) for d in datas]


def _puzzle() -> list[tuple[str, str, float]]:
    levels = range(1, 61)
    return [
        *_variants("screen_view", 30, [{"screen": s} for s in ("home", "level_map", "shop", "daily_reward")]),
        *_variants("level_start", 18, [{"level": n} for n in levels]),
        *_variants("level_complete", 12, [{"level": n, "stars": 1 + n % 3} for n in levels]),
        *_variants("level_failed", 6, [{"level": n} for n in levels]),
        *_variants("hint_used", 5, [{"hint": h} for h in ("shuffle", "reveal", "undo")]),
    ]


def _runner() -> list[tuple[str, str, float]]:
    worlds = ("city", "desert", "jungle", "ice")
    return [
        *_variants("screen_view", 28, [{"screen": s} for s in ("home", "garage", "shop", "leaderboard")]),
        *_variants("run_start", 20, [{"world": w} for w in worlds]),
        *_variants(
            "run_end",
            18,
            [
                {"world": w, "distance": 150 * (i + 1), "coins": 12 * (i + 1)}
                for w in worlds
                for i in range(10)
            ],
        ),
        *_variants("powerup_used", 8, [{"powerup": p} for p in ("magnet", "shield", "double_coins")]),
        *_variants("character_unlocked", 1, [{"character": c} for c in ("ninja", "robot", "astronaut")]),
    ]


# (name, package, share of the devices, feature events, ad placements (placement, ad type))
APPS = [
    (
        "Puzzle Quest",
        "com.demo.puzzle",
        0.6,
        _puzzle,
        [("extra_moves", "rewarded"), ("level_end", "interstitial"), ("daily_bonus", "rewarded")],
    ),
    (
        "Road Runner",
        "com.demo.runner",
        0.4,
        _runner,
        [("revive", "rewarded"), ("run_end", "interstitial"), ("double_coins", "rewarded")],
    ),
]

# What the SDK's registration sends (pipelines.devices.UPDATE_DEVICE) without its last_seen_at = now():
# the history ends when the device stopped using the app.
DEVICE_ATTRIBUTES = """
UPDATE devices d SET brand = s.brand, model = s.model, android_version = s.android_version,
    app_version = s.app_version, country = s.country, install_type = s.install_type, updated_at = now()
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
    AS s(android_id, brand, model, android_version, app_version, country, install_type)
WHERE d.app_id = $1 AND d.android_id = s.android_id
"""

# pipelines.profiles.RECORD_REVENUE for many impressions at once: the rows, the devices' ad revenue and
# the days' rollups. Revenue is eCPM / 1,000 (eCPM rounded to 5 places, so the revenue is exact).
RECORD_IMPRESSIONS = """
WITH src AS (
    SELECT s.*, round(s.ecpm::numeric, 5) AS ecpm_n, round(s.ecpm::numeric, 5) / 1000 AS revenue,
        to_timestamp(s.at_ms / 1000.0) AS created_at
    FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::float8[])
        AS s(android_id, ad_type, ad_network, ecpm, geo_tier, country, at_ms)
), priced AS (
    SELECT src.*, d.id AS device_id FROM src
    CROSS JOIN LATERAL (SELECT id FROM devices d WHERE d.app_id = $1 AND d.android_id = src.android_id) d
), dev AS (
    UPDATE devices d SET ad_revenue = d.ad_revenue + p.revenue, updated_at = now()
    FROM (SELECT device_id, sum(revenue) AS revenue FROM priced GROUP BY device_id) p WHERE d.id = p.device_id
), rev AS (
    INSERT INTO revenue_events (app_id, device_id, ad_type, ad_network, revenue, ecpm, geo_tier, country, created_at)
    SELECT $1, device_id, ad_type, ad_network, revenue, ecpm_n, geo_tier, country, created_at FROM priced
), daily AS (
    INSERT INTO app_daily AS t (app_id, day, ad_revenue, ad_impressions)
    SELECT $1, (created_at AT TIME ZONE 'UTC')::date, sum(revenue), count(*) FROM priced GROUP BY 2 ORDER BY 2
    ON CONFLICT (app_id, day) DO UPDATE SET ad_revenue = t.ad_revenue + EXCLUDED.ad_revenue,
        ad_impressions = t.ad_impressions + EXCLUDED.ad_impressions
    RETURNING day
), breakdown AS (
    -- As pipelines.profiles.record_revenue: the day's breakdowns after the day's row (read from `daily`).
    INSERT INTO app_daily_revenue AS t (app_id, day, dimension, value, revenue, impressions)
    SELECT $1, p.day, b.dimension, b.value, sum(p.revenue), count(*)
    FROM (SELECT priced.*, (created_at AT TIME ZONE 'UTC')::date AS day FROM priced) p
    JOIN daily ON daily.day = p.day
    CROSS JOIN LATERAL (VALUES ('ad_network', coalesce(p.ad_network, '')), ('ad_type', p.ad_type),
                               ('country', coalesce(p.country, '')), ('geo_tier', coalesce(p.geo_tier, '')))
        AS b(dimension, value)
    GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4
    ON CONFLICT (app_id, day, dimension, value) DO UPDATE SET revenue = t.revenue + EXCLUDED.revenue,
        impressions = t.impressions + EXCLUDED.impressions
)
SELECT count(*) FROM priced
"""

SEGMENT_COUNTS = """
SELECT user_segment, count(*) FROM devices WHERE app_id = ANY($1::int[]) GROUP BY 1 ORDER BY 2 DESC
"""


@dataclass(frozen=True)
class DemoOptions:
    devices: int = 5_000
    days: int = 90
    events_per_device: int = 40
    seed: int | None = None
    force_new: bool = False  # seed another demo organisation even when one exists


@dataclass(frozen=True)
class DemoLogin:
    org_id: int
    org_name: str
    email: str
    password: str | None  # None when the owner changed the demo password


@dataclass
class DemoReport:
    login: DemoLogin
    created: bool  # False: the demo existed already and nothing was changed
    apps: list[tuple[int, str]] = field(default_factory=list)
    devices: int = 0
    events: int = 0
    impressions: int = 0
    segments: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Flush:
    batches: list[dict[str, Any]] = field(default_factory=list)
    devices: list[list[str]] = field(default_factory=lambda: [[] for _ in range(7)])
    impressions: list[list[Any]] = field(default_factory=lambda: [[] for _ in range(7)])
    events: int = 0


class ProgressLine:
    """`events 3,400,000 / 10,000,000 (34%) 38,000/s` on one line of a terminal (a line every few
    seconds elsewhere)."""

    def __init__(self, out: TextIO, label: str = "events") -> None:
        self.out, self.label = out, label
        self.tty = out.isatty()
        self.start = self.shown = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.shown < (0.25 if self.tty else 5.0):
            return
        self.shown = now
        rate = done / max(now - self.start, 1e-6)
        line = f"{self.label} {done:,} / {total:,} ({100 * done // max(total, 1)}%) {rate:,.0f}/s"
        self.out.write(f"\r{line}\x1b[K" if self.tty else line + "\n")
        if done >= total and self.tty:
            self.out.write("\n")
        self.out.flush()


def summary(report: DemoReport, url: str) -> str:
    """What `vaimanasoft demo` prints: what was seeded (or that nothing was), and the login."""
    login = report.login
    if report.created:
        lines = [
            f"demo organisation: {login.org_name} (org id {login.org_id}), seeded in {report.seconds:.1f} s",
            "apps: " + ", ".join(f"{package} (id {app_id})" for app_id, package in report.apps),
            f"devices: {report.devices:,}",
            f"events: {report.events:,}",
            f"ad impressions: {report.impressions:,}",
            "segments: " + ", ".join(f"{name} {n:,}" for name, n in report.segments.items()),
        ]
    else:
        lines = [
            f"demo organisation: {login.org_name} (org id {login.org_id}) exists already; "
            + "nothing changed (--force-new seeds another)"
        ]
    password = login.password or "(changed since it was seeded)"
    lines += [
        f"sign in at {url}  (API {url}/api/v4)",
        f"  email:    {login.email}",
        f"  password: {password}",
    ]
    return "\n".join(lines)


def demo_password(secret: str, email: str) -> str:
    """The demo owner's password, derived from SECRET_KEY so that a later run can print it again."""
    return (
        "demo-"
        + hmac.new(secret.encode(), f"vaimanasoft-demo:{email}".encode(), hashlib.sha256).hexdigest()[:16]
    )


async def find_demo(secret: str, email: str = DEMO_EMAIL) -> DemoLogin | None:
    """The demo organisation's login when it exists (password None if it was changed since)."""
    user = await User.get_or_none(email=email).select_related("org")
    if user is None:
        return None
    password = demo_password(secret, email)
    ok = bool(user.password_hash) and await auth.verify_password(user.password_hash or "", password)
    return DemoLogin(user.org.id, user.org.name, email, password if ok else None)


async def seed_demo(
    options: DemoOptions, secret: str, progress: Callable[[int, int], None] | None = None
) -> DemoReport:
    """Create the demo organisation and its history, unless it exists (then only report its login)."""
    email = DEMO_EMAIL
    existing = await find_demo(secret, email)
    if existing is not None and not options.force_new:
        return DemoReport(existing, created=False)
    number = 1
    while existing is not None:
        number += 1
        email = f"demo{number}@vaimanasoft.local"
        existing = await find_demo(secret, email)
    started = time.monotonic()
    password = demo_password(secret, email)
    user = await auth.register("Demo Owner", email, password, DEMO_ORG, DEMO_PLAN)
    org_id: int = user.org_id  # type: ignore[attr-defined]
    apps = [await apps_pipeline.create_app(org_id, name, package) for name, package, *_ in APPS]
    report = DemoReport(
        DemoLogin(org_id, DEMO_ORG, email, password),
        created=True,
        apps=[(a.id, a.package_name) for a in apps],
    )
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    now_ms = int(time.time() * 1000)
    plans = []
    for i, (app, spec) in enumerate(zip(apps, APPS)):
        rng = random.Random(f"{seed}:{spec[1]}")
        share = (
            options.devices - round(options.devices * APPS[0][2]) if i else round(options.devices * spec[2])
        )
        plans.append((app, rng, _plan_devices(rng, share, options, now_ms)))
    total = sum(n for _, _, plan in plans for n in (d[3] for d in plan))
    stored = [0, 0]

    def report_progress(app_index: int, events: int) -> None:
        stored[app_index] += events
        if progress is not None:
            progress(sum(stored), total)

    # One connection per app: a flush of many devices holds every partition lock of its app
    # (ingest.LOCK_PARTITIONS), so flushes of one app serialise anyway.
    results = await asyncio.gather(
        *(
            _store_app(app, org_id, rng, plan, APPS[i], now_ms, lambda n, i=i: report_progress(i, n))
            for i, (app, rng, plan) in enumerate(plans)
        )
    )
    report.events = sum(r[0] for r in results)
    report.impressions = sum(r[1] for r in results)
    report.devices = sum(len(plan) for *_, plan in plans)
    # The organisation and its apps date from the first install, like the history.
    first = now_ms - options.days * DAY_MS
    await Org.filter(id=org_id).update(created_at=_datetime(first))
    await App.filter(org_id=org_id).update(created_at=_datetime(first))
    await segments.reclassify_all(None)  # the nightly pass: time alone moves devices between segments
    async with raw_connection() as conn:
        rows = await conn.fetch(SEGMENT_COUNTS, [a.id for a in apps])
    report.segments = {r[0]: r[1] for r in rows}
    report.seconds = time.monotonic() - started
    return report


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _weighted(rng: random.Random, table: dict[str, float], k: int) -> list[str]:
    return rng.choices(list(table), weights=list(table.values()), k=k)


# A planned device: android_id, first_ms, last_ms, events, payer, and its attributes
# (brand, model, android_version, app_version, country, install_type).
Plan = tuple[str, int, int, int, bool, str, str, str, str, str, str]


def _plan_devices(rng: random.Random, count: int, options: DemoOptions, now_ms: int) -> list[Plan]:
    """Who installed when, for how long, how active: recent installs likelier, many leave early."""
    span = options.days * DAY_MS
    latest = now_ms - NEWEST_MS
    releases = [(now_ms - int(share * span), version) for version, share in VERSIONS]
    phones = rng.choices(PHONES, weights=[p[2] for p in PHONES], k=count)
    androids = _weighted(rng, ANDROID, count)
    countries = _weighted(rng, COUNTRIES, count)
    installs = _weighted(rng, INSTALL_TYPES, count)
    plan: list[Plan] = []
    for i in range(count):
        u = rng.random()
        # 70% weighted toward recent days (density falls linearly with age), 30% uniform.
        age = (1 - math.sqrt(rng.random())) if u < 0.7 else rng.random()
        first = min(now_ms - int(age * span), latest)
        kind = rng.random()
        if kind < 0.35:  # gone within a few days
            life, weight = rng.expovariate(1 / 1.5), 0.3
        elif kind < 0.75:  # stays a couple of weeks
            life, weight = rng.expovariate(1 / 14), 0.9
        else:  # still playing
            life, weight = options.days + 1.0, 1.8
        last = max(first, min(first + int(life * DAY_MS), latest))
        events = max(2, round(options.events_per_device * weight / 0.915 * rng.lognormvariate(-0.125, 0.5)))
        version = _version_at(releases, first if rng.random() < 0.3 else last)
        plan.append(
            (
                f"{rng.getrandbits(64):016x}",
                first,
                last,
                events,
                rng.random() < 0.06,
                phones[i][0],
                phones[i][1],
                androids[i],
                version,
                countries[i],
                installs[i],
            )
        )
    return plan


def _version_at(releases: list[tuple[int, str]], at_ms: int) -> str:
    current = releases[0][1]
    for released, version in releases:
        if released <= at_ms:
            current = version
    return current


async def _store_app(
    app: App,
    org_id: int,
    rng: random.Random,
    plan: list[Plan],
    spec: Any,
    now_ms: int,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Store one app's history, generating the next flush while the database stores the previous."""
    events = impressions = 0
    async with raw_connection() as conn:
        pending: asyncio.Task[tuple[int, int]] | None = None
        for flush in _flushes(app.id, org_id, rng, plan, spec, now_ms):
            if pending is not None:
                stored, shown = await pending
                events, impressions = events + stored, impressions + shown
                progress(stored)
            pending = asyncio.create_task(_store_flush(conn, app.id, flush))
            await asyncio.sleep(0)  # let it send before generating the next
        if pending is not None:
            stored, shown = await pending
            events, impressions = events + stored, impressions + shown
            progress(stored)
    return events, impressions


async def _store_flush(conn: asyncpg.Connection, app_id: int, flush: _Flush) -> tuple[int, int]:
    # Not one transaction: ingest holds the org's rows (device quota, usage) until it commits, and the
    # other app's flush waits for them; registration and revenue follow, as from the SDK.
    result = await store_batches(conn, flush.batches)
    await conn.execute(DEVICE_ATTRIBUTES, app_id, *flush.devices)
    shown = await conn.fetchval(RECORD_IMPRESSIONS, app_id, *flush.impressions) if flush.impressions[0] else 0
    return result.stored, shown


SUFFIX = [f"{i:04x}" for i in range(256)]


def _flushes(
    app_id: int, org_id: int, rng: random.Random, plan: list[Plan], spec: Any, now_ms: int
) -> Iterator[_Flush]:
    """The app's history in flushes of about FLUSH_EVENTS events; each device's events in one flush,
    one batch per session (session_start, then feature events, ad watches and purchases)."""
    _, _, _, make_catalog, placements = spec
    catalog = make_catalog()
    kinds = [(t, d, None) for t, d, _ in catalog]
    weights = [w for *_, w in catalog]
    ads = [("ad_watched", orjson.dumps({"placement": p, "ad_type": a}).decode(), a) for p, a in placements]
    kinds += ads
    weights += [11 / len(ads)] * len(ads)
    free = list(weights)
    kinds += [
        ("purchase", orjson.dumps({"product_id": p, "amount": amount, "currency": "USD"}).decode(), None)
        for p, amount, _ in PRODUCTS
    ]
    weights += [4.0 * w / 123 for *_, w in PRODUCTS]
    free += [0.0] * len(PRODUCTS)
    payer_cum, free_cum = _cumulative(weights), _cumulative(free)
    networks, network_weights = list(NETWORKS), _cumulative(list(NETWORKS.values()))
    random_, choices = rng.random, rng.choices
    flush = _Flush()
    for aid, first, last, n, payer, brand, model, android, version, country, install in plan:
        tier = "tier1" if country in TIER1 else "tier2" if country in TIER2 else "tier3"
        geo = TIER_FACTOR[tier]
        sessions = max(1, math.ceil(n / rng.randint(4, 12)))
        starts = sorted(first + int(random_() * (last - first)) for _ in range(sessions - 1))
        picks = choices(range(len(kinds)), cum_weights=payer_cum if payer else free_cum, k=n - sessions)
        per, extra = divmod(n, sessions)
        p = 0
        imp = flush.impressions
        for s, start in enumerate([first, *starts]):
            t = start
            r = f"{rng.getrandbits(64):016x}"
            ms = f"{start:012x}"
            prefix = f"{ms[:8]}-{ms[8:12]}-7{r[:3]}-{r[3:7]}-{r[7:15]}"
            events = [[aid, "session_start", "{}", t, prefix + SUFFIX[0]]]
            shows: list[tuple[str, int]] = []
            for j in range(1, per + (s < extra)):
                t += 3000 + int(random_() * 87_000)
                event_type, data, ad_type = kinds[picks[p]]
                p += 1
                events.append([aid, event_type, data, t, prefix + SUFFIX[j]])
                if ad_type is not None:
                    shows.append((ad_type, t))
            if random_() < 0.3:  # banner impressions beside the session
                shows += [
                    ("banner", start + int(random_() * (t - start + 1))) for _ in range(rng.randint(1, 2))
                ]
            if random_() < 0.08:
                shows.append(("app_open", start))
            for ad_type, at in shows:
                network = choices(networks, cum_weights=network_weights)[0]
                ecpm = ECPM_TIER1[ad_type] * geo * NETWORK_FACTOR[network] * rng.lognormvariate(0, 0.35)
                for column, value in zip(imp, (aid, ad_type, network, ecpm, tier, country, float(at))):
                    column.append(value)
            flush.batches.append(
                {
                    "app_id": app_id,
                    "org_id": org_id,
                    "events": events,
                    "received_ms": min(t + 500 + int(random_() * 20_000), now_ms),
                }
            )
        for column, value in zip(flush.devices, (aid, brand, model, android, version, country, install)):
            column.append(value)
        flush.events += n
        if flush.events >= FLUSH_EVENTS:
            yield flush
            flush = _Flush()
    if flush.batches:
        yield flush


def _cumulative(weights: list[float]) -> list[float]:
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out
