"""A push to --devices devices through the FCM stand-in: wall time (goal: 100,000 in under 60 s) and the
worker's peak memory (goal: under 300 MB), with a raw baseline in the same run.

Starts the FCM stand-in (`vaimanasoft standin fcm`, its own process) and the platform (`vaimanasoft up` in a
temporary data folder, FCM_API_BASE at the stand-in: the services of DATABASE_URL / REDIS_URL when set,
embedded ones otherwise). Stores the devices with FCM tokens (one statement), uploads a service account whose
token_uri is the stand-in's, sends one push to `all`, and times the request to the push's final status,
sampling the RSS of the worker processes (the Dramatiq worker tree) every 100 ms. Baseline: the bench posts
--baseline FCM v1 messages to the stand-in itself (httpx, 100 at once) and the rate is scaled to the same
count.

    python bench/push.py --devices 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.flags import free_port, wait_ready  # noqa: E402
from bench.ingest import setup  # noqa: E402
from bench.webhooks import runtime_urls  # noqa: E402


def service_account(fcm: str) -> dict[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "type": "service_account",
        "project_id": f"bench-{uuid.uuid4().hex[:8]}",
        "private_key": key.decode(),
        "client_email": "bench@bench.iam.gserviceaccount.com",
        "token_uri": f"{fcm}/token",
    }


class PeakRss:
    """Samples the summed RSS of the platform's worker processes."""

    def __init__(self, root_pid: int) -> None:
        self.root = psutil.Process(root_pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _workers(self) -> list[psutil.Process]:
        found = []
        for proc in self.root.children(recursive=True):
            try:
                if "worker" in " ".join(proc.cmdline()) or "dramatiq" in " ".join(proc.cmdline()):
                    found.append(proc)
            except psutil.Error:
                pass
        return found

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for proc in self._workers():
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def push(base: str, db_url: str, fcm: str, devices: int) -> tuple[float, dict]:
    key, app_id, _ = await setup(base, db_url)
    conn = await asyncpg.connect(db_url)
    try:
        org_id = await conn.fetchval("SELECT org_id FROM apps WHERE id = $1", app_id)
        email = await conn.fetchval("SELECT email FROM users WHERE org_id = $1", org_id)
        await conn.execute(
            "INSERT INTO devices (app_id, android_id, fcm_token, user_segment, sessions_count, ad_watches, purchases, "
            "purchase_revenue, ad_revenue, sessions_30d, ad_watches_30d, purchases_30d, recent_purchases, "
            "first_seen_at, last_seen_at, created_at, updated_at) SELECT $1, 'bench-' || n, 'token-' || n, 'new', "
            "0, 0, 0, 0, 0, 0, 0, 0, '[]', now(), now(), now(), now() FROM generate_series(1, $2) n",
            app_id,
            devices,
        )
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=60) as http:
        token = (await http.post("/auth/login", json={"email": email, "password": "bench-password"})).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        (
            await http.put(f"/apps/{app_id}/fcm-credentials", json=service_account(fcm), headers=auth)
        ).raise_for_status()
        started = time.perf_counter()
        r = await http.post(
            "/notifications/send",
            json={"app_id": app_id, "target": "all", "title": "Bench", "body": "A push to everyone"},
            headers=auth,
        )
        r.raise_for_status()
        nid = r.json()["notification_id"]
        while True:
            listed = (await http.get("/notifications", params={"app_id": app_id}, headers=auth)).json()
            mine = next(n for n in listed["notifications"] if n["id"] == nid)
            if mine["status"] not in ("sending", "scheduled"):
                return time.perf_counter() - started, mine
            await asyncio.sleep(0.2)


async def baseline(fcm: str, count: int) -> float:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as http:
        token = (
            await http.post(
                f"{fcm}/token",
                data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "x"},
            )
        ).json()["access_token"]
        sem = asyncio.Semaphore(100)

        async def one(n: int) -> None:
            message = {"message": {"token": f"raw-{n}", "notification": {"title": "Bench", "body": "x"}}}
            async with sem:
                r = await http.post(
                    f"{fcm}/v1/projects/raw/messages:send",
                    json=message,
                    headers={"Authorization": f"Bearer {token}"},
                )
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument(
        "--baseline", type=int, default=5_000, help="raw messages posted for the baseline rate"
    )
    parser.add_argument("--worker-processes", default=os.environ.get("WORKER_PROCESSES", "1"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vs-bench-push-"))
    port, fcm_port = free_port(), free_port()
    fcm = f"http://127.0.0.1:{fcm_port}"
    env = {
        **os.environ,
        "DATA_DIR": str(work / "data"),
        "RATE_LIMIT_SCALE": os.environ.get("RATE_LIMIT_SCALE", "100"),
        "WORKER_PROCESSES": str(args.worker_processes),
        "FCM_API_BASE": fcm,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    standin = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "standin", "fcm", "--port", str(fcm_port), "--keep", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    platform = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "up", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{fcm}/_standin/messages", standin)
        wait_ready(f"{base}/api/v4/health", platform)
        db_url = os.environ.get("DATABASE_URL") or runtime_urls(work)["database_url"]
        with PeakRss(platform.pid) as rss:
            idle = 0
            time.sleep(1)
            idle = rss.peak
            wall, result = asyncio.run(push(base, db_url, fcm, args.devices))
        raw = asyncio.run(baseline(fcm, args.baseline))
        counted = httpx.get(f"{fcm}/_standin/messages", params={"limit": 0}).json()["count"]
    finally:
        for proc in (platform, standin):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    raw_wall = args.devices / raw
    print(
        f"push to {args.devices:,} devices: status {result['status']}, sent {result['sent']:,}, failed "
        f"{result['failed']:,}; the stand-in counted {counted - args.baseline:,} platform messages"
    )
    print(
        f"{'platform: request to final status':44} {wall:8.1f} s   ({args.devices / wall:,.0f} messages/s; goal < 60 s)"
    )
    print(f"{'raw baseline (bench posts, 100 at once)':44} {raw_wall:8.1f} s   ({raw:,.0f} messages/s)")
    print(f"{'ratio platform / raw time':44} {wall / raw_wall:8.2f}")
    print(
        f"{'worker peak RSS (all worker processes)':44} {rss.peak / 2**20:8.0f} MB (idle {idle / 2**20:.0f} MB; goal < 300 MB)"
    )


if __name__ == "__main__":
    main()
