"""`vaimanasoft up` without DATABASE_URL / REDIS_URL: embedded services, the platform, clean stops, data kept.

Each test runs the real command as a subprocess in its own session, with a fresh DATA_DIR, as a
self-hoster would from a shell. `up` runs with its defaults (PROXIES_COUNT=0), so every request
comes from 127.0.0.1 and shares one auth budget (10 per 5 minutes, kept in the embedded Redis, which
persists across restarts): each test stays well under it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from core.settings import Settings
from tests.support import PASSWORD, free_port, unique_email

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

HEALTH_TIMEOUT = 60  # the bound for `up` to answer /health
STOP_TIMEOUT = 40  # `up` stops its children within 20 s, then the embedded servers


def _up_command() -> list[str]:
    script = Path(sys.executable).with_name("vaimanasoft")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli"]


@dataclass(frozen=True)
class ProcessId:
    """A process by pid and start time (a pid alone may be reused)."""

    pid: int
    created: float
    cmdline: str

    @classmethod
    def of(cls, process: psutil.Process) -> ProcessId:
        with process.oneshot():
            return cls(process.pid, process.create_time(), " ".join(process.cmdline()))

    def running(self) -> bool:
        try:
            process = psutil.Process(self.pid)
            return process.create_time() == self.created and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False


def processes_using(data_dir: Path) -> set[ProcessId]:
    """Live processes tied to DATA_DIR: PostgreSQL (`-D <DATA_DIR>/postgres`), Redis (its working
    directory is `--dir <DATA_DIR>/redis`; redis-server rewrites its own command line), and whatever
    inherited `up`'s environment (DATA_DIR=<DATA_DIR>), wherever it was reparented."""
    found = set()
    marker = str(data_dir)
    for process in psutil.process_iter():
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            cmdline = " ".join(process.cmdline())
            try:
                cwd = process.cwd()
                inherited = process.environ().get("DATA_DIR") == marker
            except (psutil.AccessDenied, FileNotFoundError):
                cwd, inherited = "", False
            if marker in cmdline or cwd == marker or cwd.startswith(marker + os.sep) or inherited:
                found.add(ProcessId.of(process))
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


@dataclass
class Up:
    """One `vaimanasoft up` process and its log."""

    data_dir: Path
    cwd: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Up:
        self.cwd.mkdir(parents=True, exist_ok=True)
        # No platform setting leaks in from the test run (it sets DATABASE_URL, SECRET_KEY, ENV, ...).
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in Settings.model_fields and k not in ("VAIMANASOFT_PROCESS", "PROMETHEUS_MULTIPROC_DIR")
        }
        env.update(DATA_DIR=str(self.data_dir), PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - open while `up` runs; closed in stop()
        self.process = subprocess.Popen(
            [*_up_command(), "up", "--port", str(self.port)],
            env=env,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self) -> str:
        return "\n--- up output (tail) ---\n" + self.output()[-6000:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self) -> dict[str, Any]:
        deadline = time.monotonic() + HEALTH_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            assert self.alive(), f"`up` exited early with {self.process.returncode}{self.tail()}"
            try:
                r = httpx.get(f"{self.base}/api/v4/health", timeout=5)
                last = f"{r.status_code} {r.text[:300]}"
                if r.status_code == 200 and r.json()["status"] == "ok":
                    return r.json()
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise AssertionError(f"/health not ok within {HEALTH_TIMEOUT}s (last: {last}){self.tail()}")

    def wait_banner(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(r"Vaimanasoft is up: (http://\S+)", self.output())
            if match:
                return match.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no 'Vaimanasoft is up' line{self.tail()}")

    def owned(self) -> set[ProcessId]:
        """Every process of this `up`: its descendants and the embedded servers."""
        assert self.process is not None
        owned = set()
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                owned.add(ProcessId.of(child))
            except psutil.NoSuchProcess:  # short-lived (pg_ctl, initdb) and already gone
                continue
        return owned | processes_using(self.data_dir)

    def stop(self, sig: signal.Signals, group: bool = False) -> int:
        """Send `sig` (to the process group when `group`, as a terminal's Ctrl-C does); the exit code."""
        assert self.process is not None
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"`up` still running {STOP_TIMEOUT}s after {sig.name}{self.tail()}"
            ) from None
        finally:
            self._log.close()

    def kill_everything(self) -> None:
        """Last-resort cleanup after a failed test: nothing of ours may outlive it."""
        left: set[ProcessId] = set()
        if self.process is not None and self.process.poll() is None:
            left = self.owned()  # the children run in sessions of their own: a group kill misses them
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for process in left | processes_using(self.data_dir):
            if process.running():
                try:
                    psutil.Process(process.pid).kill()
                except psutil.NoSuchProcess:
                    pass


def assert_all_gone(up: Up, owned: set[ProcessId], grace: float = 5) -> None:
    deadline = time.monotonic() + grace
    while True:
        left = {p for p in owned if p.running()} | processes_using(up.data_dir)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not left, f"processes left behind: {[(p.pid, p.cmdline) for p in left]}{up.tail()}"


def assert_embedded_servers_among(owned: set[ProcessId], data_dir: Path) -> None:
    # Guards the leftover check itself: it must be able to see the servers it claims are gone.
    postgres = [p for p in owned if f"-D {data_dir / 'postgres'}" in p.cmdline]
    redis = [p for p in owned if "redis-server" in p.cmdline]
    assert postgres, f"embedded PostgreSQL not found among {[p.cmdline for p in owned]}"
    assert redis, f"embedded Redis not found among {[p.cmdline for p in owned]}"


@pytest.fixture
def ups() -> Any:
    """Registers started `up` processes; whatever a failed test leaves running is killed."""
    started: list[Up] = []

    def track(up: Up) -> Up:
        started.append(up)
        return up

    yield track
    for up in started:
        up.kill_everything()


def test_up__embedded_default__serves_stops_cleanly_and_keeps_data(workdir: Path, ups: Any) -> None:
    data_dir = workdir / "data"
    email = unique_email("selfhost")

    # Given no DATABASE_URL / REDIS_URL / BROKER_URL, a fresh data folder and working directory
    first = ups(Up(data_dir, workdir / "cwd1", workdir / "up1.log")).start()

    # When it has started, Then it is healthy within a minute and says where it listens
    health = first.wait_healthy()
    assert health["database"]["status"] == "ok" and health["redis"]["status"] == "ok"
    assert first.wait_banner() == first.base

    # And a new user can register, log in, create an app and list it (2 auth requests)
    with httpx.Client(base_url=f"{first.base}/api/v4", timeout=30) as http:
        r = http.post(
            "/auth/register",
            json={"name": "Ann", "email": email, "password": PASSWORD, "org_name": "Self-hosted"},
        )
        assert r.status_code == 201, r.text
        login = http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        first_token = login.json()["token"]
        auth = {"Authorization": f"Bearer {first_token}"}
        r = http.post("/apps", headers=auth, json={"name": "Demo", "package_name": "com.example.demo"})
        assert r.status_code == 201, r.text
        app = r.json()
        r = http.get("/apps", headers=auth)
        assert r.status_code == 200, r.text
        assert [a["id"] for a in r.json()["apps"]] == [app["id"]]

    # The secret was generated in the data folder, not in the working directory
    secret = (data_dir / "secret_key").read_text().strip()
    assert len(secret) >= 32
    assert not (workdir / "cwd1" / ".vaimanasoft").exists()

    # When SIGTERM reaches `up`, Then it exits 0 and leaves no process of its own behind
    owned = first.owned()
    assert_embedded_servers_among(owned, data_dir)
    assert first.stop(signal.SIGTERM) == 0, first.tail()
    assert_all_gone(first, owned)
    assert "Traceback" not in first.output(), first.tail()

    # When `up` starts again on the same data folder
    second = ups(Up(data_dir, workdir / "cwd2", workdir / "up2.log")).start()
    second.wait_healthy()
    assert second.wait_banner() == second.base

    # Then the data and the secret are the ones of the first run (1 auth request)
    assert (data_dir / "secret_key").read_text().strip() == secret
    with httpx.Client(base_url=f"{second.base}/api/v4", timeout=30) as http:
        me = http.get("/auth/me", headers={"Authorization": f"Bearer {first_token}"})
        assert me.status_code == 200, me.text  # signed with the same persisted SECRET_KEY
        assert me.json()["user"]["email"] == email
        login = http.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        r = http.get("/apps", headers={"Authorization": f"Bearer {login.json()['token']}"})
        assert r.status_code == 200, r.text
        assert [(a["id"], a["package_name"], a["sdk_key"]) for a in r.json()["apps"]] == [
            (app["id"], "com.example.demo", app["sdk_key"])
        ]

    # And `vaimanasoft demo` without any URL seeds this running instance's embedded services
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in Settings.model_fields and k not in ("VAIMANASOFT_PROCESS", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    demo = subprocess.run(
        [*_up_command(), "demo", "--devices", "40", "--days", "5", "--events-per-device", "5", "--seed", "1"],
        env=env,
        cwd=workdir / "cwd2",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    password = re.search(r"password: (\S+)", demo.stdout)
    assert password, demo.stdout
    with httpx.Client(base_url=f"{second.base}/api/v4", timeout=30) as http:
        login = http.post(
            "/auth/login", json={"email": "demo@vaimanasoft.local", "password": password.group(1)}
        )
        assert login.status_code == 200, login.text

    # When Ctrl-C is pressed (SIGINT to the terminal's process group), Then it also stops cleanly
    owned = second.owned()
    assert_embedded_servers_among(owned, data_dir)
    assert second.stop(signal.SIGINT, group=True) == 0, second.tail()
    assert_all_gone(second, owned)
    assert "Traceback" not in second.output(), second.tail()
    assert not (data_dir / "runtime.json").exists()  # its URLs no longer answer


def test_up__sigint_to_the_process__stops_cleanly(workdir: Path, ups: Any) -> None:
    # Given a running `up` on a fresh data folder
    data_dir = workdir / "data"
    up = ups(Up(data_dir, workdir / "cwd", workdir / "up.log")).start()
    up.wait_healthy()
    up.wait_banner()
    owned = up.owned()
    assert_embedded_servers_among(owned, data_dir)
    # When SIGINT reaches the supervisor alone (`kill -INT <pid>`)
    code = up.stop(signal.SIGINT)
    # Then it exits 0 with its children and embedded servers stopped
    assert code == 0, up.tail()
    assert_all_gone(up, owned)
    assert "Traceback" not in up.output(), up.tail()
    # And PostgreSQL was shut down cleanly (no stale postmaster.pid to trip the next start)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()


def test_up__sigterm_while_starting__exits_and_leaves_nothing(workdir: Path, ups: Any) -> None:
    # Given `up` starting on a fresh data folder, with the embedded PostgreSQL just launched
    data_dir = workdir / "data"
    up = ups(Up(data_dir, workdir / "cwd", workdir / "up.log")).start()
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while not any(f"-D {data_dir / 'postgres'}" in p.cmdline for p in processes_using(data_dir)):
        assert up.alive() and time.monotonic() < deadline, f"embedded PostgreSQL never started{up.tail()}"
        time.sleep(0.05)
    owned = up.owned()
    # When SIGTERM arrives before the platform is up
    up.process.send_signal(signal.SIGTERM)
    try:
        # (a signal during start-up may be acted on once the start-up steps are through)
        code = up.process.wait(timeout=HEALTH_TIMEOUT + STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"`up` still running after SIGTERM during start-up{up.tail()}") from None
    # Then it exits 0 and nothing it started keeps running
    assert code == 0, up.tail()
    assert_all_gone(up, owned)
    assert "Traceback" not in up.output(), up.tail()
