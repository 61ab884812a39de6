"""The code agent (API.md section 12): lint and security-scan jobs on a real worker over the platform's
own source, findings kept by fingerprint, open vs fixed in the status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import get_settings
from pipelines import codeagent, install
from tests.operators import make_operator
from tests.support import Client, add_member, poll_job


@pytest.fixture
async def tortoise(services: tuple[str, str]) -> AsyncIterator[None]:
    """The test process's own database connection, for pipeline-level runs."""
    from core.db import close_db, init_db

    await init_db(get_settings())
    yield
    await close_db()


async def _run(client: Client, token: str, route: str) -> dict[str, Any]:
    r = await client.request("POST", f"/codeagent/{route}?wait=30", token)
    if r.status_code == 202:  # a busy machine: follow the job
        job = await poll_job(client, token, r.json()["job_id"], {"done", "failed"}, timeout=240)
        assert job["status"] == "done", job
        return job["result"]
    assert r.status_code == 200, r.text
    return r.json()


async def _status(client: Client, token: str) -> dict[str, Any]:
    r = await client.request("GET", "/codeagent/status", token)
    assert r.status_code == 200, r.text
    return r.json()


def _open(status: dict[str, Any], kind: str) -> set[str]:
    return {f["fingerprint"] for f in status["open_findings"] if f["kind"] == kind}


async def test_codeagent__lint_and_scan_twice_on_own_code__counts_shown_second_run_fixes_nothing(
    client: Client, worker: None, database_url: str
) -> None:
    # Given a platform operator
    token = (await make_operator(client, database_url))["token"]
    # When a lint job runs over the platform's own installed source
    lint = await _run(client, token, "lint")
    # Then it completed with ruff (the checkout's own configuration: the code passes it)
    assert lint["kind"] == "lint" and lint["status"] == "done" and lint["error"] is None
    assert lint["tools"]["ruff"] and lint["open"] == sum(lint["by_tool"].values())
    # When a security scan runs (bandit over the source, and this server's response headers)
    scan = await _run(client, token, "security-scan")
    # Then bandit found something in the platform's own code, and no header is missing
    assert scan["status"] == "done" and scan["warnings"] == []
    assert scan["by_tool"]["bandit"] > 0 and "headers" not in scan["by_tool"]
    assert scan["open"] == scan["new"] == sum(scan["by_tool"].values())
    first = await _status(client, token)
    assert first["open"]["by_kind"].get("security") == scan["open"]
    assert first["open"]["total"] == scan["open"] + lint["open"]
    paths = {f["path"] for f in first["open_findings"] if f["tool"] == "bandit"}
    assert paths and all(p.split("/")[0] in install.PACKAGES for p in paths)
    # When both run again on the unchanged code
    lint_again = await _run(client, token, "lint")
    scan_again = await _run(client, token, "security-scan")
    # Then nothing is fixed or new, and the open fingerprints are the same
    assert (lint_again["fixed"], lint_again["new"], lint_again["open"]) == (0, 0, lint["open"])
    assert (scan_again["fixed"], scan_again["new"], scan_again["open"]) == (0, 0, scan["open"])
    second = await _status(client, token)
    assert (
        _open(second, "security") == _open(first, "security")
        and len(_open(first, "security")) == scan["open"]
    )
    assert _open(second, "lint") == _open(first, "lint")
    assert second["fixed_since_previous_run"] == {"lint": [], "security": []}
    # And the history lists the four jobs, newest first, each with its job id
    runs = second["runs"]
    assert [r["kind"] for r in runs[:4]] == ["security", "lint", "security", "lint"]
    assert all(r["job_id"] and r["status"] == "done" for r in runs[:4])
    assert second["latest_runs"]["security"]["run_id"] == scan_again["run_id"]


async def test_codeagent__fixed_then_moved_then_back__fixed_kept_and_reopened(
    tortoise: None, tmp_path: Path
) -> None:
    settings = get_settings()
    # Given a source tree (a package with a configuration of its own) with two lint problems
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["F"]\n')
    package = tmp_path / "core"
    package.mkdir()
    (package / "__init__.py").write_text("")
    problems = "import os\nimport sys\n\n\ndef f():\n    return sys.argv\n"
    (package / "m.py").write_text(problems)
    first = await codeagent.run_lint(settings, None, root=tmp_path)
    assert (first["open"], first["new"], first["fixed"]) == (1, 1, 0)  # os is unused
    (package / "m.py").write_text(problems + "\n\ndef g():\n    return undefined\n")
    second = await codeagent.run_lint(settings, None, root=tmp_path)
    assert (second["open"], second["new"], second["fixed"]) == (2, 1, 0)
    # When one is fixed and the other moves down the file
    moved = (
        '"""Doc."""\n\nimport sys\n\n\ndef f():\n    return sys.argv\n\n\ndef g():\n    return undefined\n'
    )
    (package / "m.py").write_text(moved)
    third = await codeagent.run_lint(settings, None, root=tmp_path)
    # Then one is fixed, none is new: the moved one kept its fingerprint
    assert (third["open"], third["new"], third["fixed"]) == (1, 0, 1)
    status = await codeagent.status()
    fixed = status["fixed_since_previous_run"]["lint"]
    assert [(f["rule"], f["path"], f["status"]) for f in fixed] == [("F401", "core/m.py", "fixed")]
    assert [(f["rule"], f["line"]) for f in status["open_findings"]] == [("F821", 11)]
    # When the fixed problem comes back
    (package / "m.py").write_text("import os\n" + moved)
    fourth = await codeagent.run_lint(settings, None, root=tmp_path)
    # Then it is open again (counted as new), and the previous fix no longer shows as the latest
    assert (fourth["open"], fourth["new"], fourth["fixed"]) == (2, 1, 0)
    status = await codeagent.status()
    assert status["fixed_since_previous_run"]["lint"] == []
    assert {f["rule"] for f in status["open_findings"]} == {"F401", "F821"}


async def test_codeagent__tool_cannot_run__job_fails_run_recorded_failed(
    tortoise: None, tmp_path: Path
) -> None:
    from core.errors import ServiceUnavailable

    # Given a ruff configuration ruff refuses
    (tmp_path / "ruff.toml").write_text("[lint]\nselect = [")
    package = tmp_path / "core"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # When a lint runs / Then it fails with ruff's reason, and the run says so
    with pytest.raises(ServiceUnavailable) as caught:
        await codeagent.run_lint(get_settings(), None, root=tmp_path)
    assert caught.value.message.startswith("ruff failed")
    runs = (await codeagent.status())["runs"]
    assert runs[0]["status"] == "failed" and runs[0]["error"].startswith("ruff failed")


async def test_codeagent__org_members_and_anonymous__refused(client: Client, database_url: str) -> None:
    owner = await client.register()
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    for token, status in ((owner["token"], 403), (admin["token"], 403), (None, 401)):
        assert (await client.request("GET", "/codeagent/status", token)).status_code == status
        assert (await client.request("POST", "/codeagent/lint?wait=0", token)).status_code == status
        assert (await client.request("POST", "/codeagent/security-scan?wait=0", token)).status_code == status


async def test_codeagent__bad_wait__400(client: Client, database_url: str) -> None:
    token = (await make_operator(client, database_url))["token"]
    r = await client.request("POST", "/codeagent/lint?wait=31", token)
    assert r.status_code == 400 and "wait" in r.json()["details"]
