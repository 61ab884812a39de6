"""The `vaimanasoft` CLI as a subprocess: migrate, createadmin, refusing to start without services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import psutil
import pytest

from core.settings import Settings
from tests.support import PASSWORD, TEST_SECRET, Client, unique_email

ROOT = Path(__file__).resolve().parents[2]


def cli_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The parent's environment without any platform setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1", **values)
    return env


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        env=env,
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


async def _applied_migrations(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM aerich ORDER BY id")]
    finally:
        await conn.close()


async def test_migrate__already_migrated__nothing_pending_and_idempotent(
    database_url: str, tmp_path: Path
) -> None:
    # Given the test database, migrated by the suite
    before = await _applied_migrations(database_url)
    env = cli_env(tmp_path, DATABASE_URL=database_url)
    # When `vaimanasoft migrate` runs twice
    first = run_cli("migrate", env=env, cwd=tmp_path)
    second = run_cli("migrate", env=env, cwd=tmp_path)
    # Then both succeed, report nothing applied, and the migration history is unchanged
    for result in (first, second):
        assert result.returncode == 0, result.stderr
        assert "nothing" in result.stdout and "up to date" in result.stdout, result.stdout
    assert before and await _applied_migrations(database_url) == before


async def test_createadmin__new_email__operator_sees_every_orgs_jobs(
    database_url: str, redis_url: str, client: Client, tmp_path: Path
) -> None:
    # Given two organisations, each with a job of its own (no worker: the jobs stay queued)
    job_ids, owners = {}, []
    for org in ("Org A", "Org B"):
        owner = await client.register(org=org)
        owners.append(owner)
        r = await client.request(
            "POST", "/system/selftest", owner["token"], params={"wait": 0}, json={"seconds": 0}
        )
        assert r.status_code in (200, 202), r.text
        job_ids[owner["user"]["org_id"]] = r.json().get("job_id")
    assert all(job_ids.values()), job_ids  # wait=0: each answered 202 with its job id
    own = await client.request("GET", "/system/queue", owners[0]["token"])
    assert own.status_code == 200, own.text
    assert {j["job_id"] for j in own.json()["recent_jobs"]} & set(job_ids.values()) == {
        job_ids[owners[0]["user"]["org_id"]]
    }  # an owner sees only their organisation's jobs
    # When an operator account is created from the command line
    email = unique_email("operator")
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TEST_SECRET, ENV="test"
    )
    result = run_cli("createadmin", "--email", email, "--password", PASSWORD, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert email in result.stdout
    # Then it logs in through the API and the queue view shows every organisation's jobs
    login = await client.request("POST", "/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    queue = await client.request("GET", "/system/queue", token)
    assert queue.status_code == 200, queue.text
    seen = {job["job_id"] for job in queue.json()["recent_jobs"]}
    assert set(job_ids.values()) <= seen


async def test_createadmin__existing_user__promoted_with_new_password(
    database_url: str, redis_url: str, client: Client, tmp_path: Path
) -> None:
    # Given an ordinary owner
    owner = await client.register()
    new_password = "operator-pass-42"
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TEST_SECRET, ENV="test"
    )
    # When createadmin names that email
    result = run_cli(
        "createadmin", "--email", owner["email"], "--password", new_password, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    # Then the account is an operator with the new password, and no second account exists
    assert (
        await client.request("POST", "/auth/login", json={"email": owner["email"], "password": PASSWORD})
    ).status_code == 401
    login = await client.request(
        "POST", "/auth/login", json={"email": owner["email"], "password": new_password}
    )
    assert login.status_code == 200, login.text
    assert login.json()["user"]["id"] == owner["user"]["id"]
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT is_platform_admin FROM users WHERE email = $1", owner["email"])
    finally:
        await conn.close()
    assert [r["is_platform_admin"] for r in rows] == [True]


async def test_createadmin__password_from_environment__used(
    database_url: str, redis_url: str, client: Client, tmp_path: Path
) -> None:
    email = unique_email("operator")
    env = cli_env(
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=TEST_SECRET,
        ENV="test",
        VAIMANASOFT_ADMIN_PASSWORD=PASSWORD,
    )
    result = run_cli("createadmin", "--email", email, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    login = await client.request("POST", "/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text


async def test_createadmin__short_password__nonzero_and_nothing_created(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    email = unique_email("operator")
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TEST_SECRET, ENV="test"
    )
    result = run_cli("createadmin", "--email", email, "--password", "1234567", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "8 characters" in result.stderr
    assert "Traceback" not in result.stderr
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0
    finally:
        await conn.close()


SERVE = ["serve", "--port", "1"]
CREATEADMIN = ["createadmin", "--email", "a@example.com", "--password", PASSWORD]
DATABASE_ONLY = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x"}
REDIS_ONLY = {"REDIS_URL": "redis://127.0.0.1:1/0"}


@pytest.mark.parametrize(
    ("command", "urls"),
    [
        (SERVE, {}),
        (["worker"], {}),
        (["scheduler"], {}),
        (CREATEADMIN, {}),
        (SERVE, DATABASE_ONLY),
        (["scheduler"], DATABASE_ONLY),
        (SERVE, REDIS_ONLY),
        (["worker"], REDIS_ONLY),
    ],
    ids=[
        "serve",
        "worker",
        "scheduler",
        "createadmin",
        "serve-database-only",
        "scheduler-database-only",
        "serve-redis-only",
        "worker-redis-only",
    ],
)
def test_command__services_not_configured__nonzero_with_clear_message(
    command: list[str], urls: dict[str, str], tmp_path: Path
) -> None:
    # Given no DATABASE_URL / REDIS_URL (or only one of them)
    env = cli_env(tmp_path, **urls)
    # When a command that needs both runs
    result = run_cli(*command, env=env, cwd=tmp_path, timeout=60)
    # Then it exits at once with a message naming what to set, not a traceback
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_serve__production_with_placeholder_secret__nonzero_with_clear_message(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = cli_env(
        tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url, ENV="production", SECRET_KEY="changeme"
    )
    result = run_cli("serve", "--port", "1", env=env, cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    assert "configuration error" in result.stderr and "SECRET_KEY" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_cli__no_command__usage_and_nonzero(tmp_path: Path) -> None:
    result = run_cli(env=cli_env(tmp_path), cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    assert "usage: vaimanasoft" in result.stderr


def test_console_script__installed__runs_the_cli(tmp_path: Path) -> None:
    # The `vaimanasoft` entry point (pyproject [project.scripts]) is what README and docker-compose call.
    script = Path(sys.executable).with_name("vaimanasoft")
    if not script.exists():
        pytest.skip("package not installed in this interpreter's environment")
    result = subprocess.run(
        [str(script), "--help"], check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0
    for command in ("up", "serve", "worker", "scheduler", "migrate", "createadmin"):
        assert command in result.stdout


@pytest.mark.slow
def test_migrate__no_database_url__migrates_embedded_postgres_and_stops_it(workdir: Path) -> None:
    # Given no DATABASE_URL and a fresh data folder
    env = cli_env(workdir)
    # When `vaimanasoft migrate` runs twice
    first = run_cli("migrate", env=env, cwd=workdir, timeout=180)
    second = run_cli("migrate", env=env, cwd=workdir, timeout=180)
    # Then the first applies the initial migration to the embedded PostgreSQL, the second finds nothing
    assert first.returncode == 0, first.stderr
    assert "applied:" in first.stdout and "nothing" not in first.stdout, first.stdout
    assert second.returncode == 0, second.stderr
    assert "nothing" in second.stdout, second.stdout
    # And the server it started for this is stopped again
    pgdata = workdir / "data" / "postgres"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists()
    assert not [
        p.pid for p in psutil.process_iter(["cmdline"]) if str(pgdata) in " ".join(p.info["cmdline"] or [])
    ]
