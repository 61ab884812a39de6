"""A finding of the code agent and its fingerprint: stable while the code it points at is unchanged."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MAX_SNIPPET = 2000
_SPACES = re.compile(r"\s+")


@dataclass
class Finding:
    """One problem a tool reported (`path` relative to the scanned root, `line` 1-based, 0 for none)."""

    tool: str
    rule: str
    severity: str
    path: str
    line: int
    message: str
    snippet: str = ""
    fingerprint: str = field(default="", compare=False)


def normalise(code: str) -> str:
    """The code with indentation and runs of whitespace made irrelevant (a reformat or a moved block keeps
    its fingerprint; a changed token does not)."""
    lines = (_SPACES.sub(" ", line).strip() for line in code.splitlines())
    return "\n".join(line for line in lines if line)[:MAX_SNIPPET]


class SourceLines:
    """Lines of the scanned files, read once each."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}

    def snippet(self, path: str, first: int, last: int | None = None) -> str:
        """Lines `first`..`last` (1-based, inclusive) of `path`, normalised; "" when unreadable."""
        if path not in self._files:
            try:
                self._files[path] = (self.root / path).read_text(errors="replace").splitlines()
            except OSError:
                self._files[path] = []
        lines = self._files[path]
        last = max(first, last or first)
        return normalise("\n".join(lines[max(0, first - 1) : last]))


def fingerprint_all(findings: list[Finding]) -> list[Finding]:
    """Give each finding its fingerprint: sha256 of tool, rule, path and normalised snippet, plus how many
    identical ones came before it in the file (two equal lines in one file stay two findings)."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    for finding in sorted(findings, key=lambda f: (f.path, f.line, f.tool, f.rule)):
        key = (finding.tool, finding.rule, finding.path, finding.snippet)
        occurrence = seen[key]
        seen[key] += 1
        text = "\x00".join((*key, str(occurrence)))
        finding.fingerprint = hashlib.sha256(text.encode()).hexdigest()
    return findings
