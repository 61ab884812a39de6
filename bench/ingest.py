"""End-to-end ingest throughput against a running platform, and a raw COPY baseline in the same run.

Start the platform the way the README says, with the rate limiter on and scaled, e.g.

    RATE_LIMIT_SCALE=100 WORKER_THREADS=64 vaimanasoft up

then, from the same folder (so the embedded database is found through .vaimanasoft/runtime.json):

    python bench/ingest.py --duration 30 --connections 32

Load comes from wrk (Debian package `wrk`): concurrent POST /events/batch of 50 events each
(the same SDK key; each batch from one of 10,000 devices, as an SDK sends its own events;
a realistic mix of event types). Meanwhile a probe sends a
batch with known event ids every 250 ms and times how long until it is stored. When wrk
stops, the bench waits until every accepted event is in the events table. The baseline then
COPYs the same rows into a copy of the events table with the same indexes (asyncpg
copy_records_to_table, 5,000 rows per COPY, and also 50 per COPY). Nothing is asserted;
the figures are printed.

With `--rate N` the load is paced at about N events/s (each connection waits between requests),
so the latencies are those at that load rather than under as much load as the platform takes:

    python bench/ingest.py --duration 30 --connections 32 --rate 15000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import redis

LUA = r"""
local key = "%(key)s"
local devices = %(devices)d
local per_batch = %(per_batch)d
local types = {"session_start", "page_view", "page_view", "page_view", "feature_used", "ad_watched",
               "ad_watched", "session_end", "purchase"}
local counter = 0
setup = function(thread) end
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) %% 100000)
end
request = function()
  counter = counter + 1
  local parts = {}
  local dev = "bench-" .. math.random(1, devices)
  for i = 1, 50 do
    if per_batch > 1 and i %% math.ceil(50 / per_batch) == 1 then dev = "bench-" .. math.random(1, devices) end
    local t = types[math.random(#types)]
    local data
    if t == "purchase" then
      data = '{"amount":' .. (math.random(99, 999) / 100) .. ',"currency":"USD","product_id":"gems"}'
    else
      data = '{"screen":"s' .. math.random(1, 20) .. '","n":' .. i .. '}'
    end
    parts[i] = '{"android_id":"' .. dev .. '","event_type":"' .. t .. '","event_data":' .. data .. '}'
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v4/events/batch",
                    {["Content-Type"] = "application/json", ["X-SDK-Key"] = key}, body)
end
"""

# With --rate: each connection waits this long between requests (wrk's delay()), so the load is
# paced at about the given events/s instead of as fast as the platform answers.
PACING = r"""
delay = function()
  return %(delay_ms).3f
end
"""


def _runtime(args: argparse.Namespace) -> dict[str, str]:
    runtime = Path(args.data_dir) / "runtime.json"
    return json.loads(runtime.read_text()) if runtime.exists() else {}


def redis_url(args: argparse.Namespace) -> str:
    url = (
        args.redis_url
        or os.environ.get("BROKER_URL")
        or os.environ.get("REDIS_URL")
        or _runtime(args).get("redis_url")
    )
    if not url:
        sys.exit("Give --redis-url (the broker's Redis), or run from the folder where `vaimanasoft up` runs")
    return url


def database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    runtime = Path(args.data_dir) / "runtime.json"
    if runtime.exists():
        return json.loads(runtime.read_text())["database_url"]
    sys.exit("Give --database-url (or DATABASE_URL), or run from the folder where `vaimanasoft up` runs")


async def setup(base: str, db_url: str) -> tuple[str, int, str]:
    """A fresh org on the enterprise plan (no quotas) with one app: (sdk_key, app_id, limit header)."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=30) as http:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        r = await http.post(
            "/auth/register",
            json={"name": "Bench", "email": email, "password": "bench-password", "org_name": "Bench"},
        )
        r.raise_for_status()
        token, org_id = r.json()["token"], r.json()["user"]["org_id"]
        conn = await asyncpg.connect(db_url)
        try:
            await conn.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", org_id)
        finally:
            await conn.close()
        r = await http.post(
            "/apps",
            json={"name": "Bench", "package_name": f"com.bench.a{uuid.uuid4().hex[:8]}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        key, app_id = r.json()["sdk_key"], r.json()["id"]
        r = await http.post(
            "/devices/register", json={"android_id": "bench-probe"}, headers={"X-SDK-Key": key}
        )
        r.raise_for_status()
        limit = r.headers.get("X-RateLimit-Limit", "")
        return key, app_id, limit


async def probe(base: str, key: str, db_url: str, app_id: int, stop: asyncio.Event, out: list[float]) -> int:
    """Every 250 ms a batch with known ids; records seconds from request to stored. Returns events sent."""
    sent = 0
    conn = await asyncpg.connect(db_url)
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=30) as http:
        try:
            while not stop.is_set():
                ids = [str(uuid.uuid4()) for _ in range(50)]
                body = {
                    "events": [
                        {"android_id": "bench-probe", "event_type": "page_view", "event_id": i} for i in ids
                    ]
                }
                t0 = time.perf_counter()
                r = await http.post("/events/batch", json=body, headers={"X-SDK-Key": key})
                if r.status_code == 202:
                    sent += 50
                    while (
                        await conn.fetchval(
                            "SELECT count(*) FROM events WHERE app_id = $1 AND event_id = ANY($2::uuid[])",
                            app_id,
                            ids,
                        )
                        < 50
                    ):
                        await asyncio.sleep(0.05)
                    out.append(time.perf_counter() - t0)
                await asyncio.sleep(0.25)
        finally:
            await conn.close()
    return sent


def parse_wrk(output: str) -> dict[str, float]:
    def latency(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "socket_errors": errors.group(1) if errors else "",
    }


async def stored_count(conn: asyncpg.Connection, app_id: int) -> int:
    return await conn.fetchval("SELECT count(*) FROM events WHERE app_id = $1", app_id)


async def baseline(db_url: str, app_id: int, rows_per_copy: int) -> float:
    """rows/s of COPYing the run's rows into a copy of the events table with the same indexes."""
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT app_id, device_id, event_type, event_data::text, created_at, received_at, event_id "
            "FROM events WHERE app_id = $1",
            app_id,
        )
        await conn.execute("DROP TABLE IF EXISTS bench_events_copy")
        await conn.execute("CREATE TABLE bench_events_copy (LIKE events INCLUDING ALL)")
        await conn.execute(
            "ALTER TABLE bench_events_copy ALTER COLUMN id SET DEFAULT nextval('events_id_seq')"
        )
        columns = ["app_id", "device_id", "event_type", "event_data", "created_at", "received_at", "event_id"]
        records = [tuple(r) for r in rows]
        t0 = time.perf_counter()
        for i in range(0, len(records), rows_per_copy):
            await conn.copy_records_to_table(
                "bench_events_copy", records=records[i : i + rows_per_copy], columns=columns
            )
        elapsed = time.perf_counter() - t0
        await conn.execute("DROP TABLE bench_events_copy")
        return len(records) / elapsed
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None, help="the broker's Redis (to see the queue drain)")
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", ".vaimanasoft"))
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--devices-per-batch", type=int, default=1)
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="offered events/s (paced; latencies at that load); 0: as fast as the platform answers",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    db_url = database_url(args)
    key, app_id, limit = await setup(args.url, db_url)
    if not limit:
        sys.exit(
            "The platform answers without X-RateLimit-* headers: run it with the limiter on "
            "(RATE_LIMIT_SCALE > 0), scaled up, so its cost is in the figure"
        )
    script = Path(tempfile.mkdtemp()) / "ingest.lua"
    lua = LUA % {"key": key, "devices": args.devices, "per_batch": args.devices_per_batch}
    if args.rate > 0:
        lua += PACING % {"delay_ms": args.connections * 50 * 1000 / args.rate}
    script.write_text(lua)
    conn = await asyncpg.connect(db_url)
    before = await stored_count(conn, app_id)
    stop = asyncio.Event()
    latencies: list[float] = []
    probe_task = asyncio.create_task(probe(args.url, key, db_url, app_id, stop, latencies))
    started = time.perf_counter()
    wrk = await asyncio.create_subprocess_exec(
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"{args.url}/api/v4/events/batch",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = (await wrk.communicate())[0].decode()
    stop.set()
    probe_events = await probe_task
    load = parse_wrk(output)
    # wrk counts completed requests only; those in flight when it stopped were accepted too. The run
    # ends when the ingest queue has no message left (each is acknowledged after its commit); the
    # table is counted once, afterwards (counting it while polling would load the database).
    expected = before + (load["requests"] - load["non2xx"]) * 50 + probe_events
    broker = redis.Redis.from_url(redis_url(args))
    deadline = time.perf_counter() + 600
    while broker.hlen("dramatiq:ingest.msgs") and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    finished = time.perf_counter()
    count = await stored_count(conn, app_id)
    await conn.close()
    stored = count - before
    end_to_end = stored / (finished - started)
    raw_5000 = await baseline(db_url, app_id, 5000)
    raw_50 = await baseline(db_url, app_id, 50)
    p95 = (
        statistics.quantiles(latencies, n=20)[18]
        if len(latencies) >= 20
        else max(latencies, default=float("nan"))
    )
    print(f"rate limiter on: sdk tier X-RateLimit-Limit {limit}/min")
    offered = f"paced at {args.rate:,.0f} events/s" if args.rate > 0 else "as fast as answered"
    print(
        f"load: {load['requests']} requests of 50 events over {args.duration}s, {args.connections} connections, "
        f"{offered} (accepted {load['requests'] * 50 / args.duration:,.0f} events/s), "
        f"non-2xx {load['non2xx']} {load['socket_errors']}"
    )
    print(
        f"stored: {stored} events (accepted by completed requests: {expected - before}; the rest were in flight)"
    )
    print(f"{'end-to-end ingest':32} {end_to_end:10,.0f} events/s   (first request to last event stored)")
    print(f"{'raw COPY, 5000 rows per COPY':32} {raw_5000:10,.0f} rows/s")
    print(f"{'raw COPY, 50 rows per COPY':32} {raw_50:10,.0f} rows/s")
    print(f"{'ratio to raw COPY (5000/50)':32} {end_to_end / raw_5000:10.2f}  / {end_to_end / raw_50:.2f}")
    print(f"{'request latency p50 / p99':32} {load['p50_ms']:8.1f} ms / {load['p99_ms']:.1f} ms")
    print(f"{'request to stored p95':32} {p95 * 1000:8.0f} ms   ({len(latencies)} probes)")


if __name__ == "__main__":
    asyncio.run(main())
