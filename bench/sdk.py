"""The Python SDK's sending path against raw HTTP posts of the same events, in one run.

Start the platform the way the README says, with the rate limiter on and scaled, e.g.

    RATE_LIMIT_SCALE=100 vaimanasoft up

then, from the same folder (the embedded database is found through .vaimanasoft/runtime.json):

    python bench/sdk.py --events 50000 --clients 8

It creates an enterprise organisation with one app and sends EVENTS events (1,000 devices) over
CLIENTS concurrent senders, twice:

- raw: httpx.AsyncClient POSTs of batches of 50, their JSON built before the clock starts;
- sdk: one AsyncVaimanasoft per sender, each with its own SQLite queue file: track() of every
  event (validation and the queue write), then flush() (batches read back from the queue, sent
  with sent_at, removed once accepted).

Each phase is timed from its first send until the platform accepted everything (202), and again
until everything is stored (the worker); the next phase starts once the previous one is stored,
so the two do not share the worker. Printed: events/s of both, their ratio, the SDK's track() cost
per event and the stored counts (each event_id once). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "sdk" / "python")]

from vaimanasoft_sdk import AsyncVaimanasoft  # noqa: E402
from vaimanasoft_sdk._core import make_event  # noqa: E402

from bench.ingest import database_url, setup  # noqa: E402

TYPES = ("session_start", "page_view", "page_view", "feature_used", "ad_watched", "session_end")


def events_for(sender: int, count: int, clients: int) -> list[dict]:
    """The events of one sender: (android_id, name, props), spread over 1,000 devices."""
    out = []
    for i in range(sender, count, clients):
        out.append(
            {
                "android_id": f"sdk-bench-{i % 1000}",
                "name": TYPES[i % len(TYPES)],
                "props": {"screen": f"s{i % 20}", "n": i},
            }
        )
    return out


async def raw_phase(url: str, key: str, shares: list[list[dict]]) -> float:
    """Seconds to have every batch accepted, posting pre-built JSON bodies."""
    bodies = [
        [
            json.dumps(
                {
                    "events": [make_event(e["android_id"], e["name"], e["props"]) for e in share[i : i + 50]],
                    "sent_at": "2026-01-01T00:00:00.000Z",
                }
            ).encode()
            for i in range(0, len(share), 50)
        ]
        for share in shares
    ]

    async def post_all(batches: list[bytes]) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            for body in batches:
                r = await http.post(
                    f"{url}/events/batch",
                    content=body,
                    headers={"X-SDK-Key": key, "Content-Type": "application/json"},
                )
                r.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(post_all(b) for b in bodies))
    return time.perf_counter() - started


async def sdk_phase(url: str, key: str, shares: list[list[dict]], work: Path) -> tuple[float, float]:
    """(seconds of track() for all events, seconds until every event was accepted) through the SDK."""
    clients = [
        AsyncVaimanasoft(key, url, work / f"queue-{i}.db", background=False) for i in range(len(shares))
    ]
    started = time.perf_counter()
    for client, share in zip(clients, shares):
        for e in share:
            client.track(e["android_id"], e["name"], e["props"])
    tracked = time.perf_counter() - started
    results = await asyncio.gather(*(c.flush(timeout=120) for c in clients))
    total = time.perf_counter() - started
    for client in clients:
        await client.close(timeout=0)
    if any(r.pending or r.dropped for r in results):
        sys.exit(f"the SDK did not send everything: {results}")
    return tracked, total


async def wait_stored(db: str, app_id: int, expected: int) -> tuple[int, int]:
    conn = await asyncpg.connect(db)
    try:
        deadline = time.perf_counter() + 600
        while True:
            count = await conn.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id)
            if count >= expected or time.perf_counter() > deadline:
                distinct = await conn.fetchval(
                    "SELECT count(DISTINCT event_id) FROM events WHERE app_id = $1", app_id
                )
                return count, distinct
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--data-dir", default=".vaimanasoft")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    db = database_url(args)
    key, app_id, limit = await setup(args.url, db)
    if not limit:
        sys.exit("Run the platform with the rate limiter on (RATE_LIMIT_SCALE > 0), scaled up")
    api = f"{args.url}/api/v4"
    shares = [events_for(i, args.events, args.clients) for i in range(args.clients)]
    work = Path(tempfile.mkdtemp(prefix="vs-bench-sdk-"))

    raw_started = time.perf_counter()
    raw = await raw_phase(api, key, shares)
    raw_count, _ = await wait_stored(db, app_id, args.events)
    raw_stored = time.perf_counter() - raw_started

    sdk_started = time.perf_counter()
    tracked, sdk = await sdk_phase(api, key, shares, work)
    count, distinct = await wait_stored(db, app_id, 2 * args.events)
    sdk_stored = time.perf_counter() - sdk_started

    n = args.events
    print(f"rate limiter on: sdk tier X-RateLimit-Limit {limit}/min; {n} events, {args.clients} senders")
    print(f"{'raw httpx posts, accepted':34} {n / raw:10,.0f} events/s")
    print(f"{'SDK track + flush, accepted':34} {n / sdk:10,.0f} events/s   (ratio to raw {raw / sdk:.2f})")
    print(f"{'SDK track() per event':34} {tracked / n * 1e6:10.1f} us   (validation + queue write)")
    print(f"{'raw, first post to all stored':34} {n / raw_stored:10,.0f} events/s")
    print(
        f"{'SDK, first track to all stored':34} {n / sdk_stored:10,.0f} events/s   (ratio {raw_stored / sdk_stored:.2f})"
    )
    print(f"stored: {raw_count} after raw, {count} in all, {distinct} distinct event ids (expected {2 * n})")


if __name__ == "__main__":
    asyncio.run(main())
