"""Child processes run safely: an argument list (never a shell), a timeout, and bounded output."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 64 * 1024


@dataclass
class _Capture:
    """What a stream produced: the first `limit` bytes kept, the total counted."""

    limit: int
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(CHUNK):
            self.total += len(chunk)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]


@dataclass(frozen=True)
class ProcResult:
    """How a child process ended and what it wrote (each stream cut to the limit)."""

    argv: list[str]
    exit_code: int | None  # None: killed at the timeout
    stdout: bytes
    stderr: bytes
    stdout_bytes: int
    stderr_bytes: int
    timed_out: bool
    duration_ms: float

    @property
    def stdout_truncated(self) -> bool:
        return self.stdout_bytes > len(self.stdout)

    @property
    def stderr_truncated(self) -> bool:
        return self.stderr_bytes > len(self.stderr)

    def text(self, stream: str) -> str:
        """stdout or stderr as text (invalid UTF-8, or a character cut at the limit, replaced)."""
        return (self.stdout if stream == "stdout" else self.stderr).decode("utf-8", errors="replace")


def _kill_group(pid: int) -> None:
    # The child leads its own session: its children (a deploy script's commands) go with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def run(
    argv: Sequence[str],
    *,
    timeout: float,
    max_output: int,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ProcResult:
    """Run `argv` (no shell: each item is one argument), killing its process group after `timeout`
    seconds; keeps at most `max_output` bytes of stdout and of stderr. A missing or non-executable
    program ends like a shell says it: 127 or 126 with the reason on stderr."""
    args = [str(a) for a in argv]
    started = time.perf_counter()
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        message = f"{args[0] if args else ''}: {exc.strerror or exc}".encode()
        code = 127 if isinstance(exc, FileNotFoundError) else 126
        return ProcResult(args, code, b"", message, 0, len(message), False, 0.0)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = _Capture(max_output), _Capture(max_output)
    finished = asyncio.gather(out.drain(proc.stdout), err.drain(proc.stderr), proc.wait())
    timed_out = False
    try:
        await asyncio.wait_for(asyncio.shield(finished), timeout)
    except TimeoutError:
        timed_out = True
        _kill_group(proc.pid)
        try:  # a grandchild that left the group may still hold the pipes open: stop reading after a while
            await asyncio.wait_for(finished, 5)
        except TimeoutError:
            await proc.wait()
    except BaseException:  # cancelled (the actor's time limit): leave nothing running behind
        _kill_group(proc.pid)
        finished.cancel()
        with contextlib.suppress(BaseException):
            await finished
        raise
    return ProcResult(
        argv=args,
        exit_code=None if timed_out else proc.returncode,
        stdout=bytes(out.kept),
        stderr=bytes(err.kept),
        stdout_bytes=out.total,
        stderr_bytes=err.total,
        timed_out=timed_out,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
