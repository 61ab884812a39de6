"""Code-agent fingerprints: rule + path + normalised code, so line shifts and reformatting keep them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pipelines.codeagent import tools
from pipelines.codeagent.findings import Finding, SourceLines, fingerprint_all, normalise


def _fingerprints(findings: list[Finding]) -> set[str]:
    return {f.fingerprint for f in fingerprint_all(findings)}


def test_normalise__indentation_and_inner_spaces__ignored_tokens_kept() -> None:
    assert normalise("    x  =   eval( data )\n\n") == "x = eval( data )"
    assert normalise("x = eval(data)") != normalise("x = eval(other)")


def test_fingerprint__same_code_on_another_line__same_fingerprint() -> None:
    a = Finding("bandit", "B307", "medium", "pkg/m.py", 10, "eval", snippet="x = eval(data)")
    b = Finding("bandit", "B307", "medium", "pkg/m.py", 42, "eval", snippet="x = eval(data)")
    assert _fingerprints([a]) == _fingerprints([b])


def test_fingerprint__rule_path_or_code_differs__different_fingerprint() -> None:
    base = Finding("bandit", "B307", "medium", "pkg/m.py", 10, "eval", snippet="x = eval(data)")
    others = [
        Finding("bandit", "B102", "medium", "pkg/m.py", 10, "eval", snippet="x = eval(data)"),
        Finding("bandit", "B307", "medium", "pkg/n.py", 10, "eval", snippet="x = eval(data)"),
        Finding("bandit", "B307", "medium", "pkg/m.py", 10, "eval", snippet="x = eval(other)"),
    ]
    first = _fingerprints([base])
    assert all(_fingerprints([o]).isdisjoint(first) for o in others)


def test_fingerprint__two_identical_lines_in_a_file__two_findings() -> None:
    twins = [Finding("bandit", "B101", "low", "pkg/m.py", n, "assert", snippet="assert x") for n in (3, 9)]
    assert len(_fingerprints(twins)) == 2


async def test_ruff_report__code_moved_down__same_fingerprints(tmp_path: Path) -> None:
    # Given a package with two lint problems (and a configuration of its own, as a checkout has)
    (tmp_path / "ruff.toml").write_text('[lint]\nselect = ["F"]\n')
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    source = "import os\n\n\ndef f():\n    return undefined_name\n"
    (package / "m.py").write_text(source)
    before = await tools.ruff(tmp_path, [package], timeout=60)
    # When lines are added above them (the problems unchanged)
    (package / "m.py").write_text('"""Docstring."""\n\n# comment\n' + source)
    after = await tools.ruff(tmp_path, [package], timeout=60)
    # Then ruff reports them on other lines with the same fingerprints
    assert {f.rule for f in before} == {"F401", "F821"}
    assert [f.line for f in fingerprint_all(before)] != [f.line for f in fingerprint_all(after)]
    assert {f.fingerprint for f in before} == {f.fingerprint for f in after}
    assert {f.path for f in after} == {"pkg/m.py"}


async def test_bandit_report__findings_with_snippets(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "m.py").write_text(
        textwrap.dedent(
            """\
            import subprocess


            def run(cmd):
                return subprocess.call(cmd, shell=True)
            """
        )
    )
    findings, warnings = await tools.bandit(tmp_path, [package], timeout=60)
    assert warnings == []
    by_rule = {f.rule: f for f in findings}
    assert "B602" in by_rule  # subprocess with shell=True
    assert by_rule["B602"].severity == "high" and by_rule["B602"].line == 5
    assert by_rule["B602"].snippet == "return subprocess.call(cmd, shell=True)"


def test_source_lines__unreadable_file__empty_snippet(tmp_path: Path) -> None:
    assert SourceLines(tmp_path).snippet("missing.py", 1, 3) == ""
