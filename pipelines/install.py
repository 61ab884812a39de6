"""Where the platform's own code is installed, and which revision it is (git checkout or package)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import core
from pipelines import procs

# The top-level packages of the platform (pyproject's packages.find), scanned by the code agent.
PACKAGES = ("api", "actors", "core", "pipelines", "schedules", "standins")
GIT_TIMEOUT = 5.0
GIT_OUTPUT = 64 * 1024


def source_root() -> Path:
    """The folder holding the platform's packages: a checkout's root, or site-packages."""
    return Path(core.__file__).resolve().parent.parent


def package_dirs(root: Path | None = None) -> list[Path]:
    """The platform's package folders under `root` (default: the running code's)."""
    root = root or source_root()
    return [root / name for name in PACKAGES if (root / name / "__init__.py").is_file()]


def is_checkout(root: Path | None = None) -> bool:
    """True when the code runs from a git checkout (`.git` is a folder, or a file in a worktree)."""
    return ((root or source_root()) / ".git").exists()


async def _git(root: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    result = await procs.run(
        [git, "-C", str(root), *args], timeout=GIT_TIMEOUT, max_output=GIT_OUTPUT, env={"LC_ALL": "C"}
    )
    if result.exit_code != 0:
        return None
    return result.text("stdout").strip()


async def revision(root: Path | None = None) -> dict[str, Any]:
    """`{"kind": "git", "branch", "commit", "dirty", "version"}` for a checkout (git run with an argument
    list, never a shell), else `{"kind": "package", "version"}`."""
    root = root or source_root()
    if is_checkout(root):
        commit = await _git(root, "rev-parse", "HEAD")
        if commit:
            branch = await _git(root, "rev-parse", "--abbrev-ref", "HEAD")
            changes = await _git(root, "status", "--porcelain", "--untracked-files=no")
            return {
                "kind": "git",
                "branch": None if branch in (None, "HEAD") else branch,  # HEAD: a detached checkout
                "commit": commit,
                "dirty": bool(changes) if changes is not None else None,
                "version": core.__version__,
            }
    return {"kind": "package", "version": core.__version__}
