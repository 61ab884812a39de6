"""Build and drive the Android SDK on the JVM: javac/kotlinc against the stubs of
sdk/android/test-stubs, and the SdkHarness (sdk/android/test-harness) as a subprocess that takes
one JSON command per line. The tools come from Debian: a JDK 17, `kotlin` (kotlinc 1.3.31) and
`libandroid-json-java` (Android's own org.json); .ci/run installs them."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ANDROID = ROOT / "sdk" / "android"
HARNESS = ANDROID / "test-harness"
JSON_JAR = Path("/usr/share/java/com.android.json.jar")
KOTLIN_STDLIB = Path("/usr/share/java/kotlin-stdlib.jar")
FLAVOURS = ("java", "kotlin")


def missing_tool(flavour: str) -> str | None:
    """Why the flavour cannot be built on this machine, or None."""
    if not (shutil.which("javac") and shutil.which("java")):
        return "javac/java not found (install a JDK 17: apt-get install openjdk-17-jdk-headless)"
    if not JSON_JAR.exists():
        return f"{JSON_JAR} not found (Android's org.json: apt-get install libandroid-json-java)"
    if flavour == "kotlin" and not (shutil.which("kotlinc") and KOTLIN_STDLIB.exists()):
        return "kotlinc not found (apt-get install kotlin)"
    return None


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(argv[:3])} ... failed:\n{done.stdout}\n{done.stderr}")


def _javac(out: Path, classpath: list[str], sources: Iterable[Path], *flags: str) -> None:
    _run(["javac", *flags, "-cp", ":".join(classpath), "-d", str(out), *map(str, sources)])


def build(flavour: str, out: Path) -> list[str]:
    """Compile the stubs, the SDK (Java 8 bytecode, as Android takes it, warnings refused), the
    README's usage examples (compiled only) and the harness; returns the harness's classpath."""
    stubs, sdk, harness = out / "stubs", out / flavour, out / f"harness-{flavour}"
    _javac(stubs, [], (ANDROID / "test-stubs").rglob("*.java"), "--release", "8", "-nowarn")
    deps = [str(stubs), str(JSON_JAR)] + ([str(KOTLIN_STDLIB)] if flavour == "kotlin" else [])
    if flavour == "java":
        _javac(
            sdk,
            deps,
            [ANDROID / "Vaimanasoft.java"],
            "--release",
            "8",
            "-Xlint:all",
            "-Xlint:-serial",
            "-Werror",
        )
    else:
        sources = [ANDROID / "Vaimanasoft.kt", HARNESS / "KotlinUsage.kt"]
        _run(
            [
                "kotlinc",
                "-jvm-target",
                "1.8",
                "-Werror",
                "-cp",
                ":".join(deps),
                "-d",
                str(sdk),
                *map(str, sources),
            ]
        )
    classpath = [str(sdk), *deps]
    _javac(out / f"usage-{flavour}", classpath, [HARNESS / "JavaUsage.java"], "--release", "8", "-Werror")
    _javac(harness, classpath, [HARNESS / "SdkHarness.java"], "-nowarn", "-Xlint:-removal")
    return [str(harness), *classpath]


class Harness:
    """One JVM process running the SDK, as one app process on a device."""

    def __init__(self, classpath: list[str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [
                "java",
                "-Djava.security.manager=allow",  # the harness's StrictMode check
                "-Duser.language=de",
                "-Duser.country=DE",
                "-Dandroid.os.Build.BRAND=google",
                "-Dandroid.os.Build.MODEL=Pixel 8",
                "-Dandroid.os.Build.VERSION.RELEASE=14",
                "-cp",
                ":".join(classpath),
                "SdkHarness",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call(self, cmd: str, timeout: float = 60, **args: Any) -> Any:
        """Run one harness command; its result (an AssertionError with the JVM's log if it failed)."""
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        self.process.stdin.flush()
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{cmd}: no answer in {timeout} s\n{self.log()[-3000:]}") from None
        if not line:
            raise AssertionError(f"{cmd}: the JVM exited\n{self.log()[-3000:]}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError(f"{cmd}: {answer['error']}\n{self.log()[-3000:]}")
        return answer["result"]

    def close(self) -> None:
        """End the process (the app is closed; call `shutdown` first for a graceful SDK stop)."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(b'{"cmd": "exit"}\n')
                self.process.stdin.flush()
                self.process.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._log.close()

    def kill(self) -> None:
        """SIGKILL: the app process dies without any clean-up."""
        self.process.kill()
        self.process.wait()
        self._log.close()
