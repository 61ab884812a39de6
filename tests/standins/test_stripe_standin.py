"""The Stripe stand-in speaks Stripe's wire format to the official client, and signs events the way the
official library verifies them; the platform's client wraps every Stripe failure as a clear 503."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from core.errors import ServiceUnavailable
from core.settings import Settings
from pipelines import stripeclient
from standins.stripe import StripeStandin, decode_form, serve, sign
from tests.support import free_port

KEY = "sk_test_standin_unit"


@pytest.fixture(scope="module")
def standin() -> Iterator[StripeStandin]:
    fake = StripeStandin(secret_key=KEY)
    server = serve(fake)
    yield fake
    server.shutdown()


def client_for(base: str, key: str = KEY) -> stripe.StripeClient:
    client = stripeclient.client(Settings(STRIPE_SECRET_KEY=key, STRIPE_API_BASE=base))
    assert client is not None
    return client


def test_sign__stripe_library_verifies_it__and_refuses_a_changed_payload() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event"}).encode()
    header = sign(payload, "whsec_x")
    assert stripe.WebhookSignature.verify_header(payload, header, "whsec_x", tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload + b" ", header, "whsec_x", tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):  # ten minutes old: outside the tolerance
        stripe.WebhookSignature.verify_header(
            payload, sign(payload, "whsec_x", int(time.time()) - 600), "whsec_x", 300
        )


def test_decode_form__stripe_nested_encoding__dicts_and_lists() -> None:
    body = "mode=subscription&line_items[0][price]=p1&line_items[0][quantity]=1&metadata[plan]=pro&x="
    assert decode_form(body) == {
        "mode": "subscription",
        "line_items": [{"price": "p1", "quantity": "1"}],
        "metadata": {"plan": "pro"},
        "x": "",
    }


async def test_official_client__customer_and_session__created_as_stripe_answers(
    standin: StripeStandin,
) -> None:
    client = client_for(standin.base_url)
    try:
        customer = await client.v1.customers.create_async({"name": "Acme", "metadata": {"org_id": "7"}})
        session = await client.v1.checkout.sessions.create_async(
            {
                "mode": "subscription",
                "customer": customer.id,
                "line_items": [{"price": "price_x", "quantity": 1}],
                "success_url": "https://example.com/ok?s={CHECKOUT_SESSION_ID}",
                "cancel_url": "https://example.com/no",
            }
        )
        assert customer.id.startswith("cus_") and customer.metadata["org_id"] == "7"
        assert session.url == f"{standin.base_url}/c/pay/{session.id}"
        assert session.success_url == f"https://example.com/ok?s={session.id}"
        # Stripe's error shape reaches the client as its typed error
        with pytest.raises(stripe.InvalidRequestError) as missing:
            await client.v1.checkout.sessions.create_async(
                {
                    "mode": "subscription",
                    "customer": customer.id,
                    "success_url": "https://a",
                    "cancel_url": "https://b",
                }
            )
        assert (missing.value.http_status, missing.value.param) == (400, "line_items")
        # the same idempotency key replays the first answer
        options: Any = {"idempotency_key": "same-key"}
        first = await client.v1.customers.create_async({"name": "A"}, options)
        again = await client.v1.customers.create_async({"name": "A"}, options)
        assert first.id == again.id
    finally:
        await stripeclient.close(client)


async def test_call__wrong_key_unreachable_or_oversized__503_saying_why(standin: StripeStandin) -> None:
    wrong = client_for(standin.base_url, key="sk_test_wrong")
    with pytest.raises(ServiceUnavailable, match="secret key"):
        await stripeclient.call(wrong.v1.customers.create_async({"name": "A"}))
    await stripeclient.close(wrong)
    dead = client_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        await stripeclient.call(dead.v1.customers.create_async({"name": "A"}))
    await stripeclient.close(dead)

    class Huge(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b'{"id": "cus_x", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    huge = client_for(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        with pytest.raises(ServiceUnavailable, match="too large"):
            await stripeclient.call(huge.v1.customers.create_async({"name": "A"}))
    finally:
        await stripeclient.close(huge)
        server.shutdown()


def test_cli__standin_stripe__serves_until_stopped() -> None:
    # Given `vaimanasoft standin stripe --port P` (run from the source tree)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "standin", "stripe", "--port", str(port)],
        cwd=str(Path(__file__).resolve().parents[2]),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/v1/customers",
                    data={"name": "Ann"},
                    headers={"Authorization": "Bearer sk_test_any"},
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "stand-in did not start"
                time.sleep(0.1)
        # Then it answers as Stripe does
        assert r.status_code == 200 and r.json()["id"].startswith("cus_")
        assert httpx.post(f"http://127.0.0.1:{port}/v1/customers").status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode()
    assert f"STRIPE_API_BASE=http://127.0.0.1:{port}" in output
