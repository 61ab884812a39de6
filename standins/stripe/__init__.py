"""A local stand-in for the Stripe API: the calls billing makes, and webhook events signed as Stripe does.

Endpoints (form-encoded bodies, `Authorization: Bearer sk_...`, JSON answers and Stripe's error shape):
POST /v1/customers, GET /v1/customers/{id}, POST /v1/checkout/sessions, GET /v1/checkout/sessions/{id},
POST /v1/billing_portal/sessions, GET|POST|DELETE /v1/subscriptions/{id} (update; DELETE cancels now).
`Idempotency-Key` replays the first answer, as Stripe does.

Pages a person's browser visits: GET /c/pay/{session} completes the checkout (a subscription of the
session's price, 30-day period), delivers `checkout.session.completed` and `customer.subscription.created`
to the webhook URL, then redirects to the session's success_url; GET /p/session/{id} shows the portal,
whose "cancel at period end" link updates the subscription (`customer.subscription.updated`).

Events are signed with the real scheme: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
"{t}.{payload}")>` (`sign`). Tests drive the same helpers in-process (`complete_checkout`,
`fail_payment`, `pay_invoice`, `event`) and post the events themselves.

    python -m core.cli standin stripe --port 12111 --webhook-url http://127.0.0.1:8000/api/v4/billing/webhook
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from standins.stripe.state import (
    DEFAULT_WEBHOOK_SECRET,
    MAX_BODY,
    StripeError,
    StripeStandin,
    decode_form,
    new_id,
    sign,
)

__all__ = ["StripeError", "StripeStandin", "decode_form", "main", "serve", "sign"]

# --- HTTP ----------------------------------------------------------------------------------------------


def _handler(standin: StripeStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", new_id("req"))
            self.end_headers()
            self.wfile.write(data)

        def _api(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            url = urlsplit(self.path)
            params = decode_form(raw if self.command == "POST" else url.query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._answer(*standin.handle(self.command, url.path, params, headers))

        def do_POST(self) -> None:
            self._api()

        def do_DELETE(self) -> None:
            self._api()

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path.startswith("/c/pay/"):
                return self._pay(path.rsplit("/", 1)[-1])
            if path.startswith("/p/session/"):
                return self._portal(path.rsplit("/", 1)[-1])
            if path.startswith("/p/cancel/"):
                subscription_id = path.rsplit("/", 1)[-1]
                if subscription_id in standin.subscriptions:
                    _, events = standin.update_subscription(subscription_id, {"cancel_at_period_end": "true"})
                    standin.deliver(events)
                    return self._answer(200, b"Cancelled at the end of the period.", "text/plain")
                return self._answer(404, b"No such subscription", "text/plain")
            self._api()

        def _pay(self, session_id: str) -> None:
            session = standin.sessions.get(session_id)
            if session is None or session["status"] != "open":
                return self._answer(404, b"No open checkout session", "text/plain")
            standin.deliver(standin.complete_checkout(session_id))
            self.send_response(303)
            self.send_header("Location", session["success_url"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _portal(self, portal_id: str) -> None:
            portal = standin.portal_sessions.get(portal_id)
            if portal is None:
                return self._answer(404, b"No such portal session", "text/plain")
            rows = [
                f"<li>{s['id']}: {s['status']}, cancel at period end: {s['cancel_at_period_end']} "
                f'<a href="/p/cancel/{s["id"]}">cancel at period end</a></li>'
                for s in standin.subscriptions.values()
                if s["customer"] == portal["customer"]
            ]
            page = f"<h1>Billing portal (stand-in)</h1><ul>{''.join(rows)}</ul><a href='{portal['return_url']}'>back</a>"
            self._answer(200, page.encode(), "text/html; charset=utf-8")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def serve(standin: StripeStandin, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve `standin` on a background thread; `server.shutdown()` stops it."""
    server = ThreadingHTTPServer((host, port), _handler(standin))
    server.daemon_threads = True
    standin.base_url = f"http://{host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="stripe-standin", daemon=True).start()
    return server


def main(argv: list[str]) -> None:
    """`vaimanasoft standin stripe [--host H] [--port P] [--webhook-url URL] [--webhook-secret S]`."""
    parser = argparse.ArgumentParser(prog="vaimanasoft standin stripe", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--secret-key", default=None, help="the only secret key accepted (default: any sk_...)"
    )
    parser.add_argument("--webhook-url", default="http://127.0.0.1:8000/api/v4/billing/webhook")
    parser.add_argument("--webhook-secret", default=DEFAULT_WEBHOOK_SECRET)
    args = parser.parse_args(argv)
    standin = StripeStandin(args.secret_key, args.webhook_url, args.webhook_secret)
    server = serve(standin, args.host, args.port)
    print(
        f"Stripe stand-in on {standin.base_url}; run the platform with\n"
        f"  STRIPE_API_BASE={standin.base_url} STRIPE_SECRET_KEY={args.secret_key or 'sk_test_standin'} "
        f"STRIPE_WEBHOOK_SECRET={args.webhook_secret}\n"
        "  STRIPE_PRICE_STARTER=price_starter STRIPE_PRICE_PRO=price_pro STRIPE_PRICE_ENTERPRISE=price_enterprise\n"
        f"Checkout pages complete the payment and post the events to {args.webhook_url}.",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
