"""Funnel, retention and paths against one sequential scan of the app's events.

Seed a large history and run the platform the way the README says, e.g.

    vaimanasoft demo --devices 200000 --days 90 --events-per-device 50     # about 10,000,000 events
    RATE_LIMIT_SCALE=100 vaimanasoft up

then, from the same folder (the database is found through .vaimanasoft/runtime.json, or DATABASE_URL):

    python bench/analytics.py --password <printed by demo>

It signs in, takes the organisation's app with the most events and times, through HTTP (median of
--repeat calls, each waited for): a 4-step funnel over the last --days days (session_start, the app's two
most frequent other event types, purchase; 24 h window), 8 weeks of retention, and paths of depth 5 from
session_start. In the same run it times `SELECT count(*) FROM events WHERE app_id = $1` as a sequential
scan (index scans switched off for that session), as bench/dashboard.py does. Prints each time and its
ratio to the scan. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard import (
    add_common_arguments,
    busiest_app,
    database_url,
    print_table,
    scan_seconds,
    sign_in,
    timed,
)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_common_arguments(parser, repeat=3)
    parser.add_argument("--days", type=int, default=90, help="the funnel's and the paths' period")
    args = parser.parse_args()
    db_url = database_url(args)

    async with httpx.AsyncClient(base_url=f"{args.url}/api/v4", timeout=600) as http:
        apps = await sign_in(http, args)
        conn = await asyncpg.connect(db_url)
        try:
            app_id, events = await busiest_app(conn, apps)
            common = [
                r["event_type"]
                for r in await conn.fetch(
                    "SELECT event_type FROM app_daily_events WHERE app_id = $1 "
                    "AND event_type NOT IN ('session_start', 'purchase') GROUP BY 1 ORDER BY sum(count) DESC LIMIT 2",
                    app_id,
                )
            ]
            scan_s = await scan_seconds(conn, app_id, args.repeat)
        finally:
            await conn.close()

        today = datetime.now(UTC).date()
        period = {"from": (today - timedelta(days=args.days - 1)).isoformat(), "to": today.isoformat()}
        steps = ["session_start", *common, "purchase"]

        def job(path: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
            async def call() -> None:
                response = await http.post(
                    path, params={"wait": 30}, json={"app_id": app_id, **period, **body}
                )
                response.raise_for_status()
                if response.status_code != 200:
                    sys.exit(f"{path} took longer than 30 s")

            return call

        async def retention() -> None:
            response = await http.get("/analytics/retention", params={"app_id": app_id, "weeks": 8})
            response.raise_for_status()

        routes = {
            f"funnel ({' > '.join(steps)})": job("/analytics/funnel", {"steps": steps, "window_hours": 24}),
            "retention (8 weeks)": retention,
            "paths (session_start, depth 5)": job(
                "/analytics/paths", {"start_event": "session_start", "depth": 5}
            ),
        }
        results = {name: await timed(call, args.repeat) for name, call in routes.items()}

    print_table(
        f"app {app_id}: {events:,} events, period {period['from']}..{period['to']}",
        scan_s,
        args.repeat,
        "analysis",
        results,
    )


if __name__ == "__main__":
    asyncio.run(main())
