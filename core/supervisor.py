"""`vaimanasoft up`: embedded services, migrations, and the API, worker and scheduler as children."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from core.logging import configure_logging, get_logger
from core.settings import Settings

log = get_logger("supervisor")
RESTART_BACKOFF = (1, 2, 5, 10, 30)
STOP_TIMEOUT = 20.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, env: dict[str, str]) -> None:
        # Own session: Ctrl-C reaches the supervisor only, which then stops children in order.
        self.process = subprocess.Popen(self.argv, env=env, start_new_session=True)
        log.info("supervisor.started", child=self.name, pid=self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        # The child's leader only: it stops its own subprocesses (Dramatiq, Sanic) in order.
        if self.alive():
            assert self.process is not None
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("supervisor.kill", child=self.name)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _wait_healthy(url: str, timeout: float, children: list[Child], stopping: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stopping():
        if not all(c.alive() for c in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def up(settings: Settings, host: str | None = None, port: int | None = None, demo: bool = False) -> None:
    """Run until SIGINT/SIGTERM, then stop children and embedded services cleanly. With `demo`, the
    demo organisation is seeded first when it does not exist yet (`vaimanasoft demo`)."""
    from core import db
    from core.embedded import EmbeddedServices

    configure_logging(settings.LOG_LEVEL, process="supervisor")
    host = host or settings.HOST
    port = port or settings.PORT
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    env = dict(os.environ)
    env.update(
        DATA_DIR=str(settings.DATA_DIR),
        SECRET_KEY=settings.SECRET_KEY,
        ENV=settings.ENV.value,
        HOST=host,
        PORT=str(port),
    )
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    lock = _lock_data_dir(settings.DATA_DIR)
    services = None
    if settings.embedded:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        services = EmbeddedServices(settings.DATA_DIR)
        database_url, redis_url = services.start(settings.EMBEDDED_PG_PORT, settings.EMBEDDED_REDIS_PORT)
        env.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
        log.info("supervisor.embedded_started", data_dir=str(settings.DATA_DIR))
    elif not settings.DATABASE_URL or not settings.REDIS_URL:
        raise SystemExit("Set both DATABASE_URL and REDIS_URL, or neither (embedded default).")
    children: list[Child] = []
    try:
        applied = asyncio.run(db.migrate(env["DATABASE_URL"]))
        log.info("supervisor.migrated", applied=applied)
        cli = [sys.executable, "-m", "core.cli"]
        demo_login = ""
        if demo and not stopping:
            # Its progress goes to the terminal; its login is shown once the platform is up.
            seeded = subprocess.run([*cli, "demo"], env=env, stdout=subprocess.PIPE, text=True, check=False)
            demo_login = seeded.stdout if seeded.returncode == 0 else ""
            if seeded.returncode != 0:
                log.error("supervisor.demo_failed", code=seeded.returncode)
        children = [
            Child("api", [*cli, "serve", "--host", host, "--port", str(port)]),
            Child("worker", [*cli, "worker"]),
            Child("scheduler", [*cli, "scheduler"]),
        ]
        for child in children:
            child.start(env)
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        base = f"http://{shown}:{port}"
        if _wait_healthy(f"{base}/api/v4/health", 60, children, lambda: stopping):
            # Where local tools (bench/, psql) find the running services.
            runtime = {"url": base, "database_url": env["DATABASE_URL"], "redis_url": env["REDIS_URL"]}
            (settings.DATA_DIR / "runtime.json").write_text(json.dumps(runtime, indent=2))
            print(f"Vaimanasoft is up: {base}  (API {base}/api/v4, docs {base}/docs)", flush=True)
            if demo_login:
                print(demo_login.rstrip(), flush=True)
        elif not stopping:
            log.error("supervisor.not_healthy", url=base)
        _supervise(children, env, lambda: stopping)
    finally:
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            child.terminate()
        for child in children:
            child.wait_or_kill(deadline)
        if services is not None:
            services.stop()
        (settings.DATA_DIR / "runtime.json").unlink(missing_ok=True)  # its URLs no longer answer
        lock.close()
        log.info("supervisor.stopped")


def _lock_data_dir(data_dir: Path) -> TextIO:
    """Hold an exclusive lock on the data folder while `up` runs: a second `up` would share its servers."""
    handle = open(data_dir / "up.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SystemExit(f"`vaimanasoft up` is already running on {data_dir}") from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _supervise(children: list[Child], env: dict[str, str], stopping: object) -> None:
    """Restart children that die, with backoff, until asked to stop."""
    assert callable(stopping)
    while not stopping():
        for child in children:
            if child.alive() or stopping():
                continue
            now = time.monotonic()
            child.restarts = [t for t in child.restarts if now - t < 300]
            delay = RESTART_BACKOFF[min(len(child.restarts), len(RESTART_BACKOFF) - 1)]
            code = child.process.returncode if child.process else None
            log.warning("supervisor.child_exited", child=child.name, code=code, restart_in=delay)
            end = now + delay
            while time.monotonic() < end and not stopping():
                time.sleep(0.1)
            if not stopping():
                child.restarts.append(time.monotonic())
                child.start(env)
        time.sleep(0.2)
