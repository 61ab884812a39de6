"""Child processes: argument lists only, a timeout that kills the whole group, output cut to a limit."""

from __future__ import annotations

import asyncio
import random
import sys
import time

import psutil

from pipelines import procs


async def test_run__shell_metacharacters_in_an_argument__passed_verbatim_not_interpreted() -> None:
    # Given an argument a shell would split, expand and chain
    argument = "dev; echo pwned $HOME `id` && rm -rf /nonexistent | cat > /tmp/x"
    # When echo runs with it
    result = await procs.run(["echo", argument], timeout=10, max_output=4096)
    # Then echo printed it as one argument, nothing expanded or run
    assert result.exit_code == 0
    assert result.text("stdout") == argument + "\n"


async def test_run__output_over_the_limit__cut_and_counted() -> None:
    code = "import sys; sys.stdout.write('x' * 200_000); sys.stderr.write('e' * 10)"
    result = await procs.run([sys.executable, "-c", code], timeout=30, max_output=65536)
    assert result.exit_code == 0
    assert len(result.stdout) == 65536 and result.stdout_bytes == 200_000 and result.stdout_truncated
    assert result.stderr == b"e" * 10 and not result.stderr_truncated


async def test_run__past_the_timeout__whole_process_group_killed() -> None:
    # Given a command that starts a grandchild (marked by a unique sleep time) and waits
    marker = f"{60 + random.random():.9f}"
    code = f"import subprocess, time; subprocess.Popen(['sleep', '{marker}']); print('started', flush=True); time.sleep(60)"
    started = time.monotonic()
    # When it outlives its 1 s timeout
    result = await procs.run([sys.executable, "-c", code], timeout=1, max_output=1024)
    # Then it is reported as timed out, with what it wrote, and neither it nor its grandchild is left running
    assert result.timed_out and result.exit_code is None
    assert result.text("stdout") == "started\n"
    assert time.monotonic() - started < 10
    await asyncio.sleep(0.2)
    assert not [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", marker]]


async def test_run__missing_program__127_with_reason() -> None:
    result = await procs.run(["no-such-program-xyz"], timeout=5, max_output=1024)
    assert result.exit_code == 127 and "No such file" in result.text("stderr")


async def test_run__non_zero_exit__code_and_stderr_kept() -> None:
    result = await procs.run(
        [sys.executable, "-c", "import sys; sys.exit('boom')"], timeout=10, max_output=1024
    )
    assert result.exit_code == 1 and result.text("stderr").strip() == "boom"
