"""The Python SDK's parts without a server: the shared flag vectors, backoff, outcomes, the queue,
value coercion, event checks, and that the package builds with pip from the repository path."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from vaimanasoft_sdk import bucket, crc32, evaluate_flag, variant_pick
from vaimanasoft_sdk._core import MAX_BATCH_BYTES, Backoff, Outcome, make_event, outcome
from vaimanasoft_sdk.flags import coerce
from vaimanasoft_sdk.queue import BATCH_PATH, DiskQueue

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "sdk" / "flag-vectors.json").read_text())


def test_vectors__cases_match_crc_bucket_pick_and_variant() -> None:
    cta = VECTORS["variants_50_30_20"]
    for case in VECTORS["cases"]:
        key, android_id = case["flag_key"], case["android_id"]
        assert crc32(f"{key}:{android_id}") == case["crc32"]
        assert bucket(key, android_id) == case["bucket"]
        assert variant_pick(key, android_id, 100) == case["pick"]
        assert evaluate_flag(key, android_id, True, case["bucket"] + 1, cta)["variant"] == case["variant"]
        assert evaluate_flag(key, android_id, True, case["bucket"], cta) == {
            "enabled": False,
            "type": "multivariate",
        }
        assert evaluate_flag(key, android_id, False, 100, cta)["enabled"] is False


def test_vectors__walks_rollouts_and_utf8() -> None:
    for walk in VECTORS["walks"]:
        variants = VECTORS["variant_sets"][walk["set"]]
        total = sum(v["weight"] for v in variants)
        assert variant_pick(walk["flag_key"], walk["android_id"], total) == walk["pick"]
        result = evaluate_flag(walk["flag_key"], walk["android_id"], True, 100, variants)
        expected = next(v for v in variants if v["key"] == walk["variant"])
        assert (result["variant"], result["value"]) == (expected["key"], expected["value"])
    for case in VECTORS["rollouts"]:
        result = evaluate_flag(case["flag_key"], case["android_id"], True, case["rollout_pct"])
        assert result == {"enabled": case["enabled"], "type": "boolean"}, case
    for case in VECTORS["crc32"]:
        assert crc32(case["text"]) == case["crc32"]


@pytest.mark.parametrize(
    "status, expected",
    [
        (200, "sent"),
        (202, "sent"),
        (304, "sent"),
        (None, "retry"),
        (301, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (400, "drop"),
        (401, "drop"),
        (403, "drop"),
        (404, "drop"),
        (413, "drop"),
    ],
)
def test_outcome__by_status(status: int | None, expected: str) -> None:
    assert outcome(status) is Outcome(expected)


def test_backoff__doubles_with_equal_jitter_up_to_the_cap_and_honours_retry_after() -> None:
    backoff = Backoff(base=1.0, maximum=8.0)
    for cap in (1, 2, 4, 8, 8, 8):
        assert cap / 2 <= backoff.delay(503, None) <= cap
    assert 3.0 <= backoff.delay(429, "3") <= 3.25
    assert 4.0 <= backoff.delay(429, "Wed, 21 Oct 2026 07:28:00 GMT") <= 8.0  # a date: exponential
    backoff.reset()
    assert 0.5 <= backoff.delay(None, None) <= 1.0


def test_queue__calls_alone_events_in_batches_of_50_and_200_kib(tmp_path: Path) -> None:
    queue = DiskQueue(tmp_path / "q.db")
    small = [(BATCH_PATH, make_event("d", "page_view", {"i": i})) for i in range(60)]
    queue.put(
        [*small[:3], ("/sdk/revenue", {"android_id": "d", "ad_type": "banner", "revenue": 0.1}), *small[3:]]
    )
    first = queue.next(50, MAX_BATCH_BYTES)
    assert first is not None and first.path == BATCH_PATH and len(first.body["events"]) == 3
    queue.remove(first.seqs)
    call = queue.next(50, MAX_BATCH_BYTES)
    assert call is not None and (call.path, len(call.seqs)) == ("/sdk/revenue", 1)
    queue.remove(call.seqs)
    assert len(queue.next(50, MAX_BATCH_BYTES).body["events"]) == 50  # type: ignore[union-attr]
    queue.close()
    # Reopened (a new process): the same items, in order
    again = DiskQueue(tmp_path / "q.db")
    assert len(again) == 57
    big = [(BATCH_PATH, make_event("d", "blob", {"x": "y" * 8000})) for _ in range(40)]
    fresh = DiskQueue(tmp_path / "big.db")
    fresh.put(big)
    batch = fresh.next(50, MAX_BATCH_BYTES)
    assert batch is not None and len(batch.body["events"]) == 25  # 25 x ~8 KiB fit in 200 KiB
    assert len(json.dumps(batch.body)) < 256 * 1024


def test_queue__beyond_max_items_the_oldest_are_dropped(tmp_path: Path) -> None:
    queue = DiskQueue(tmp_path / "q.db", max_items=5)
    queue.put([(BATCH_PATH, make_event("d", "e", {"i": i})) for i in range(8)])
    assert len(queue) == 5
    assert [e["event_data"]["i"] for e in queue.next(50, MAX_BATCH_BYTES).body["events"]] == [3, 4, 5, 6, 7]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value, default, expected",
    [
        ("#22C55E", "x", "#22C55E"),
        ("#22C55E", 0, 0),
        (3, 0, 3),
        (3.0, 0, 3),
        (3.5, 0, 0),
        (3, 0.0, 3.0),
        (True, False, True),
        (1, False, False),
        (True, 0, 0),
        ({"a": 1}, {}, {"a": 1}),
        ([1], {}, {}),
        ([1], None, [1]),
    ],
)
def test_coerce__value_of_the_defaults_type_else_the_default(value: Any, default: Any, expected: Any) -> None:
    result = coerce(value, default)
    assert result == expected and type(result) is type(expected)


def test_make_event__checks_name_size_and_numbers() -> None:
    assert make_event("d", "ok", {"x": "a" * (8192 - 8)})["event_data"]  # exactly 8 KiB of JSON
    for name, props in [("Bad Name", None), ("", None), ("x" * 65, None), ("ok", {"x": "a" * 8192})]:
        with pytest.raises(ValueError):
            make_event("d", name, props)
    with pytest.raises(ValueError):
        make_event("d", "ok", {"x": math.nan})
    event = make_event("d", "ok", created_at=0)
    assert event["created_at"] == "1970-01-01T00:00:00.000Z"


def test_package__builds_with_pip_from_the_repository_path(tmp_path: Path) -> None:
    # Given a copy of sdk/python (the build writes next to the sources) / When pip builds it
    source = shutil.copytree(ROOT / "sdk" / "python", tmp_path / "src")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # Then a wheel with the package and its httpx requirement
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("vaimanasoft_sdk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"vaimanasoft_sdk/client.py", "vaimanasoft_sdk/aio.py", "vaimanasoft_sdk/queue.py"} <= set(names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Requires-Dist: httpx" in metadata
