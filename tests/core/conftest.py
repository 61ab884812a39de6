"""Fixtures of the core tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A fresh folder directly under the system temp dir, for an embedded PostgreSQL; removed afterwards.

    Not pytest's tmp_path: every pytest session resets /tmp/pytest-of-<user> to mode 0700, which
    would lock the embedded PostgreSQL's system user out of its data folder if another session
    started on this machine meanwhile.
    """
    path = Path(tempfile.mkdtemp(prefix="vaimanasoft-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
