"""GET /sdk/flags against a bare Sanic app serving a same-size JSON document, in one run.

Starts the platform (`vaimanasoft up` in a temporary data folder: the services of DATABASE_URL /
REDIS_URL when set, the embedded ones otherwise) with the rate limiter on, scaled by
RATE_LIMIT_SCALE, and a bare one-route Sanic app (one process each). Creates an app with FLAGS
flags (boolean and multivariate, some targeted) and DEVICES registered devices, then loads each
server with wrk (Debian package `wrk`) at the same concurrency, cycling over the devices, and
prints requests/s, p50/p99 of both and their ratio, and the in-process evaluation cost per flag.

    python bench/flags.py --duration 15 --connections 32
"""

from __future__ import annotations

import argparse
import asyncio
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

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "sdk" / "python")]

from vaimanasoft_sdk import AsyncVaimanasoft  # noqa: E402

from bench.ingest import parse_wrk  # noqa: E402

WRK_SCRIPT = """
local key = os.getenv("BENCH_SDK_KEY")
local devices = tonumber(os.getenv("BENCH_DEVICES"))
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v4/sdk/flags?android_id=bench-" .. (n % devices), {["X-SDK-Key"] = key})
end
"""


def bare_app(port: int, body_file: str) -> None:
    """A Sanic app with the one route, answering a fixed JSON document (the baseline)."""
    from sanic import HTTPResponse, Sanic

    body = Path(body_file).read_bytes()
    app = Sanic("bare", configure_logging=False)
    app.config.update(ACCESS_LOG=False, MOTD=False, AUTO_EXTEND=False)  # Sanic alone, no sanic-ext

    @app.get("/api/v4/sdk/flags")
    async def flags(request):  # type: ignore[no-untyped-def]
        return HTTPResponse(
            body, headers={"Cache-Control": "private, max-age=60"}, content_type="application/json"
        )

    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{url}: the server exited ({proc.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit(f"{url}: not ready within {timeout} s")


FLAG_SPECS = [
    {"flag_type": "boolean", "rollout_pct": 50},
    {
        "flag_type": "multivariate",
        "variants": [
            {"key": "a", "value": "#22C55E", "weight": 50},
            {"key": "b", "value": "#F59E0B", "weight": 50},
        ],
    },
    {"flag_type": "boolean", "segments": ["new", "active"]},
    {"flag_type": "boolean", "countries": ["DE", "AT", "CH"]},
    {"flag_type": "boolean", "min_app_version": "2.1.0"},
]


async def setup(base: str, database_url: str, flags: int, devices: int) -> tuple[str, list[dict]]:
    """An enterprise org (no device quota) with one app, its flags and registered devices."""
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
            await conn.execute("UPDATE orgs SET plan = 'enterprise' WHERE id = $1", org_id)
        finally:
            await conn.close()
        auth = {"Authorization": f"Bearer {token}"}
        r = await http.post("/apps", json={"name": "Bench", "package_name": "com.bench.flags"}, headers=auth)
        r.raise_for_status()
        key, app_id = r.json()["sdk_key"], r.json()["id"]
        created = []
        for i in range(flags):
            spec = FLAG_SPECS[i % len(FLAG_SPECS)]
            r = await http.post(
                "/flags",
                headers=auth,
                json={"app_id": app_id, "flag_key": f"bench_flag_{i}", "is_enabled": True, **spec},
            )
            r.raise_for_status()
            created.append(r.json())
        sem = asyncio.Semaphore(16)
        async with AsyncVaimanasoft(key, f"{base}/api/v4", background=False) as sdk:  # the Python SDK

            async def register(n: int) -> None:
                async with sem:
                    country, version = ["DE", "US", "IN"][n % 3], ["2.0.3", "2.1.0", "2.4.1"][n % 3]
                    await sdk.register(f"bench-{n}", country=country, app_version=version)

            await asyncio.gather(*(register(n) for n in range(devices)))
        return key, created


def run_wrk(base: str, key: str, args: argparse.Namespace, script: str, duration: int) -> dict[str, float]:
    env = {**os.environ, "BENCH_SDK_KEY": key, "BENCH_DEVICES": str(args.devices)}
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{duration}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            script,
            base,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result = parse_wrk(out.stdout)
    result["rps"] = result["requests"] / duration
    return result


def evaluation_cost(flags: list[dict], rounds: int = 20_000) -> float:
    """Microseconds per flag of pipelines.flags.evaluate_all, in this process."""
    from types import SimpleNamespace

    from pipelines.flags import DeviceAttrs, compile_flag, evaluate_all

    compiled = [compile_flag(SimpleNamespace(**f)) for f in flags]  # type: ignore[arg-type]
    device = DeviceAttrs(segment="active", country="DE", app_version="2.4.1")
    ids = [f"bench-{n}" for n in range(1000)]
    started = time.perf_counter()
    for i in range(rounds):
        evaluate_all(compiled, ids[i % 1000], device)
    return (time.perf_counter() - started) / rounds / len(compiled) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--flags", type=int, default=10)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate-limit-scale", default=os.environ.get("RATE_LIMIT_SCALE", "100"))
    parser.add_argument("--bare-app", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_app:
        bare_app(int(args.bare_app[0]), args.bare_app[1])
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    if float(args.rate_limit_scale) <= 0:
        sys.exit("The benchmark runs with the rate limiter on: RATE_LIMIT_SCALE must be > 0")

    work = Path(tempfile.mkdtemp(prefix="vs-bench-flags-"))
    script = work / "flags.lua"
    script.write_text(WRK_SCRIPT)
    port, bare_port = free_port(), free_port()
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
    bare = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/api/v4/health", platform)
        database_url = os.environ.get("DATABASE_URL")
        if not database_url:
            import json

            database_url = json.loads((work / "data" / "runtime.json").read_text())["database_url"]
        key, flags = asyncio.run(setup(base, database_url, args.flags, args.devices))
        sample = httpx.get(
            f"{base}/api/v4/sdk/flags", params={"android_id": "bench-1"}, headers={"X-SDK-Key": key}
        )
        sample.raise_for_status()
        body_file = work / "body.json"
        body_file.write_bytes(sample.content)
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare-app", str(bare_port), str(body_file)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait_ready(f"{bare_base}/api/v4/sdk/flags", bare)

        results = {}
        for name, url in (("bare sanic", bare_base), ("platform", base)):
            run_wrk(url, key, args, str(script), 3)  # warm-up: caches, connections
            results[name] = run_wrk(url, key, args, str(script), args.duration)
        cost = evaluation_cost(flags)
    finally:
        for proc in (bare, platform):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"GET /sdk/flags: {args.flags} flags, {args.devices} devices, {len(sample.content)}-byte documents, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, RATE_LIMIT_SCALE={args.rate_limit_scale}"
    )
    print(f"{'server':<12} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:<12} {r['rps']:>11.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['non2xx']:>8}")
    platform_r, bare_r = results["platform"], results["bare sanic"]
    print(
        f"ratio platform / bare: requests/s {platform_r['rps'] / bare_r['rps']:.2f}, "
        f"p50 {platform_r['p50_ms'] / bare_r['p50_ms']:.2f}x, p99 {platform_r['p99_ms'] / bare_r['p99_ms']:.2f}x"
    )
    print(f"evaluation cost: {cost:.2f} us per flag (pipelines.flags.evaluate_all, in-process)")


if __name__ == "__main__":
    main()
