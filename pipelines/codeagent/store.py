"""Runs and findings of the code agent in the database: open vs fixed across runs, by fingerprint."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tortoise.transactions import in_transaction

from core.clock import iso, utcnow
from core.models import CodeAgentRun, CodeFinding
from pipelines.codeagent.findings import Finding

LINT, SECURITY = "lint", "security"
KINDS = (LINT, SECURITY)
RUNNING, DONE, FAILED = "running", "done", "failed"
# pg_advisory_xact_lock keys: one run of a kind applies its findings at a time.
APPLY_LOCK = {LINT: 0x7653_1701, SECURITY: 0x7653_1702}
OPEN_SHOWN = 500
HISTORY_SHOWN = 20


async def start_run(kind: str, job_id: str | None) -> CodeAgentRun:
    """The run of a job, marked running (a redelivered job reuses its run)."""
    if job_id is not None:
        run = await CodeAgentRun.get_or_none(job_id=job_id)
        if run is not None:
            run.update_from_dict({"status": RUNNING, "error": None, "finished_at": None})
            await run.save()
            return run
    return await CodeAgentRun.create(kind=kind, job_id=job_id, status=RUNNING)


async def fail_run(run: CodeAgentRun, error: str) -> None:
    run.update_from_dict({"status": FAILED, "error": error[:2000], "finished_at": utcnow()})
    await run.save()


def _summary(findings: list[Finding]) -> dict[str, Any]:
    return {
        "by_tool": dict(Counter(f.tool for f in findings)),
        "by_severity": dict(Counter(f.severity for f in findings)),
    }


async def finish_run(
    run: CodeAgentRun, findings: list[Finding], extra: dict[str, Any]
) -> tuple[CodeAgentRun, list[str]]:
    """Store what the run found: new fingerprints open, known ones seen again (reopened if they had been
    fixed), open ones of this kind not seen fixed. Returns the run and the fingerprints it fixed."""
    now = utcnow()
    current = {f.fingerprint: f for f in findings}
    async with in_transaction() as conn:
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [APPLY_LOCK[run.kind]])
        known = {f.fingerprint: f for f in await CodeFinding.filter(kind=run.kind).using_db(conn)}
        new = [fp for fp in current if fp not in known or known[fp].status != "open"]
        created = [
            CodeFinding(
                fingerprint=fp,
                kind=run.kind,
                tool=f.tool,
                rule=f.rule,
                severity=f.severity,
                path=f.path,
                line=f.line,
                message=f.message,
                snippet=f.snippet,
                first_seen_at=now,
                last_seen_at=now,
                first_run_id=run.id,
                last_run_id=run.id,
            )
            for fp, f in current.items()
            if fp not in known
        ]
        if created:
            await CodeFinding.bulk_create(created, using_db=conn)
        seen_again = [fp for fp in current if fp in known]
        if seen_again:
            # One statement for all of them: where each is now (line, message), open again if it was fixed.
            await conn.execute_query(
                "UPDATE codeagent_findings AS f SET line = v.line, message = v.message, severity = v.severity, "
                "last_seen_at = $1, last_run_id = $2, status = 'open', fixed_at = NULL, fixed_run_id = NULL "
                "FROM unnest($3::text[], $4::int[], $5::text[], $6::text[]) AS v(fingerprint, line, message, "
                "severity) WHERE f.fingerprint = v.fingerprint",
                [
                    now,
                    run.id,
                    seen_again,
                    [current[fp].line for fp in seen_again],
                    [current[fp].message for fp in seen_again],
                    [current[fp].severity for fp in seen_again],
                ],
            )
        fixed = [fp for fp, row in known.items() if row.status == "open" and fp not in current]
        if fixed:
            await (
                CodeFinding.filter(fingerprint__in=fixed)
                .using_db(conn)
                .update(status="fixed", fixed_at=now, fixed_run_id=run.id)
            )
        run.update_from_dict(
            {
                "status": DONE,
                "finished_at": now,
                "open_count": len(current),
                "new_count": len(new),
                "fixed_count": len(fixed),
                "summary": {**_summary(findings), **extra},
                "error": None,
            }
        )
        await run.save(using_db=conn)
    return run, fixed


def run_body(run: CodeAgentRun) -> dict[str, Any]:
    """A run as the status and the job result show it."""
    return {
        "run_id": run.id,
        "kind": run.kind,
        "job_id": run.job_id,
        "status": run.status,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "open": run.open_count,
        "new": run.new_count,
        "fixed": run.fixed_count,
        "by_tool": (run.summary or {}).get("by_tool", {}),
        "by_severity": (run.summary or {}).get("by_severity", {}),
        "tools": (run.summary or {}).get("tools", {}),
        "warnings": (run.summary or {}).get("warnings", []),
        "error": run.error,
    }


def finding_body(finding: CodeFinding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "fingerprint": finding.fingerprint,
        "kind": finding.kind,
        "tool": finding.tool,
        "rule": finding.rule,
        "severity": finding.severity,
        "path": finding.path,
        "line": finding.line,
        "message": finding.message,
        "status": finding.status,
        "first_seen_at": iso(finding.first_seen_at),
        "last_seen_at": iso(finding.last_seen_at),
        "fixed_at": iso(finding.fixed_at),
    }


async def status() -> dict[str, Any]:
    """Open findings (counts and the newest OPEN_SHOWN), what the latest run of each kind fixed, the runs."""
    open_query = CodeFinding.filter(status="open")
    total_open = await open_query.count()
    shown = await open_query.order_by("kind", "tool", "path", "line", "id").limit(OPEN_SHOWN)
    counts = await CodeFinding.filter(status="open").values_list("kind", "tool", "severity")
    latest: dict[str, Any] = {}
    fixed_by_latest: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        run = await CodeAgentRun.filter(kind=kind, status=DONE).order_by("-id").first()
        latest[kind] = run_body(run) if run else None
        fixed = await CodeFinding.filter(fixed_run_id=run.id).order_by("path", "line") if run else []
        fixed_by_latest[kind] = [finding_body(f) for f in fixed]
    runs = await CodeAgentRun.all().order_by("-id").limit(HISTORY_SHOWN)
    return {
        "open": {
            "total": total_open,
            "by_kind": dict(Counter(kind for kind, _, _ in counts)),
            "by_tool": dict(Counter(tool for _, tool, _ in counts)),
            "by_severity": dict(Counter(severity for _, _, severity in counts)),
        },
        "open_findings": [finding_body(f) for f in shown],
        "fixed_since_previous_run": fixed_by_latest,
        "latest_runs": latest,
        "runs": [run_body(r) for r in runs],
    }
