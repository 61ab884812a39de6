"""Webhook deliveries/s to a local receiver, and ingest events/s with and without 10 webhooks on `*`, in
one run.

Starts the platform (`vaimanasoft up` in a temporary data folder: the services of DATABASE_URL /
REDIS_URL when set, embedded ones otherwise; rate limiter on, scaled by --rate-limit-scale;
WEBHOOK_ALLOW_PRIVATE_TARGETS on for the loopback receiver) and the webhook receiver stand-in
(`vaimanasoft standin webhook_receiver`, its own process).

1. Deliveries: an app with one webhook on page_view; --events page_view events are sent as SDK batches of 50 and the
   time from the first request to the receiver holding them all gives deliveries/s. Baseline in the
   same run: the bench itself POSTs the same number of signed bodies of the same size to the receiver
   (httpx, --concurrency at once).
2. Ingest: wrk (Debian package `wrk`) loads POST /events/batch for --duration seconds on an app without
   webhooks, then on an app with 10 webhooks on `*`; events/s is first request to last event stored
   (the ingest queue drained), as bench/ingest.py measures it. Deliveries of the second run go on after
   it (they wait behind ingest: lower priority).

    python bench/webhooks.py --events 5000 --duration 20
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
from bench.ingest import LUA, parse_wrk, setup, stored_count  # noqa: E402
from pipelines import outbound  # noqa: E402


def runtime_urls(work: Path, timeout: float = 120) -> dict[str, str]:
    """The embedded services `vaimanasoft up` started (it writes runtime.json just after it answers)."""
    path = work / "data" / "runtime.json"
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            sys.exit(f"{path} did not appear")
        time.sleep(0.2)
    return json.loads(path.read_text())


async def received(receiver: str) -> int:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"{receiver}/_standin/received")).json()["count"]


async def reset(receiver: str) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{receiver}/_standin/reset")


async def token_for(base: str, db_url: str) -> tuple[str, int, str]:
    key, app_id, _ = await setup(base, db_url)
    conn = await asyncpg.connect(db_url)
    try:
        org_id = await conn.fetchval("SELECT org_id FROM apps WHERE id = $1", app_id)
        email = await conn.fetchval("SELECT email FROM users WHERE org_id = $1", org_id)
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=30) as http:
        r = await http.post("/auth/login", json={"email": email, "password": "bench-password"})
        r.raise_for_status()
        return key, app_id, r.json()["token"]


async def add_webhooks(base: str, token: str, app_id: int, url: str, count: int, events: list[str]) -> None:
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=30) as http:
        for i in range(count):
            r = await http.post(
                "/webhooks",
                json={"app_id": app_id, "name": f"bench {i}", "url": url, "events": events},
                headers={"Authorization": f"Bearer {token}"},
            )
            r.raise_for_status()


async def send_events(base: str, key: str, events: int) -> None:
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=60) as http:
        sem = asyncio.Semaphore(16)

        async def batch(n: int) -> None:
            body = {
                "events": [
                    {
                        "android_id": f"dev-{n % 500}",
                        "event_type": "page_view",
                        "event_data": {"screen": "s", "n": i},
                    }
                    for i in range(50)
                ]
            }
            async with sem:
                r = await http.post("/events/batch", json=body, headers={"X-SDK-Key": key})
                r.raise_for_status()

        await asyncio.gather(*(batch(n) for n in range(events // 50)))


async def deliveries_per_second(base: str, db_url: str, receiver: str, events: int) -> tuple[float, int]:
    key, app_id, token = await token_for(base, db_url)
    await add_webhooks(base, token, app_id, f"{receiver}/hook", 1, ["page_view"])
    await asyncio.sleep(1)  # the workers' caches see the new webhook
    await reset(receiver)
    started = time.perf_counter()
    await send_events(base, key, events)
    deadline = started + 900
    while await received(receiver) < events and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    return events / (time.perf_counter() - started), await received(receiver)


async def raw_posts_per_second(receiver: str, count: int, concurrency: int) -> float:
    secret = outbound.new_signing_secret()
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "event": "page_view",
            "app_id": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "data": {"event_id": str(uuid.uuid4()), "event_data": {"screen": "s", "n": 1}},
        }
    ).encode()
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as http:
        sem = asyncio.Semaphore(concurrency)

        async def one(n: int) -> None:
            headers = outbound.signature_headers(secret, str(n), "page_view", body)
            async with sem:
                (await http.post(f"{receiver}/hook", content=body, headers=headers)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


async def ingest_run(
    base: str, db_url: str, broker_url: str, key: str, app_id: int, args: argparse.Namespace
) -> float:
    script = Path(tempfile.mkdtemp()) / "ingest.lua"
    script.write_text(LUA % {"key": key, "devices": 10_000, "per_batch": 1})
    conn = await asyncpg.connect(db_url)
    before = await stored_count(conn, app_id)
    started = time.perf_counter()
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"{base}/api/v4/events/batch",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    load = parse_wrk(out)
    broker = redis.Redis.from_url(broker_url)
    while broker.hlen("dramatiq:ingest.msgs"):
        await asyncio.sleep(0.02)
    elapsed = time.perf_counter() - started
    stored = await stored_count(conn, app_id) - before
    await conn.close()
    print(f"  {load['requests']} requests, non-2xx {load['non2xx']}, stored {stored} events")
    return stored / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=5000, help="events delivered in part 1")
    parser.add_argument("--concurrency", type=int, default=16, help="the baseline's POSTs at once")
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk load per ingest run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate-limit-scale", default=os.environ.get("RATE_LIMIT_SCALE", "100"))
    parser.add_argument("--worker-threads", default=os.environ.get("WORKER_THREADS", "32"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="vs-bench-webhooks-"))
    port, receiver_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(work / "data"),
        "RATE_LIMIT_SCALE": str(args.rate_limit_scale),
        "WORKER_THREADS": str(args.worker_threads),
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    platform = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "up", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    receiver_proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "standin", "webhook_receiver", "--port", str(receiver_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, receiver = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{receiver_port}"
    try:
        wait_ready(f"{base}/api/v4/health", platform)
        wait_ready(f"{receiver}/_standin/received", receiver_proc)
        runtime = {} if os.environ.get("DATABASE_URL") else runtime_urls(work)
        db_url = os.environ.get("DATABASE_URL") or runtime["database_url"]
        broker_url = os.environ.get("REDIS_URL") or runtime["redis_url"]
        rate, got = asyncio.run(deliveries_per_second(base, db_url, receiver, args.events))
        raw = asyncio.run(raw_posts_per_second(receiver, args.events, args.concurrency))
        print(f"deliveries: {got} of {args.events} events delivered")
        print(f"{'platform deliveries/s (SDK request to received)':52} {rate:10,.0f}")
        print(f"{'raw signed POSTs/s from the bench (baseline)':52} {raw:10,.0f}")
        print(f"{'ratio platform / baseline':52} {rate / raw:10.2f}")
        print("ingest without webhooks:")
        key, app_id, _ = asyncio.run(token_for(base, db_url))
        plain = asyncio.run(ingest_run(base, db_url, broker_url, key, app_id, args))
        key, app_id, token = asyncio.run(token_for(base, db_url))
        asyncio.run(add_webhooks(base, token, app_id, f"{receiver}/hook", 10, ["*"]))
        time.sleep(1)
        print("ingest with 10 webhooks on *:")
        hooked = asyncio.run(ingest_run(base, db_url, broker_url, key, app_id, args))
        print(f"{'ingest events/s without webhooks':52} {plain:10,.0f}")
        print(f"{'ingest events/s with 10 webhooks on *':52} {hooked:10,.0f}")
        print(f"{'ratio with / without (goal >= 0.8)':52} {hooked / plain:10.2f}")
    finally:
        for proc in (receiver_proc, platform):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
