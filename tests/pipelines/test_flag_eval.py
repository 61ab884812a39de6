"""Flag evaluation as a pure function (pipelines.flags): the published test vectors, rollout and
variant distributions, independence of flags, monotone rollouts, targeting and version order."""

from __future__ import annotations

import json
import random
import re
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.flags import (
    NEW_DEVICE,
    CompiledFlag,
    DeviceAttrs,
    bucket,
    compile_flag,
    variant_pick,
    version_key,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The vectors every SDK's tests check too (Python SDK, Android Java and Kotlin): one JSON file.
VECTOR_DOC = json.loads((ROOT / "sdk" / "flag-vectors.json").read_text())
CTA_VARIANTS = VECTOR_DOC["variants_50_30_20"]

# The README's published vectors: (flag_key, android_id, crc32 of "flag_key:android_id", bucket,
# variant pick % 100, variant for green 50 / orange 30 / blue 20).
VECTORS = [
    (c["flag_key"], c["android_id"], c["crc32"], c["bucket"], c["pick"], c["variant"])
    for c in VECTOR_DOC["cases"]
]


def _flag(key: str = "f", **fields: Any) -> CompiledFlag:
    row = {
        "flag_key": key,
        "flag_type": "boolean",
        "is_enabled": True,
        "rollout_pct": 100,
        "variants": [],
        "segments": [],
        "custom_segment_ids": [],
        "countries": [],
        "min_app_version": None,
        **fields,
    }
    return compile_flag(SimpleNamespace(**row))  # type: ignore[arg-type]


def _ids(n: int, seed: int = 2026) -> list[str]:
    """Synthetic Android IDs: 16 random hex digits, as Settings.Secure.ANDROID_ID looks."""
    rng = random.Random(seed)
    return [f"{rng.getrandbits(64):016x}" for _ in range(n)]


def test_vectors__match_a_direct_crc32_and_the_evaluation() -> None:
    assert len(VECTORS) == 20
    for key, android_id, crc, expected_bucket, pick, variant in VECTORS:
        assert zlib.crc32(f"{key}:{android_id}".encode()) == crc
        assert crc % 100 == expected_bucket == bucket(key, android_id)
        assert (
            zlib.crc32(f"{key}:{android_id}:variant".encode()) % 100
            == pick
            == variant_pick(key, android_id, 100)
        )
        # Evaluated with a rollout just above and at the bucket
        flag = _flag(key, flag_type="multivariate", variants=CTA_VARIANTS, rollout_pct=expected_bucket + 1)
        result = flag.evaluate(android_id, NEW_DEVICE)
        value = {v["key"]: v["value"] for v in CTA_VARIANTS}[variant]
        assert result == {"enabled": True, "type": "multivariate", "variant": variant, "value": value}
        at_bucket = _flag(key, flag_type="multivariate", variants=CTA_VARIANTS, rollout_pct=expected_bucket)
        assert at_bucket.evaluate(android_id, NEW_DEVICE) == {"enabled": False, "type": "multivariate"}


def test_vectors__published_in_the_readme() -> None:
    text = README.read_text()
    rows = re.findall(
        r"^ *\| `([^`]+)` \| `([^`]+)` \| (\d+) \| (\d+) \| (\d+) \| (\w+) \|$", text, re.MULTILINE
    )
    assert [(k, a, int(c), int(b), int(p), v) for k, a, c, b, p, v in rows] == VECTORS


@pytest.mark.parametrize("walk", VECTOR_DOC["walks"], ids=lambda w: f"{w['set']}-{w['pick']}")
def test_vector_walks__pick_the_variant_at_each_cumulative_edge(walk: dict[str, Any]) -> None:
    # Given a variant set and an id whose pick falls on (or just below) a cumulative weight
    variants = VECTOR_DOC["variant_sets"][walk["set"]]
    total = sum(v["weight"] for v in variants)
    flag = _flag(walk["flag_key"], flag_type="multivariate", variants=variants)
    # When evaluated / Then the pick and the variant are the shared vector's
    assert variant_pick(walk["flag_key"], walk["android_id"], total) == walk["pick"]
    result = flag.evaluate(walk["android_id"], NEW_DEVICE)
    expected = next(v for v in variants if v["key"] == walk["variant"])
    assert (result["variant"], result["value"]) == (expected["key"], expected["value"])


def test_vector_rollouts__enabled_exactly_below_the_rollout() -> None:
    for case in VECTOR_DOC["rollouts"]:
        flag = _flag(case["flag_key"], rollout_pct=case["rollout_pct"])
        assert flag.evaluate(case["android_id"], NEW_DEVICE)["enabled"] is case["enabled"], case


def test_vector_crc32__utf8_of_the_text() -> None:
    for case in VECTOR_DOC["crc32"]:
        assert zlib.crc32(case["text"].encode("utf-8")) == case["crc32"]


def test_rollout_25__enables_25_percent_of_100k_ids() -> None:
    flag = _flag("rollout_check", rollout_pct=25)
    enabled = sum(flag.evaluate(a, NEW_DEVICE)["enabled"] for a in _ids(100_000))
    assert abs(enabled / 100_000 - 0.25) <= 0.005


def test_variant_split_50_50__within_half_a_percent() -> None:
    flag = _flag(
        "split_check",
        flag_type="multivariate",
        variants=[{"key": "a", "value": 1, "weight": 1}, {"key": "b", "value": 2, "weight": 1}],
    )
    a = sum(flag.evaluate(x, NEW_DEVICE)["variant"] == "a" for x in _ids(100_000))
    assert abs(a / 100_000 - 0.5) <= 0.005


@pytest.mark.parametrize(
    "first_key, second_key",
    [("first_flag", "second_flag"), ("dark_mode", "paywall.v2"), ("flag_a", "flag_b")],
)
def test_two_flags_at_50__overlap_25_percent(first_key: str, second_key: str) -> None:
    # (CRC32 is linear: for ids of one length two keys' hashes differ by a fixed XOR, so about 1 % of key
    # pairs overlap up to 1 point off 25 %; the README says so. These pairs are typical ones.)
    first, second = _flag(first_key, rollout_pct=50), _flag(second_key, rollout_pct=50)
    both = sum(
        first.evaluate(x, NEW_DEVICE)["enabled"] and second.evaluate(x, NEW_DEVICE)["enabled"]
        for x in _ids(100_000)
    )
    assert abs(both / 100_000 - 0.25) <= 0.005


@settings(max_examples=200, deadline=None)
@given(low=st.integers(0, 100), high=st.integers(0, 100), android_id=st.text(min_size=1, max_size=40))
def test_raising_rollout__never_removes_a_device(low: int, high: int, android_id: str) -> None:
    low, high = min(low, high), max(low, high)
    if _flag("ramp", rollout_pct=low).evaluate(android_id, NEW_DEVICE)["enabled"]:
        assert _flag("ramp", rollout_pct=high).evaluate(android_id, NEW_DEVICE)["enabled"]


def test_disabled_or_zero_rollout__never_enabled_and_no_variant() -> None:
    multi = {"flag_type": "multivariate", "variants": CTA_VARIANTS}
    for flag in (_flag(is_enabled=False), _flag(rollout_pct=0), _flag(is_enabled=False, **multi)):
        for x in _ids(200):
            assert set(flag.evaluate(x, NEW_DEVICE)) == {"enabled", "type"}
            assert flag.evaluate(x, NEW_DEVICE)["enabled"] is False


def test_targeting__every_given_rule_must_match() -> None:
    flag = _flag(
        segments=["power_user", "active"],
        countries=["DE", "AT"],
        min_app_version="2.4",
        custom_segment_ids=[7, 9],
    )
    good = DeviceAttrs(
        segment="power_user", country="DE", app_version="2.4.0", custom_segments=frozenset({9})
    )
    assert flag.evaluate("x", good)["enabled"] is True
    for bad in (
        DeviceAttrs(**{**good.__dict__, "segment": "new"}),
        DeviceAttrs(**{**good.__dict__, "country": "FR"}),
        DeviceAttrs(**{**good.__dict__, "country": None}),
        DeviceAttrs(**{**good.__dict__, "app_version": "2.3.9"}),
        DeviceAttrs(**{**good.__dict__, "app_version": None}),
        DeviceAttrs(**{**good.__dict__, "custom_segments": frozenset({8})}),
        NEW_DEVICE,
    ):
        assert flag.evaluate("x", bad)["enabled"] is False, bad
    assert _flag(segments=["new"]).evaluate("x", NEW_DEVICE)["enabled"] is True  # an unknown device is new


@pytest.mark.parametrize(
    "older, newer",
    [
        ("1.9", "1.10"),
        ("1.2", "1.2.1"),
        ("1.2.0-beta.1", "1.2.0"),
        ("1.2.0-beta.1", "1.2.0-beta.2"),
        ("1.2.0-alpha", "1.2.0-beta"),
        ("2.9.9", "2.10"),
        ("v1.0", "1.0.1"),
        ("1.0.0-rc.9", "1.0.0-rc.10"),
        ("3rc1", "3"),
        ("0.9", "1"),
    ],
)
def test_version_key__orders_versions(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


@pytest.mark.parametrize("a, b", [("1.2", "1.2.0"), ("v2.0", "2"), ("1.2.0+build.7", "1.2.0")])
def test_version_key__equal_versions(a: str, b: str) -> None:
    assert version_key(a) == version_key(b)
