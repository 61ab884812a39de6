"""ruff and bandit over the platform's own packages, run as child processes (argument lists, no shell),
their JSON reports read into findings."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from core.errors import ServiceUnavailable
from pipelines import procs
from pipelines.codeagent.findings import Finding, SourceLines

MAX_REPORT = 32 * 1024 * 1024  # a JSON report larger than this is refused, not parsed
# The tools need no secret of the platform: they get this environment, not the process's.
TOOL_ENV = {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}


def tool_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


async def _report(name: str, argv: list[str], root: Path, timeout: float, ok_codes: set[int]) -> Any:
    """Run a tool and parse its JSON report; a timeout, a crash or an oversized report is a 503."""
    result = await procs.run(argv, timeout=timeout, max_output=MAX_REPORT, cwd=root, env=TOOL_ENV)
    if result.timed_out:
        raise ServiceUnavailable(f"{name} did not finish within {timeout:g} s")
    if result.stdout_truncated:
        raise ServiceUnavailable(f"{name} wrote a report over {MAX_REPORT // 1024 // 1024} MiB")
    if result.exit_code not in ok_codes:
        reason = result.text("stderr").strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
        raise ServiceUnavailable(f"{name} failed: {reason[0][:300]}")
    try:
        return orjson.loads(result.stdout or b"null")
    except orjson.JSONDecodeError:
        raise ServiceUnavailable(f"{name} wrote no JSON report") from None


def _relative(root: Path, filename: str) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(root)) if path.is_absolute() else str(path)
    except ValueError:
        return str(path)


async def ruff(root: Path, packages: list[Path], timeout: float) -> list[Finding]:
    """`ruff check` over `packages` with the checkout's own configuration (the defaults when installed
    without one); every diagnostic is a finding."""
    argv = [sys.executable, "-P", "-m", "ruff", "check", "--output-format=json", "--exit-zero", "--no-cache"]
    report = await _report("ruff", argv + [p.name for p in packages], root, timeout, ok_codes={0})
    lines = SourceLines(root)
    findings = []
    for item in report or []:
        path = _relative(root, item.get("filename") or "")
        start = (item.get("location") or {}).get("row") or 0
        end = (item.get("end_location") or {}).get("row") or start
        findings.append(
            Finding(
                tool="ruff",
                rule=str(item.get("code") or "invalid-syntax")[:64],
                severity=str(item.get("severity") or "warning").lower(),
                path=path,
                line=start,
                message=str(item.get("message") or ""),
                snippet=lines.snippet(path, start, end),
            )
        )
    return findings


async def bandit(root: Path, packages: list[Path], timeout: float) -> tuple[list[Finding], list[str]]:
    """`bandit -r` over `packages`: its findings, and the files it could not read (as warnings)."""
    argv = [sys.executable, "-P", "-m", "bandit", "-r", "-f", "json", "-q"]
    # Exit code 1 means "issues found", which is what a scan is for.
    report = await _report("bandit", argv + [p.name for p in packages], root, timeout, ok_codes={0, 1})
    lines = SourceLines(root)
    findings = []
    for item in (report or {}).get("results", []):
        path = _relative(root, item.get("filename") or "")
        line_range = item.get("line_range") or [item.get("line_number") or 0]
        findings.append(
            Finding(
                tool="bandit",
                rule=str(item.get("test_id") or "bandit")[:64],
                severity=str(item.get("issue_severity") or "undefined").lower(),
                path=path,
                line=int(item.get("line_number") or 0),
                message=f"{item.get('issue_text', '')} (confidence {str(item.get('issue_confidence', '')).lower()})",
                snippet=lines.snippet(path, min(line_range), max(line_range)),
            )
        )
    warnings = [
        f"bandit could not scan {e.get('filename')}: {e.get('reason')}" for e in report.get("errors", [])
    ]
    return findings, warnings
