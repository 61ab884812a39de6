"""Alert rules without a database: windows, conditions, thresholds, messages, the webhook signatures and the
address guard (pipelines.alertmetrics, pipelines.alerts, pipelines.outbound; README "Alerts")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date

import pytest

from core.errors import BadRequest
from core.settings import Settings
from pipelines import alertmetrics, alerts, outbound
from pipelines.alertmetrics import Window
from schedules.table import Entry, cron_table

TODAY = date(2026, 3, 20)


def test_windows__day__yesterday_against_the_day_before() -> None:
    # Given today / When the day windows are taken
    current, previous = alertmetrics.windows("day", TODAY)
    # Then both are complete UTC days before today (end exclusive)
    assert current == Window(date(2026, 3, 19), date(2026, 3, 20))
    assert previous == Window(date(2026, 3, 18), date(2026, 3, 19))
    assert current.days == previous.days == 1


def test_windows__week__last_seven_days_against_the_seven_before() -> None:
    current, previous = alertmetrics.windows("week", TODAY)
    assert current == Window(date(2026, 3, 13), date(2026, 3, 20))
    assert previous == Window(date(2026, 3, 6), date(2026, 3, 13))
    assert current.label() == "2026-03-13..2026-03-19"


@pytest.mark.parametrize(
    ("condition", "threshold", "current", "previous", "fires"),
    [
        # drops_by: the drop as a percentage of the previous value, at or above the threshold
        ("drops_by", 20, 700, 1000, True),
        ("drops_by", 30, 700, 1000, True),  # exactly the threshold fires
        ("drops_by", 30.01, 700, 1000, False),
        ("drops_by", 20, 1200, 1000, False),  # a rise is no drop
        ("drops_by", 100, 0, 3, True),
        ("drops_by", 10, 0, 0, False),  # no previous value: no relative change
        ("drops_by", 20, 0.8, 1.0, True),  # float arithmetic: 0.2 / 1.0 * 100 == 20.000000000000004
        ("drops_by", 10, 0.9, 1.0, True),  # (1.0 - 0.9) * 100 == 9.999999999999998: still fires
        # increases_by
        ("increases_by", 50, 150, 100, True),
        ("increases_by", 51, 150, 100, False),
        ("increases_by", 50, 5, 0, False),  # from zero: undefined, never fires
        ("increases_by", 10, 90, 100, False),
        # below / above: strict comparisons of the current value
        ("below", 10, 9.99, 0, True),
        ("below", 10, 10, 0, False),
        ("above", 0.05, 0.0501, 0, True),
        ("above", 0.05, 0.05, 0, False),
    ],
)
def test_condition_holds__table__as_documented(
    condition: str, threshold: float, current: float, previous: float, fires: bool
) -> None:
    assert alertmetrics.condition_holds(condition, threshold, current, previous) is fires


@pytest.mark.parametrize(
    ("metric", "condition", "threshold", "problem"),
    [
        ("dau", "drops_by", 0, "above 0"),
        ("dau", "drops_by", 100.5, "at most 100"),
        ("events", "increases_by", -1, "above 0"),
        ("crash_rate", "above", 5, "between 0 and 1"),
        ("churn_rate", "below", -0.01, "between 0 and 1"),
        ("dau", "below", -1, "between 0 and"),
    ],
)
def test_check_threshold__out_of_range__400_saying_why(
    metric: str, condition: str, threshold: float, problem: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        alerts.check_threshold(metric, condition, threshold)
    assert problem in caught.value.details["threshold"]


@pytest.mark.parametrize(
    ("metric", "condition", "threshold"),
    [
        ("dau", "drops_by", 100),
        ("dau", "drops_by", 0.5),
        ("events", "increases_by", 500),
        ("crash_rate", "above", 0),
        ("crash_rate", "below", 1),
        ("churn_rate", "increases_by", 25),
        ("purchases", "above", 0),
        ("new_users", "below", 1e6),
    ],
)
def test_check_threshold__in_range__accepted(metric: str, condition: str, threshold: float) -> None:
    alerts.check_threshold(metric, condition, threshold)


def test_describe__drop_and_rate__readable_message() -> None:
    window = Window(date(2026, 3, 19), date(2026, 3, 20))
    assert alertmetrics.describe("dau", "drops_by", 20, 700, 1000, window) == (
        "DAU dropped by 30.0% (1,000 -> 700) on 2026-03-19 (threshold 20%)"
    )
    assert alertmetrics.describe("crash_rate", "above", 0.05, 0.075, 0.02, window) == (
        "Crash rate was 7.50% on 2026-03-19, above 5.00% (previous window: 2.00%)"
    )


def test_signatures__standard_webhooks_published_vector__matches() -> None:
    # Given the Standard Webhooks specification's example (secret, id, timestamp, payload)
    # When signed / Then the published signature comes out
    signature = outbound.standard_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_headers__new_secret__both_schemes_verify_independently() -> None:
    # Given a new secret and a body
    secret = outbound.new_signing_secret()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret) and len(base64.b64decode(secret[6:])) == 32
    body = b'{"id":"alert_1","event":"alert.fired"}'
    # When the headers are made
    headers = outbound.signature_headers(secret, "alert_1", "alert.fired", body, timestamp=1_700_000_000)
    # Then X-Vaimanasoft-Signature is the hex HMAC keyed by the secret string (the v4 reference's Node snippet)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Vaimanasoft-Signature"] == expected
    # And webhook-signature is the Standard Webhooks one (key: base64 of the part after whsec_)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, b"alert_1.1700000000." + body, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac).decode()
    assert headers["webhook-id"] == "alert_1" and headers["webhook-timestamp"] == "1700000000"
    assert headers["X-Vaimanasoft-Event"] == "alert.fired" and headers["X-Vaimanasoft-Delivery"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
        "fe80::1%eth0",
        "::",
        # IPv4 inside IPv6: 6to4, NAT64 (well-known and local-use), IPv4-compatible, Teredo
        "2002:7f00:1::1",
        "2002:a9fe:a9fe::",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b:1::808:808",
        "::127.0.0.1",
        "::10.0.0.1",
        "2001:0:4136:e378::1",
    ],
)
def test_is_public_address__private_and_special__false(address: str) -> None:
    assert not outbound.is_public_address(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"]
)
def test_is_public_address__public__true(address: str) -> None:
    assert outbound.is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "https://10.0.0.7/x",
        "http://0.0.0.0/",
    ],
)
async def test_check_target__literal_private_address__400_unless_allowed(url: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await outbound.check_target(url, allow_private=False, field="channel_config.url")
    assert "channel_config.url" in caught.value.details
    target = await outbound.check_target(url, allow_private=True)
    assert target.addresses


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com", "https://", "x" * 3000])
async def test_check_target__not_an_http_url__400(url: str) -> None:
    with pytest.raises(BadRequest):
        await outbound.check_target(url, allow_private=True)


def test_cron_table__alerts__every_fifteen_minutes() -> None:
    assert Entry("alerts.evaluate", "*/15 * * * *", "evaluate_alerts") in cron_table(Settings())
