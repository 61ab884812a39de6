"""The code agent (API.md section 12): lint (ruff) and security scan (bandit plus the running server's
response headers) over the platform's own installed source; findings kept by fingerprint across runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import VaimanasoftError
from core.settings import Settings
from pipelines import install
from pipelines.codeagent import headers, store, tools
from pipelines.codeagent.findings import Finding, fingerprint_all
from pipelines.codeagent.store import LINT, SECURITY, status

__all__ = ["LINT", "SECURITY", "run_lint", "run_security_scan", "status"]


async def _run(kind: str, job_id: str | None, scan: Any) -> dict[str, Any]:
    run = await store.start_run(kind, job_id)
    try:
        findings, extra = await scan()
    except VaimanasoftError as exc:
        await store.fail_run(run, exc.message)
        raise
    except Exception as exc:
        await store.fail_run(run, f"Internal error ({type(exc).__name__})")
        raise
    run, _ = await store.finish_run(run, fingerprint_all(findings), extra)
    return store.run_body(run)


async def run_lint(settings: Settings, job_id: str | None, root: Path | None = None) -> dict[str, Any]:
    """ruff over the platform's packages (under `root`, default the running code's); the run's counts."""
    root = root or install.source_root()

    async def scan() -> tuple[list[Finding], dict[str, Any]]:
        found = await tools.ruff(root, install.package_dirs(root), settings.CODEAGENT_TIMEOUT_SECONDS)
        return found, {"tools": {"ruff": tools.tool_version("ruff")}, "warnings": []}

    return await _run(LINT, job_id, scan)


async def run_security_scan(
    settings: Settings, job_id: str | None, base_url: str, root: Path | None = None
) -> dict[str, Any]:
    """bandit over the platform's packages, and the response headers of the server at `base_url`."""
    root = root or install.source_root()

    async def scan() -> tuple[list[Finding], dict[str, Any]]:
        found, warnings = await tools.bandit(
            root, install.package_dirs(root), settings.CODEAGENT_TIMEOUT_SECONDS
        )
        header_findings, header_warnings = await headers.check(base_url)
        extra = {
            "tools": {"bandit": tools.tool_version("bandit"), "headers": base_url},
            "warnings": warnings + header_warnings,
        }
        return found + header_findings, extra

    return await _run(SECURITY, job_id, scan)
