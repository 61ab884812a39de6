"""Dashboard routes and a custom-segment recalculation against one sequential scan of the app's events.

Seed a large history and run the platform the way the README says, e.g.

    vaimanasoft demo --devices 200000 --days 90 --events-per-device 50     # about 10,000,000 events
    RATE_LIMIT_SCALE=100 vaimanasoft up

then, from the same folder (the database is found through .vaimanasoft/runtime.json, or DATABASE_URL):

    python bench/dashboard.py --email demo@vaimanasoft.local --password <printed by demo>

It signs in, takes the organisation's app with the most events, times each dashboard route
(median of --repeat calls, through HTTP) and a custom segment's recalculation (a job, waited
for), and in the same run times `SELECT count(*) FROM events WHERE app_id = $1` as a sequential
scan (index scans switched off for that session; median of --repeat). Prints each time and its
ratio to the scan. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx

SCAN = "SELECT count(*) FROM events WHERE app_id = $1"


def database_url(args: argparse.Namespace) -> str:
    if args.database_url or os.environ.get("DATABASE_URL"):
        return args.database_url or os.environ["DATABASE_URL"]
    runtime = Path(args.data_dir) / "runtime.json"
    if runtime.exists():
        return json.loads(runtime.read_text())["database_url"]
    sys.exit("Give --database-url (or DATABASE_URL), or run from the folder where `vaimanasoft up` runs")


async def timed(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of `repeat` calls (after one warm-up call)."""
    await call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def add_common_arguments(parser: argparse.ArgumentParser, repeat: int) -> None:
    """The options bench/dashboard.py and bench/analytics.py share."""
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="demo@vaimanasoft.local")
    parser.add_argument("--password", required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".vaimanasoft"))
    parser.add_argument("--repeat", type=int, default=repeat)


async def sign_in(http: httpx.AsyncClient, args: argparse.Namespace) -> list[dict]:  # type: ignore[type-arg]
    """Log in (the token goes on every later request); the organisation's apps."""
    r = await http.post("/auth/login", json={"email": args.email, "password": args.password})
    r.raise_for_status()
    http.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return (await http.get("/apps")).json()["apps"]


async def busiest_app(conn: asyncpg.Connection, apps: list[dict]) -> tuple[int, int]:  # type: ignore[type-arg]
    """The app with the most events (by its rollups), and its events counted."""
    counts = {
        a["id"]: await conn.fetchval(
            "SELECT coalesce(sum(events), 0) FROM app_daily WHERE app_id = $1", a["id"]
        )
        for a in apps
    }
    app_id = max(counts, key=lambda a: counts[a])
    return app_id, await conn.fetchval(SCAN, app_id)


async def scan_seconds(conn: asyncpg.Connection, app_id: int, repeat: int) -> float:
    """Median seconds of the baseline: the app's events counted by a sequential scan (index scans off)."""

    async def scan() -> None:
        async with conn.transaction():
            await conn.execute(
                "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; "
                "SET LOCAL enable_bitmapscan = off"
            )
            await conn.fetchval(SCAN, app_id)

    return await timed(scan, repeat)


def print_table(title: str, scan_s: float, repeat: int, label: str, results: dict[str, float]) -> None:
    """Each timing in ms and as a multiple of the scan."""
    print(f"{title}; sequential scan (count(*) WHERE app_id) {scan_s * 1000:,.1f} ms (median of {repeat})")
    width = max(40, *(len(name) + 2 for name in results))
    print(f"{label:{width}} {'ms':>10} {'x scan':>8}")
    for name, seconds in results.items():
        print(f"{name:{width}} {seconds * 1000:10.1f} {seconds / scan_s:8.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, repeat=5)
    args = parser.parse_args()
    db_url = database_url(args)

    async with httpx.AsyncClient(base_url=f"{args.url}/api/v4", timeout=600) as http:
        apps = await sign_in(http, args)
        conn = await asyncpg.connect(db_url)
        try:
            app_id, events = await busiest_app(conn, apps)
            scan_s = await scan_seconds(conn, app_id, args.repeat)
        finally:
            await conn.close()

        def get(path: str, **params: object):  # type: ignore[no-untyped-def]
            async def call() -> None:
                response = await http.get(path, params={"app_id": app_id, **params})
                response.raise_for_status()

            return call

        routes = {
            "overview": get("/dashboard/overview"),
            "segments": get("/dashboard/segments"),
            "devices (page 1)": get("/dashboard/devices"),
            "devices (country + segment filter)": get("/dashboard/devices", country="DE", segment="active"),
            "devices (search)": get("/dashboard/devices", search="samsung"),
            "trends (30 days)": get("/dashboard/trends", days=30),
            "trends (365 days)": get("/dashboard/trends", days=365),
            "countries": get("/dashboard/countries"),
            "revenue (30 days)": get("/dashboard/revenue", days=30),
            "events (7 days)": get("/dashboard/events", days=7),
        }
        results = {name: await timed(call, args.repeat) for name, call in routes.items()}

        r = await http.post(
            "/segments",
            json={
                "app_id": app_id,
                "name": "bench: engaged in DE/US",
                "logic": "AND",
                "rules": [
                    {"field": "session_count_30d", "operator": "gte", "value": 2},
                    {"field": "days_inactive", "operator": "lt", "value": 14},
                ],
            },
        )
        r.raise_for_status()
        segment_id = r.json()["id"]
        try:

            async def recalculate() -> None:
                response = await http.post(f"/segments/{segment_id}/recalculate", params={"wait": 30})
                response.raise_for_status()
                if response.status_code != 200:
                    sys.exit("the recalculation took longer than 30 s")

            results["segment recalculation"] = await timed(recalculate, max(1, args.repeat // 2))
        finally:
            await http.delete(f"/segments/{segment_id}")

    print_table(f"app {app_id}: {events:,} events", scan_s, args.repeat, "route", results)


if __name__ == "__main__":
    asyncio.run(main())
