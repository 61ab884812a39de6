"""DevOps (API.md section 12): the status document, and the deploy command run by a real worker."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.operators import ADMIN_TOKEN, make_operator
from tests.support import Client, Platform, redis_db, with_redis_db

# What a shell would expand, chain or substitute: echo must print it verbatim.
DEPLOY_COMMAND = "echo deploying {target} $HOME ; `id` --env={target}"
ADMIN = {"X-Admin-Token": ADMIN_TOKEN}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deploy_server(platform: Platform) -> Iterator[str]:
    """An API server and a worker with ADMIN_TOKEN and DEPLOY_COMMAND, alone on a Redis database of theirs
    (so the session's worker, which has no deploy command, never takes their deploy jobs)."""
    isolated = with_redis_db(platform.redis_url, redis_db(platform.redis_url) + 2)
    redis.Redis.from_url(isolated).flushdb()
    env = {"REDIS_URL": isolated, "ADMIN_TOKEN": ADMIN_TOKEN, "DEPLOY_COMMAND": DEPLOY_COMMAND}
    worker = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    yield base
    server.stop()
    worker.stop()
    redis.Redis.from_url(isolated).flushdb()


@pytest.fixture(scope="module")
def unconfigured_server(platform: Platform) -> Iterator[str]:
    """An API server with the admin token and no deploy command."""
    proc, base = platform.serve(ADMIN_TOKEN=ADMIN_TOKEN)
    yield base
    proc.stop()


async def _deploy(
    base: str, target: Any, wait: float = 30, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"{base}/api/v4", timeout=60) as http:
        return await http.post(
            "/devops/deploy",
            params={"wait": wait},
            json={"target": target},
            headers=ADMIN if headers is None else headers,
        )


async def test_deploy__echo_command__output_and_exit_code_through_the_job_no_shell(
    deploy_server: str,
) -> None:
    # When the admin token deploys to production
    r = await _deploy(deploy_server, "production")
    # Then the worker ran the configured echo with the target as one argument, and nothing was expanded
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["exit_code"] == 0 and result["succeeded"] and not result["timed_out"]
    assert result["stdout"] == "deploying production $HOME ; `id` --env=production\n"
    assert result["stderr"] == "" and not result["stdout_truncated"]
    assert result["command"] == ["echo", "deploying", "production", "$HOME", ";", "`id`", "--env=production"]


async def test_deploy__not_waited_for__202_then_the_job_has_the_output(deploy_server: str) -> None:
    r = await _deploy(deploy_server, "dev", wait=0)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    async with httpx.AsyncClient(base_url=f"{deploy_server}/api/v4", timeout=30) as http:
        deadline = time.monotonic() + 60
        while True:
            job = (await http.get(f"/jobs/{job_id}", headers=ADMIN)).json()
            if job["status"] in ("done", "failed") or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    assert job["status"] == "done", job
    assert job["kind"] == "devops.deploy"
    assert job["result"]["stdout"] == "deploying dev $HOME ; `id` --env=dev\n"


@pytest.mark.parametrize(
    "target",
    [
        "dev; touch {marker}",
        "dev && touch {marker}",
        "$(touch {marker})",
        "`touch {marker}`",
        "staging",
        "",
        5,
    ],
)
async def test_deploy__target_with_shell_metacharacters_or_unknown__400_nothing_run(
    deploy_server: str, tmp_path: Path, target: Any
) -> None:
    marker = tmp_path / "ran"
    r = await _deploy(deploy_server, target.format(marker=marker) if isinstance(target, str) else target)
    assert r.status_code == 400, r.text
    assert "target" in r.json()["details"]
    await asyncio.sleep(0.5)
    assert not marker.exists()


async def test_deploy__without_the_admin_token__401_or_403(
    deploy_server: str, database_url: str, tmp_path: Path
) -> None:
    client = Client(deploy_server)
    try:
        operator = await make_operator(client, database_url)
        owner = await client.register()
        cases = [
            ({}, 401),
            ({"X-Admin-Token": "wrong-" + "0" * 40}, 401),
            (
                {"Authorization": f"Bearer {operator['token']}"},
                403,
            ),  # a platform operator's JWT is not enough
            ({"Authorization": f"Bearer {owner['token']}"}, 403),
            ({"Authorization": "Bearer not-a-jwt"}, 401),
        ]
        for headers, status in cases:
            r = await _deploy(deploy_server, "dev", headers=headers)
            assert r.status_code == status, (headers, r.text)
            assert "error" in r.json()
    finally:
        await client.close()


async def test_deploy__no_command_configured__503(unconfigured_server: str) -> None:
    r = await _deploy(unconfigured_server, "dev")
    assert r.status_code == 503
    assert r.json() == {"error": "No deploy command configured (set DEPLOY_COMMAND)"}


async def test_deploy_pipeline__long_output_failing_command__cut_to_64_kib_exit_code_kept(
    redis_url: str,
) -> None:
    from core.redis import async_client
    from core.settings import get_settings
    from pipelines import devops

    script = "import sys; sys.stdout.write('x' * 100000); sys.stderr.write('bad'); sys.exit(3)"
    settings = get_settings().model_copy(
        update={"DEPLOY_COMMAND": f'{sys.executable} -c "{script}" {{target}}'}
    )
    client = async_client(redis_url)
    try:
        result = await devops.deploy(client, settings, "production")
        assert result["exit_code"] == 3 and not result["succeeded"]
        assert len(result["stdout"]) == 64 * 1024 and result["stdout_truncated"]
        assert result["stderr"] == "bad" and not result["stderr_truncated"]
        # And while a deploy holds the lock, another one is refused
        await client.set(devops.DEPLOY_LOCK, "someone", ex=30)
        from core.errors import Conflict

        with pytest.raises(Conflict):
            await devops.deploy(client, settings, "dev")
    finally:
        await client.delete(devops.DEPLOY_LOCK)
        await client.aclose()


async def test_deploy_pipeline__past_its_timeout__killed_and_reported(redis_url: str) -> None:
    from core.redis import async_client
    from core.settings import get_settings
    from pipelines import devops

    settings = get_settings().model_copy(
        update={"DEPLOY_COMMAND": "sh -c 'echo start; sleep 30' {target}", "DEPLOY_TIMEOUT_SECONDS": 1}
    )
    client = async_client(redis_url)
    try:
        result = await devops.deploy(client, settings, "dev")
    finally:
        await client.aclose()
    assert result["timed_out"] and result["exit_code"] is None and result["stdout"] == "start\n"


# --- status -------------------------------------------------------------------------------------------


async def test_devops_status__operator__revision_database_tables_rates_resources(
    client: Client, database_url: str
) -> None:
    # Given an operator, a few blog posts, and some traffic
    operator = await make_operator(client, database_url)
    token = operator["token"]
    for n in range(3):
        r = await client.request("POST", "/blog/posts", token, json={"title": f"P{n}", "body": "x"})
        assert r.status_code == 201
    for _ in range(5):
        await client.request("GET", "/auth/me")  # 401s: client errors
    # When the status is read
    r = await client.request("GET", "/devops/status", token)
    assert r.status_code == 200, r.text
    status = r.json()
    # Then the revision is this checkout's branch and commit (the package version outside a checkout)
    if (REPO / ".git").exists():
        git = ["git", "-C", str(REPO)]
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        branch = subprocess.run(
            [*git, "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True, check=True
        )
        assert status["source"]["kind"] == "git"
        assert status["source"]["commit"] == commit.stdout.strip()
        assert status["source"]["branch"] == branch.stdout.strip()
        assert isinstance(status["source"]["dirty"], bool)
    else:
        assert status["source"] == {"kind": "package", "version": status["version"]}
    assert status["version"]
    # And the database answered, with rows counted per table
    assert status["database"]["status"] == "ok" and status["database"]["latency_ms"] >= 0
    tables = {t["name"]: t for t in status["tables"]}
    assert tables["blog_posts"] == {**tables["blog_posts"], "rows": 3, "estimated": False}
    assert tables["users"]["rows"] >= 1 and "aerich" in tables
    # And the API's own metrics give requests and errors per minute
    api = status["api"]
    assert api["requests_total"] >= 9 and api["client_errors_total"] >= 5
    assert (
        api["requests_per_minute"] > 0 and api["client_errors_per_minute"] > 0 and api["window_seconds"] > 0
    )
    # And disk, memory, the queue, and the places other areas fill in
    assert status["disk"]["total_gb"] > 0 and 0 <= status["disk"]["percent"] <= 100
    assert status["memory"]["total_mb"] > 0 and status["memory"]["process_rss_mb"] > 0
    assert status["redis"]["status"] == "ok" and status["queue"]["status"] == "ok"
    assert status["bridge_agents"] == [] and status["app_storage"] == []
    assert status["deploy_configured"] is False


async def test_devops_status__admin_token__200_org_members_and_anonymous_refused(
    deploy_server: str, database_url: str
) -> None:
    client = Client(deploy_server)
    try:
        r = await client.request("GET", "/devops/status", headers=ADMIN)
        assert r.status_code == 200, r.text
        assert r.json()["deploy_configured"] is True
        owner = await client.register()
        assert (await client.request("GET", "/devops/status", owner["token"])).status_code == 403
        assert (await client.request("GET", "/devops/status")).status_code == 401
    finally:
        await client.close()


def _serve_two_processes(platform: Platform) -> tuple[Any, str]:
    """`serve --workers 2`, started again if Sanic gives up on it: its manager stops a server whose worker
    processes have not all started within a fixed 30 s, which a loaded 2-core CI machine can exceed."""
    for attempt in range(3):
        try:
            return platform.serve(API_WORKERS="2", ADMIN_TOKEN=ADMIN_TOKEN)
        except (RuntimeError, TimeoutError):
            platform.procs[-1].stop()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@pytest.mark.slow
async def test_devops_status__two_api_processes__requests_counted_across_both(platform: Platform) -> None:
    from prometheus_client.mmap_dict import MmapedDict

    # Given an API server of two processes sharing one metrics folder
    proc, base = _serve_two_processes(platform)
    try:
        folder = platform.data_dir / f"api-metrics-{proc.pid}"

        def per_process() -> dict[str, float]:
            counts: dict[str, float] = {}
            for path in folder.glob("counter_*.db"):
                values = MmapedDict.read_all_values_from_file(str(path))
                counts[path.name] = sum(
                    v for key, v, *_ in values if "vaimanasoft_http_requests_total" in key
                )
            return counts

        async with httpx.AsyncClient(timeout=30) as http:
            before = (await http.get(f"{base}/api/v4/devops/status", headers=ADMIN)).json()["api"][
                "requests_total"
            ]

            # When requests arrive on many connections at once, until both processes have served some
            async def one() -> None:
                async with httpx.AsyncClient(timeout=30) as fresh:
                    assert (await fresh.get(f"{base}/api/v4/health")).status_code == 200

            sent = 0
            while sent < 400 and sum(1 for n in per_process().values() if n > 0) < 2:
                await asyncio.gather(*(one() for _ in range(20)))
                sent += 20
            assert sum(1 for n in per_process().values() if n > 0) >= 2, per_process()
            # Then the status counts every one of them (and the first status request) across both processes
            after = (await http.get(f"{base}/api/v4/devops/status", headers=ADMIN)).json()["api"]
        assert after["requests_total"] == before + 1 + sent
        assert (
            after["requests_total"] == sum(per_process().values()) - 1
        )  # the second status, counted after it
    finally:
        proc.stop()
