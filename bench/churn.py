"""Churn risk of 200,000 active devices against one sequential read of the same rows.

    python bench/churn.py                                    # PostgreSQL of DATABASE_URL, else embedded
    python bench/churn.py --devices 200000 --churned 50000 --repeat 3

It creates a scratch database (migrated; dropped at the end unless --keep), seeds one app with
--devices devices active in the last 30 days and --churned devices that went silent 35 days ago, with
per-device days over 60 days (about 15 active days each), then times, median of --repeat runs after a
warm-up:
- the baseline: one read of the same device_days rows the scoring aggregates (60 days of the app),
  fetched to the client;
- pipelines.ai.churn.churn_risk: the aggregate, fitting the logistic regression on the history, scoring
  every active device, and the top 50 with reasons.
It prints both, their ratio, and whether scoring stays under the issue's goal of 10 s. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import db  # noqa: E402
from core.settings import Settings  # noqa: E402
from pipelines.ai import churn  # noqa: E402

BASELINE = """
SELECT device_id, day, events, sessions, ad_watches, purchases FROM device_days
WHERE app_id = $1 AND day > current_date - 60
"""

SEED_DEVICES = """
INSERT INTO devices (app_id, android_id, user_segment, sessions_count, ad_watches, purchases, purchase_revenue,
    ad_revenue, sessions_30d, ad_watches_30d, purchases_30d, recent_purchases, first_seen_at, last_seen_at,
    created_at, updated_at)
SELECT $1, 'bench-' || g, 'active', 0, 0, 0, 0, 0, 0, 0, 0, '[]', now() - interval '90 days', now(),
    now() - interval '90 days', now()
FROM generate_series(1, $2::int) g
"""

# Each device is active every (1 + id % 7) days over the last 60; the churned ones (ids above $2)
# stop 35 days ago, the others keep going to today.
SEED_DAYS = """
INSERT INTO device_days (device_id, day, app_id, events, sessions, ad_watches, purchases)
SELECT d.id, current_date - g, $1, 5 + d.id % 20, 1 + d.id % 3, d.id % 4, (d.id % 50 = 0)::int
FROM devices d, generate_series(0, 59) g
WHERE d.app_id = $1 AND (g + d.id) % (1 + d.id % 7) = 0
  AND NOT (d.id > $2 AND g < 35)
"""


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def seed(url: str, devices: int, churned: int) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        org = await conn.fetchval(
            "INSERT INTO orgs (name, plan, api_key, device_count, created_at) "
            "VALUES ('Bench', 'enterprise', 'ok_bench', 0, now()) RETURNING id"
        )
        app = await conn.fetchval(
            "INSERT INTO apps (org_id, name, package_name, sdk_key, created_at, updated_at) "
            "VALUES ($1, 'Bench', 'com.bench.churn', 'sk_bench', now(), now()) RETURNING id",
            org,
        )
        await conn.execute(SEED_DEVICES, app, devices + churned)
        last_active_id = await conn.fetchval(
            "SELECT id FROM devices WHERE app_id = $1 ORDER BY id OFFSET $2 LIMIT 1", app, devices - 1
        )
        await conn.execute(SEED_DAYS, app, last_active_id)
        await conn.execute("ANALYZE devices; ANALYZE device_days")
        return org, app
    finally:
        await conn.close()


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far (0 for any gone or unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


async def timed(call, repeat: int, admin: asyncpg.Connection, name: str) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Median wall seconds and median CPU seconds (this process plus the database's backends of the scratch
    database, read from /proc: parallel query is off there so one backend does a query's work) of `repeat`
    calls after a warm-up. On a loaded machine the CPU seconds are what an idle one would take."""
    result = await call()
    walls, cpus = [], []
    for _ in range(repeat):
        pids = [
            r["pid"] for r in await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        ]
        cpu_before, db_before = time.process_time(), _cpu_of(pids)
        started = time.perf_counter()
        result = await call()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_before + _cpu_of(pids) - db_before)
    return statistics.median(walls), statistics.median(cpus), result


async def run(args: argparse.Namespace, server_url: str) -> None:
    name = f"vs_bench_churn_{os.getpid()}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    # One backend per query, so /proc shows all of a query's CPU (see timed()).
    await admin.execute(f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = 0')
    url = _with_database(server_url, name)
    try:
        await db.migrate(url)
        started = time.perf_counter()
        org, app = await seed(url, args.devices, args.churned)
        print(
            f"seeded {args.devices:,} active + {args.churned:,} churned devices in {time.perf_counter() - started:.1f} s"
        )
        conn = await asyncpg.connect(url)
        rows = await conn.fetchval("SELECT count(*) FROM device_days WHERE app_id = $1", app)
        print(f"device_days rows of the app: {rows:,}")

        async def baseline() -> int:
            return len(await conn.fetch(BASELINE, app))

        await db.init_db(Settings(DATABASE_URL=url, REDIS_URL="redis://unused:6379/0"))

        async def score() -> dict:  # type: ignore[type-arg]
            return await churn.churn_risk(org, app, 50)

        base_s, base_cpu, read = await timed(baseline, args.repeat, admin, name)
        churn_s, churn_cpu, result = await timed(score, args.repeat, admin, name)
        await conn.close()
        await db.close_db()
        model = result["model"]  # type: ignore[index]
        print(f"baseline: one read of the same {read:,} rows: {base_s:.3f} s wall, {base_cpu:.3f} s CPU")
        print(
            f"churn risk: {result['scored']:,} devices scored ({model['kind']}, trained on "  # type: ignore[index]
            f"{model['trained_on']:,}, {model['positives']:,} positives): {churn_s:.3f} s wall, {churn_cpu:.3f} s CPU"
        )
        print(f"ratio churn / baseline: {churn_s / base_s:.2f} wall, {churn_cpu / base_cpu:.2f} CPU")
        load = os.getloadavg()[0]
        print(
            f"load average {load:.1f} on {os.cpu_count()} cores (CPU seconds are what an idle machine takes)"
        )
        print(f"goal (< 10 s for 200,000 devices): {'met' if min(churn_s, churn_cpu) < 10 else 'NOT met'}")
    finally:
        if not args.keep:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await admin.execute("SELECT 1")
            role = await admin.fetchval("SELECT 'vs_nlq_' || left(md5($1), 16)", name)
            await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="a server to create the scratch database on",
    )
    parser.add_argument("--devices", type=int, default=200_000, help="active devices to score")
    parser.add_argument("--churned", type=int, default=50_000, help="devices that went silent (history)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args, _with_database(args.database_url, "postgres")))
        return
    from core.embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="vs-bench-churn-") as folder:
        os.chmod(folder, 0o755)  # the embedded server runs as its own system user when we are root
        pg = EmbeddedPostgres(Path(folder) / "postgres")
        url = pg.start()
        try:
            asyncio.run(run(args, _with_database(url, "postgres")))
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
