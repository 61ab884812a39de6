"""POST /events/batch at the device-quota door: an org under its quota against one marked full, in one run.

Starts the platform (`vaimanasoft up` in a temporary data folder: the services of DATABASE_URL /
REDIS_URL when set, the embedded ones otherwise; rate limiter on, scaled by --rate-limit-scale) and
creates two pro orgs, each with an app and DEVICES registered devices. Org B's device counter is then set
to the pro limit and its "device quota full" mark set, as the ingest flush would. wrk (Debian `wrk`)
sends batches of EVENTS events from the registered devices of one org, then the other, then batches
from devices org B has never seen (all refused, 403). Prints requests/s and p50/p99 of each and the
ratios to the under-quota org: the under-quota path is the baseline (run first and last, averaged); the
marked path adds one database query per batch, which the under-quota path must not pay. Each case starts
once the worker has stored every batch queued before it.

    python bench/quota_door.py --duration 15 --connections 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.flags import free_port, wait_ready  # noqa: E402
from bench.ingest import parse_wrk  # noqa: E402

PRO_DEVICES = 100_000
WRK_SCRIPT = """
local key = os.getenv("BENCH_SDK_KEY")
local prefix = os.getenv("BENCH_PREFIX")
local devices = tonumber(os.getenv("BENCH_DEVICES"))
local per_batch = tonumber(os.getenv("BENCH_EVENTS"))
local n = 0
request = function()
  n = n + 1
  local events = {}
  for i = 1, per_batch do
    events[i] = string.format('{"android_id":"%s%d","event_type":"screen_view","event_data":{"screen":"home"}}',
      prefix, (n + i) % devices)
  end
  return wrk.format("POST", "/api/v4/events/batch",
    {["X-SDK-Key"] = key, ["Content-Type"] = "application/json"}, '{"events":[' .. table.concat(events, ",") .. ']}')
end
"""


async def make_org(base: str, database_url: str, devices: int) -> tuple[int, str]:
    """A pro org with one app and `devices` registered devices `bench-0..`; (org id, SDK key)."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=30) as http:
        r = await http.post(
            "/auth/register",
            json={
                "name": "Bench",
                "email": f"bench-{uuid.uuid4().hex[:10]}@example.com",
                "password": "bench-password",
                "org_name": "Bench",
            },
        )
        r.raise_for_status()
        token, org_id = r.json()["token"], r.json()["user"]["org_id"]
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("UPDATE orgs SET plan = 'pro' WHERE id = $1", org_id)
        finally:
            await conn.close()
        package = f"com.bench.door{uuid.uuid4().hex[:6]}"
        r = await http.post(
            "/apps",
            json={"name": "Bench", "package_name": package},
            headers={"Authorization": f"Bearer {token}"},
        )
        r.raise_for_status()
        key = r.json()["sdk_key"]
        sem = asyncio.Semaphore(16)

        async def register(n: int) -> None:
            async with sem:
                body = {"android_id": f"bench-{n}"}
                (
                    await http.post("/devices/register", json=body, headers={"X-SDK-Key": key})
                ).raise_for_status()

        await asyncio.gather(*(register(n) for n in range(devices)))
        return org_id, key


def run_wrk(base: str, key: str, prefix: str, args: argparse.Namespace, script: str, duration: int) -> dict:
    env = {
        **os.environ,
        "BENCH_SDK_KEY": key,
        "BENCH_PREFIX": prefix,
        "BENCH_DEVICES": str(args.devices),
        "BENCH_EVENTS": str(args.events),
    }
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
        ]
        + ["-s", script, base],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result = parse_wrk(out.stdout)
    result["rps"] = result["requests"] / duration
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per case")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--devices", type=int, default=200, help="registered devices per org")
    parser.add_argument("--events", type=int, default=5, help="events per batch")
    parser.add_argument("--rate-limit-scale", default=os.environ.get("RATE_LIMIT_SCALE", "1000"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    if float(args.rate_limit_scale) <= 0:
        sys.exit("The benchmark runs with the rate limiter on: RATE_LIMIT_SCALE must be > 0")

    work = Path(tempfile.mkdtemp(prefix="vs-bench-door-"))
    script = work / "door.lua"
    script.write_text(WRK_SCRIPT)
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(work / "data"),
        "RATE_LIMIT_SCALE": str(args.rate_limit_scale),
        "LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    platform = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "up", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/api/v4/health", platform)
        database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        if not database_url:
            runtime_file = work / "data" / "runtime.json"  # written by `up` just after its health check
            for _ in range(300):
                if runtime_file.exists():
                    break
                time.sleep(0.1)
            runtime = json.loads(runtime_file.read_text())
            database_url, redis_url = runtime["database_url"], runtime["redis_url"]
        (_, under_key), (full_org, full_key) = (
            asyncio.run(make_org(base, database_url, args.devices)),
            asyncio.run(make_org(base, database_url, args.devices)),
        )

        async def fill() -> None:
            conn = await asyncpg.connect(database_url)
            try:
                await conn.execute("UPDATE orgs SET device_count = $2 WHERE id = $1", full_org, PRO_DEVICES)
            finally:
                await conn.close()

        asyncio.run(fill())
        redis.Redis.from_url(redis_url).set(f"quota:devices_full:{full_org}", 1)
        cases = {
            "under quota": (under_key, "bench-"),
            "marked, known": (full_key, "bench-"),
            "marked, new (403)": (full_key, "never-seen-"),
        }
        queue = redis.Redis.from_url(redis_url)

        def drained() -> None:
            """Wait until the worker stored every queued batch, so no case pays for the last one's."""
            for _ in range(1200):
                if not queue.llen("dramatiq:ingest") and not queue.hlen("dramatiq:ingest.msgs"):
                    return
                time.sleep(0.25)

        results: dict[str, dict] = {}
        # The baseline runs first and last (its mean is used): a drift of the machine shows as their gap.
        for name in [*cases, "under quota"]:
            key, prefix = cases[name]
            drained()
            run_wrk(base, key, prefix, args, str(script), 3)  # warm-up: caches, connections
            drained()
            result = run_wrk(base, key, prefix, args, str(script), args.duration)
            if name in results:
                first = results[name]
                print(
                    f"under quota, first and last run: {first['rps']:.0f} and {result['rps']:.0f} requests/s"
                )
                result = {k: (first[k] + result[k]) / 2 for k in ("rps", "p50_ms", "p99_ms", "non2xx")}
            results[name] = result
    finally:
        if platform.poll() is None:
            platform.terminate()
            try:
                platform.wait(60)
            except subprocess.TimeoutExpired:
                platform.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"POST /events/batch: {args.events} events per batch from {args.devices} devices, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, RATE_LIMIT_SCALE={args.rate_limit_scale}"
    )
    print(f"{'case':<18} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:<18} {r['rps']:>11.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non2xx']:>8}")
    under = results["under quota"]
    for name in ("marked, known", "marked, new (403)"):
        r = results[name]
        print(
            f"ratio {name} / under quota: requests/s {r['rps'] / under['rps']:.2f}, "
            f"p50 {r['p50_ms'] / under['p50_ms']:.2f}x, p99 {r['p99_ms'] / under['p99_ms']:.2f}x"
        )


if __name__ == "__main__":
    main()
