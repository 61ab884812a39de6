"""Storing event batches: set-based, one transaction for many batches, idempotent.

Per flush: one statement creates the devices seen for the first time, then one
statement inserts every event (passed as column arrays and unnested; duplicates of
(app_id, event_id) dropped) and, from exactly the rows it inserted, updates device
counters and segments, per-device days, daily rollups and monthly usage. A batch
delivered twice therefore changes nothing the second time.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

# The revenue of a purchase event: a JSON number in event_data.amount, 0..1,000,000 (USD).
PURCHASE_AMOUNT = """CASE WHEN event_type = 'purchase' AND jsonb_typeof(event_data -> 'amount') = 'number'
             THEN LEAST(GREATEST((event_data ->> 'amount')::numeric, 0), 1000000) ELSE 0 END"""

# An app's devices fall into PARTITIONS partitions by their android_id. Flushes touching the same
# partition of an app serialise on its lock (transaction-scoped advisory lock (app_id, partition)), taken
# in (app, partition) order: a device's counters are computed from what its earlier flushes stored, so
# two flushes never store the same device at once. Flushes of different partitions run side by side;
# the rows they share (the app's rollups, usage, quota) are updated by increments under row locks.
PARTITIONS = 2
LOCK_PARTITIONS = (
    "SELECT pg_advisory_xact_lock(a, p) FROM unnest($1::int[], $2::int[]) AS k(a, p) ORDER BY a, p"
)
# The rows every partition of an app updates (app_daily, app_daily_events, org_usage, the org's quota)
# are written under the app's rollup lock (app_id, PARTITIONS), taken after the partition locks and held
# to the commit: two flushes of one app never wait for each other's rows in opposite orders.
# Every lock of the apps (partitions first, then rollups, as a flush takes them): no flush of them runs
# meanwhile (erasure, registration, app deletion).
LOCK_APPS = f"""SELECT pg_advisory_xact_lock(a, p) FROM unnest($1::int[]) AS a, generate_series(0, {PARTITIONS}) AS p
    ORDER BY p = {PARTITIONS}, a, p"""


def partition(android_id: str) -> int:
    """The partition of an app's device (the same in every process)."""
    return zlib.crc32(android_id.encode()) % PARTITIONS


# Devices seen for the first time: created (rows of the flush's own partitions); per app and first day,
# how many, for STORE_EVENTS to count (as new devices and against the quota) under the rollup lock.
NEW_DEVICES = """
WITH src AS (
    SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[])
        AS s(app_id, android_id, first_at, last_at)
), created AS (
    INSERT INTO devices (app_id, android_id, user_segment, sessions_count, ad_watches, purchases,
                         purchase_revenue, ad_revenue, sessions_30d, ad_watches_30d, purchases_30d,
                         recent_purchases, first_seen_at, last_seen_at, created_at, updated_at)
    SELECT app_id, android_id, 'new', 0, 0, 0, 0, 0, 0, 0, 0, '[]', first_at, last_at, now(), now()
    FROM src
    -- A batch of an app deleted since it was accepted stores nothing (its devices would fail the
    -- foreign key, and the whole flush with them, on every retry).
    WHERE EXISTS (SELECT 1 FROM apps a WHERE a.id = src.app_id)
    ORDER BY app_id, android_id
    ON CONFLICT (app_id, android_id) DO NOTHING
    RETURNING app_id, id, (first_seen_at AT TIME ZONE 'UTC')::date AS day
)
SELECT app_id, day, count(*)::int AS n, array_agg(id) AS ids FROM created GROUP BY app_id, day ORDER BY app_id, day
"""

# Everything else, from exactly the events this statement inserted.
STORE_EVENTS = f"""
WITH stage AS (
    SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                         $8::text[])
        AS s(app_id, android_id, event_type, event_data, created_at, received_at, event_id)
), keys AS MATERIALIZED (
    -- Each distinct device of the flush through the (app_id, android_id) index, never a scan of devices;
    -- materialised, so a device is looked up once per flush rather than once per event.
    SELECT k.app_id, k.android_id, d.id
    FROM unnest($9::int[], $10::text[]) AS k(app_id, android_id)
    CROSS JOIN LATERAL (
        SELECT id FROM devices d WHERE d.app_id = k.app_id AND d.android_id = k.android_id
    ) d
), created AS (
    -- The devices NEW_DEVICES created in this transaction, per app and first day.
    SELECT * FROM unnest($11::int[], $12::date[], $13::int[]) AS c(app_id, day, n)
), rollup_lock AS (
    -- The apps' rollup locks, in app order, taken by the first statement below that updates a row
    -- shared with the app's other partitions (and held to the commit): after every partition lock.
    SELECT count(pg_advisory_xact_lock(x.app_id, {PARTITIONS})) AS taken
    FROM (SELECT DISTINCT app_id FROM unnest($9::int[]) AS k(app_id) ORDER BY app_id) x
), ins AS (
    INSERT INTO events (app_id, device_id, event_type, event_data, created_at, received_at, event_id)
    SELECT s.app_id, k.id, s.event_type, s.event_data::jsonb, s.created_at, s.received_at, s.event_id::uuid
    FROM stage s JOIN keys k ON k.app_id = s.app_id AND k.android_id = s.android_id
    ON CONFLICT (app_id, event_id) DO NOTHING
    -- event_data only where it is read below (purchases): the rows are materialised twice.
    RETURNING id, app_id, device_id, event_type, CASE WHEN event_type = 'purchase' THEN event_data END AS event_data,
        created_at, received_at, event_id
), ev AS (
    SELECT ins.*, (created_at AT TIME ZONE 'UTC')::date AS day,
        (created_at AT TIME ZONE 'UTC')::date > (now() AT TIME ZONE 'UTC')::date - 30 AS recent,
        {PURCHASE_AMOUNT} AS amount
    FROM ins
), dd AS (
    INSERT INTO device_days AS t (device_id, day, app_id, events, sessions, ad_watches, purchases)
    SELECT device_id, day, app_id, count(*),
        count(*) FILTER (WHERE event_type = 'session_start'),
        count(*) FILTER (WHERE event_type = 'ad_watched'),
        count(*) FILTER (WHERE event_type = 'purchase')
    FROM ev GROUP BY device_id, day, app_id ORDER BY device_id, day
    ON CONFLICT (device_id, day) DO UPDATE SET
        events = t.events + EXCLUDED.events, sessions = t.sessions + EXCLUDED.sessions,
        ad_watches = t.ad_watches + EXCLUDED.ad_watches, purchases = t.purchases + EXCLUDED.purchases
    RETURNING app_id, day, (xmax = 0) AS first_today
), per_device AS (
    SELECT device_id, min(created_at) AS first_at, max(created_at) AS last_at,
        count(*) FILTER (WHERE event_type = 'session_start') AS sessions,
        count(*) FILTER (WHERE event_type = 'ad_watched') AS ad_watches,
        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
        sum(amount) AS revenue,
        count(*) FILTER (WHERE event_type = 'session_start' AND recent) AS sessions_30d,
        count(*) FILTER (WHERE event_type = 'ad_watched' AND recent) AS ad_watches_30d,
        count(*) FILTER (WHERE event_type = 'purchase' AND recent) AS purchases_30d,
        jsonb_agg(jsonb_build_object('product_id', event_data -> 'product_id', 'amount', amount,
                                     'currency', event_data -> 'currency',
                                     'at', to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                  ORDER BY created_at DESC) FILTER (WHERE event_type = 'purchase') AS new_purchases
    FROM ev GROUP BY device_id
), before AS (
    -- The device as it was, with its 30-day sums from the days already stored.
    SELECT d.id, d.first_seen_at, d.last_seen_at, d.recent_purchases, d.user_segment AS old_segment, p.*,
        coalesce(w.sessions, 0) + p.sessions_30d AS s30,
        coalesce(w.ad_watches, 0) + p.ad_watches_30d AS a30,
        coalesce(w.purchases, 0) + p.purchases_30d AS p30,
        LEAST(d.first_seen_at, p.first_at) AS new_first, GREATEST(d.last_seen_at, p.last_at) AS new_last
    FROM per_device p JOIN devices d ON d.id = p.device_id
    LEFT JOIN LATERAL (
        SELECT sum(x.sessions) AS sessions, sum(x.ad_watches) AS ad_watches, sum(x.purchases) AS purchases
        FROM device_days x
        WHERE x.device_id = d.id AND x.day > (now() AT TIME ZONE 'UTC')::date - 30
    ) w ON true
), dev AS (
    UPDATE devices d SET
        first_seen_at = b.new_first,
        last_seen_at = b.new_last,
        sessions_count = d.sessions_count + b.sessions,
        ad_watches = d.ad_watches + b.ad_watches,
        purchases = d.purchases + b.purchases,
        purchase_revenue = d.purchase_revenue + b.revenue,
        sessions_30d = b.s30, ad_watches_30d = b.a30, purchases_30d = b.p30,
        recent_purchases = CASE WHEN b.new_purchases IS NULL THEN d.recent_purchases ELSE (
            SELECT coalesce(jsonb_agg(x ORDER BY x ->> 'at' DESC), '[]'::jsonb) FROM (
                SELECT x FROM jsonb_array_elements(b.new_purchases || d.recent_purchases) x
                ORDER BY x ->> 'at' DESC LIMIT 20) y) END,
        user_segment = device_segment(b.new_last, b.new_first, b.s30, b.a30, b.p30, now()),
        updated_at = now()
    FROM before b WHERE d.id = b.id
    RETURNING d.app_id, (b.first_seen_at AT TIME ZONE 'UTC')::date AS old_day,
        (b.new_first AT TIME ZONE 'UTC')::date AS new_day, d.android_id, d.user_segment <> b.old_segment AS moved
), moved AS (
    -- An event older than a device's first sighting moves it to an earlier "new" day.
    SELECT app_id, old_day, new_day FROM dev WHERE new_day <> old_day
), delta AS (
    SELECT app_id, day, sum(active) AS active, sum(new) AS new, sum(events) AS events, sum(sessions) AS sessions,
        sum(ad_watches) AS ad_watches, sum(purchases) AS purchases, sum(revenue) AS revenue
    FROM (
        SELECT app_id, day, 1 AS active, 0 AS new, 0 AS events, 0 AS sessions, 0 AS ad_watches, 0 AS purchases,
            0::numeric AS revenue FROM dd WHERE first_today
        UNION ALL
        SELECT app_id, day, 0, 0, count(*), count(*) FILTER (WHERE event_type = 'session_start'),
            count(*) FILTER (WHERE event_type = 'ad_watched'), count(*) FILTER (WHERE event_type = 'purchase'),
            sum(amount) FROM ev GROUP BY app_id, day
        UNION ALL SELECT app_id, new_day, 0, 1, 0, 0, 0, 0, 0 FROM moved
        UNION ALL SELECT app_id, old_day, 0, -1, 0, 0, 0, 0, 0 FROM moved
        UNION ALL SELECT app_id, day, 0, n, 0, 0, 0, 0, 0 FROM created
    ) u GROUP BY app_id, day
), daily AS (
    INSERT INTO app_daily AS t (app_id, day, active_devices, new_devices, events, sessions, ad_watches, purchases,
                                purchase_revenue)
    SELECT app_id, day, active, new, events, sessions, ad_watches, purchases, revenue
    FROM delta WHERE (SELECT taken FROM rollup_lock) IS NOT NULL ORDER BY app_id, day
    ON CONFLICT (app_id, day) DO UPDATE SET
        active_devices = t.active_devices + EXCLUDED.active_devices,
        new_devices = t.new_devices + EXCLUDED.new_devices,
        events = t.events + EXCLUDED.events, sessions = t.sessions + EXCLUDED.sessions,
        ad_watches = t.ad_watches + EXCLUDED.ad_watches, purchases = t.purchases + EXCLUDED.purchases,
        purchase_revenue = t.purchase_revenue + EXCLUDED.purchase_revenue
), types AS (
    INSERT INTO app_daily_events AS t (app_id, day, event_type, count)
    SELECT app_id, day, event_type, count(*) FROM ev WHERE (SELECT taken FROM rollup_lock) IS NOT NULL
    GROUP BY app_id, day, event_type
    ORDER BY app_id, day, event_type
    ON CONFLICT (app_id, day, event_type) DO UPDATE SET count = t.count + EXCLUDED.count
), usage AS (
    -- Toward the month the events were received in (the quota the API checks), whatever their created_at.
    INSERT INTO org_usage AS t (org_id, month, events)
    SELECT a.org_id, date_trunc('month', ev.received_at AT TIME ZONE 'UTC')::date, count(*)
    FROM ev JOIN apps a ON a.id = ev.app_id
    WHERE (SELECT taken FROM rollup_lock) IS NOT NULL
    GROUP BY a.org_id, date_trunc('month', ev.received_at AT TIME ZONE 'UTC') ORDER BY 1, 2
    ON CONFLICT (org_id, month) DO UPDATE SET events = t.events + EXCLUDED.events
), quota AS (
    -- The created devices take their slots of the org's device quota.
    UPDATE orgs o SET device_count = o.device_count + c.n
    FROM (SELECT a.org_id, sum(created.n) AS n FROM created JOIN apps a ON a.id = created.app_id
          WHERE (SELECT taken FROM rollup_lock) IS NOT NULL GROUP BY a.org_id ORDER BY a.org_id) c
    WHERE o.id = c.org_id
    RETURNING o.id, o.device_count, o.plan
)
-- kind 0: an inserted row (only when asked for), 1: how many were inserted, 2: a device whose segment moved,
-- 3: an org that gained devices, with its device count and plan (for the "device quota full" mark).
SELECT 0 AS kind, id, device_id, event_id::text AS event_id FROM ins WHERE $1
UNION ALL SELECT 1, count(*), NULL, NULL FROM ins
UNION ALL SELECT 2, app_id, NULL, android_id FROM dev WHERE moved
UNION ALL SELECT 3, id, device_count, plan FROM quota
"""


@dataclass
class FlushResult:
    """What one flush stored: how many events, how many devices were new, and (when asked for,
    e.g. for the live stream) the inserted rows by event id."""

    stored: int = 0
    new_devices: int = 0
    inserted: dict[str, tuple[int, int]] = field(default_factory=dict)  # event_id -> (id, device_id)
    moved: list[tuple[int, str]] = field(default_factory=list)  # (app_id, android_id) whose segment changed
    orgs: dict[int, tuple[int, str]] = field(default_factory=dict)  # org that gained devices -> (count, plan)
    created: dict[int, list[int]] = field(default_factory=dict)  # app_id -> ids of the devices it created


def _columns(batches: list[dict[str, Any]]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The flush as column arrays: (events' columns, devices' columns with first and last time)."""
    app_ids: list[int] = []
    android_ids: list[str] = []
    types: list[str] = []
    data: list[str] = []
    created: list[datetime] = []
    received: list[datetime] = []
    event_ids: list[str] = []
    seen: dict[tuple[int, str], list[datetime]] = {}
    utc = UTC
    from_ts = datetime.fromtimestamp
    for batch in batches:
        app_id, received_ms = batch["app_id"], batch["received_ms"]
        received_at = from_ts(received_ms / 1000, utc)
        for android_id, event_type, event_data, created_ms, event_id in batch["events"]:
            at = received_at if created_ms == received_ms else from_ts(created_ms / 1000, utc)
            app_ids.append(app_id)
            android_ids.append(android_id)
            types.append(event_type)
            data.append(event_data)
            created.append(at)
            received.append(received_at)
            event_ids.append(event_id)
            span = seen.get((app_id, android_id))
            if span is None:
                seen[(app_id, android_id)] = [at, at]
            elif at < span[0]:
                span[0] = at
            elif at > span[1]:
                span[1] = at
    # Sorted, so concurrent flushes lock devices in the same order.
    keys = sorted(seen)
    devices = [
        [k[0] for k in keys],
        [k[1] for k in keys],
        [seen[k][0] for k in keys],
        [seen[k][1] for k in keys],
    ]
    return [app_ids, android_ids, types, data, created, received, event_ids], devices


async def store_batches(
    conn: asyncpg.Connection, batches: list[dict[str, Any]], want_rows: bool = False
) -> FlushResult:
    """Store the batches (ingest messages) in one transaction; safe to repeat. With `want_rows`
    the inserted rows come back too (they cost a result row per event, so only when needed)."""
    events, devices = _columns(batches)
    locks = sorted({(app_id, partition(android_id)) for app_id, android_id in zip(devices[0], devices[1])})
    async with conn.transaction():
        await conn.execute(LOCK_PARTITIONS, [a for a, _ in locks], [p for _, p in locks])
        created = await conn.fetch(NEW_DEVICES, *devices)
        result = await conn.fetch(
            STORE_EVENTS,
            want_rows,
            *events,
            devices[0],
            devices[1],
            [r["app_id"] for r in created],
            [r["day"] for r in created],
            [r["n"] for r in created],
        )
    out = FlushResult(new_devices=sum(r["n"] for r in created))
    for row in created:
        out.created.setdefault(row["app_id"], []).extend(row["ids"])
    for kind, number, device_id, text in result:
        if kind == 0:
            out.inserted[text] = (number, device_id)
        elif kind == 1:
            out.stored = number
        elif kind == 2:
            out.moved.append((number, text))
        else:
            out.orgs[number] = (device_id, text)
    return out
