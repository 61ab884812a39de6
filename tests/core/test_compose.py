"""docker-compose.yml: valid for Docker Compose, with the services the design names wired to the stores."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PLATFORM_SERVICES = ("api", "worker", "scheduler")
# The file refuses to render without these (`${VAR:?message}`); any value will do for a check.
REQUIRED_VARIABLES = {
    "POSTGRES_PASSWORD": "compose-check-password",
    "SECRET_KEY": "compose-check-" + "0" * 32,
}


def _compose_command() -> list[str] | None:
    """`docker compose` (the plugin), else the standalone `docker-compose`, else None."""
    if shutil.which("docker") is not None:
        try:
            result = subprocess.run(
                ["docker", "compose", "version"], check=False, capture_output=True, timeout=30
            )
            if result.returncode == 0:
                return ["docker", "compose"]
        except (OSError, subprocess.TimeoutExpired):
            pass
    if shutil.which("docker-compose") is not None:
        return ["docker-compose"]
    return None


def _compose_available() -> bool:
    return _compose_command() is not None


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    assert COMPOSE_FILE.exists(), "docker-compose.yml is missing"
    document = yaml.safe_load(COMPOSE_FILE.read_text())  # resolves the anchors and `<<` merges
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


@pytest.mark.skipif(
    not _compose_available(), reason="neither `docker compose` nor `docker-compose` on this machine"
)
def test_compose_file__docker_compose_config__valid(tmp_path: Path) -> None:
    env = {**os.environ, **REQUIRED_VARIABLES}
    result = subprocess.run(
        [*(_compose_command() or []), "-f", str(COMPOSE_FILE), "config", "-q"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    not _compose_available(), reason="neither `docker compose` nor `docker-compose` on this machine"
)
def test_compose_file__rabbitmq_profile__valid() -> None:
    env = {**os.environ, **REQUIRED_VARIABLES}
    result = subprocess.run(
        [
            *(_compose_command() or []),
            "-f",
            str(COMPOSE_FILE),
            "--profile",
            "rabbitmq",
            "config",
            "--services",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "rabbitmq" in result.stdout.split()


def test_compose_file__services__data_stores_and_platform_processes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", *PLATFORM_SERVICES):
        assert name in services, f"service {name!r} missing"
        assert "profiles" not in services[name], f"{name} must start without a profile"


def test_compose_file__rabbitmq__only_under_a_profile(compose: dict[str, Any]) -> None:
    rabbitmq = compose["services"].get("rabbitmq")
    assert rabbitmq is not None, "service 'rabbitmq' missing"
    assert rabbitmq.get("profiles"), "rabbitmq must be opt-in (under a profile)"


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_compose_file__platform_service__gets_database_and_redis_urls(
    compose: dict[str, Any], name: str
) -> None:
    env = _environment(compose["services"][name])
    assert env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")), env.get("DATABASE_URL")
    assert env.get("REDIS_URL", "").startswith(("redis://", "rediss://")), env.get("REDIS_URL")
    # The in-network host names are the compose services themselves.
    assert "@postgres" in env["DATABASE_URL"] and "//redis" in env["REDIS_URL"]


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_compose_file__platform_service__production_with_a_secret(compose: dict[str, Any], name: str) -> None:
    # Production refuses placeholder secrets (core.settings), so the file must pass one through.
    env = _environment(compose["services"][name])
    assert env.get("ENV") == "production"
    assert "${SECRET_KEY" in env.get("SECRET_KEY", "")


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_compose_file__platform_service__runs_the_matching_cli_command(
    compose: dict[str, Any], name: str
) -> None:
    expected = {"api": "serve", "worker": "worker", "scheduler": "scheduler"}[name]
    command = compose["services"][name].get("command")
    words = command.split() if isinstance(command, str) else list(command or [])
    assert words[:2] == ["vaimanasoft", expected], words


def test_compose_file__api__waits_for_data_stores_or_migrations(compose: dict[str, Any]) -> None:
    depends = compose["services"]["api"].get("depends_on") or {}
    names = set(depends) if isinstance(depends, (dict, list)) else set()
    assert names & {"postgres", "redis", "migrate"}, depends
