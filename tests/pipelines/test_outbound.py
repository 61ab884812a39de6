"""The platform's outbound guard and signer (pipelines.outbound), and the library contracts it and push rely
on: httpcore's header-size bound, the standardwebhooks secret format, firebase-admin's FCM URL constant."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time

import httpcore
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from core.errors import BadRequest, ServiceUnavailable
from pipelines import outbound
from standins.webhook_receiver import Receiver


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_numeric_host__forms_inet_aton_reads__the_address_connected_to(host: str, address: str) -> None:
    assert outbound.numeric_host(host) == address


@pytest.mark.parametrize(
    "host", ["example.com", "deadbeef", "1e100", "0x", "256.1.1.1.1", "hooks.example.test"]
)
def test_numeric_host__names__none(host: str) -> None:
    assert outbound.numeric_host(host) is None


@pytest.mark.parametrize("address", ["::ffff:0:7f00:1", "::ffff:0:a00:1", "::ffff:0:a9fe:a9fe", "::ffff:0:0"])
def test_is_public_address__ipv4_translated_private__false(address: str) -> None:
    # issue 20: http://[::ffff:0:7f00:1]/ (SIIT's ::ffff:0:0:0/96) passed the guard before
    assert not outbound.is_public_address(address)


def test_is_public_address__ipv4_translated_public__true() -> None:
    assert outbound.is_public_address("::ffff:0:808:808")


async def test_check_target__ipv4_translated_loopback_url__400() -> None:
    with pytest.raises(BadRequest):
        await outbound.check_target("http://[::ffff:0:7f00:1]/", allow_private=False)


def test_new_signing_secret__standard_webhooks_form__32_random_bytes_verified_by_the_library() -> None:
    # Given a new secret / When signing a body with it
    secret = outbound.new_signing_secret()
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert secret != outbound.new_signing_secret()
    body = b'{"id":"msg_1","event":"purchase"}'
    headers = outbound.signature_headers(secret, "msg_1", "purchase", body)
    # Then the standardwebhooks package verifies it
    assert StandardWebhook(secret).verify(body, headers) == {"id": "msg_1", "event": "purchase"}


def test_signature_headers__older_32_hex_alert_secret__still_verified_by_the_library() -> None:
    secret = "whsec_" + "0123456789abcdef" * 2
    body = b'{"id":"alert_1"}'
    headers = outbound.signature_headers(secret, "alert_1", "alert.fired", body)
    assert StandardWebhook(secret).verify(body, headers) == {"id": "alert_1"}


async def _post(receiver: Receiver, timeout: float = 5) -> outbound.Delivery:
    return await outbound.post_signed(
        receiver.url + "/hook",
        b"{}",
        secret=outbound.new_signing_secret(),
        message_id="m",
        event="test",
        timeout=timeout,
        allow_private=True,
    )


async def test_post_signed__huge_body__first_kib_only_and_quick() -> None:
    receiver = Receiver(huge_body=True).start()
    try:
        started = time.monotonic()
        delivery = await _post(receiver)
        assert delivery.status_code == 200 and delivery.body == "y" * outbound.MAX_RESPONSE_BODY
        assert time.monotonic() - started < 2
    finally:
        receiver.stop()


async def test_post_signed__huge_headers__refused_by_the_header_bound() -> None:
    # httpcore's h11 connection keeps at most this much of an incomplete header block (the bound we rely on)
    assert httpcore._async.http11.AsyncHTTP11Connection.MAX_INCOMPLETE_EVENT_SIZE == 100 * 1024
    receiver = Receiver(huge_headers=True).start()
    try:
        with pytest.raises(ServiceUnavailable, match="Target unreachable: RemoteProtocolError"):
            await _post(receiver)
    finally:
        receiver.stop()


async def test_post_signed__hanging_target__gives_up_at_the_timeout() -> None:
    receiver = Receiver(hang_seconds=5).start()
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable, match="Timeout"):
            await _post(receiver, timeout=0.5)
        assert time.monotonic() - started < 2
    finally:
        receiver.stop()


async def test_post_signed__plain_http__connections_pooled_across_calls() -> None:
    receiver = Receiver().start()
    try:
        for _ in range(5):
            assert (await _post(receiver)).ok
        loop_pool = outbound._pools[id(asyncio.get_running_loop())]
        assert not loop_pool.is_closed
    finally:
        receiver.stop()


def test_firebase_admin__fcm_url_constant__what_push_replaces() -> None:
    # pipelines.push points messaging at FCM_API_BASE through this class constant (README "Push"): pin it, in a
    # fresh interpreter so no earlier override is seen, with the URL a service then uses.
    code = (
        "from firebase_admin import messaging;"
        "print(messaging._MessagingService.FCM_URL);"
        "from core.settings import Settings; from pipelines import push;"
        "push.use_api_base(Settings(FCM_API_BASE='http://127.0.0.1:9100/'));"
        "print(messaging._MessagingService.FCM_URL.format('proj'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == [
        "https://fcm.googleapis.com/v1/projects/{0}/messages:send",
        "http://127.0.0.1:9100/v1/projects/proj/messages:send",
    ]
