"""The stand-in's Stripe: its objects, the API calls it answers, events and their signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx

API_VERSION = "2026-10-28.endive"
PERIOD_SECONDS = 30 * 86400
DEFAULT_WEBHOOK_SECRET = "whsec_standin_0123456789abcdef"
MAX_BODY = 1024 * 1024


class StripeError(Exception):
    """An answer in Stripe's error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.param, self.code = status, param, code

    def body(self) -> dict[str, Any]:
        error = {"type": "invalid_request_error", "message": str(self)}
        if self.param:
            error["param"] = self.param
        if self.code:
            error["code"] = self.code
        return {"error": error}


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header of `payload`: `t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{payload}">`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def decode_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`metadata[plan]=pro`, `line_items[0][price]=...`) as nested dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key) or [key]
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(out)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def new_id(prefix: str) -> str:
    """A Stripe-like object id: `<prefix>_<24 hex>`."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


class StripeStandin:
    """The stand-in's state and behaviour (thread-safe); `serve` puts it behind an HTTP server."""

    def __init__(
        self,
        secret_key: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
    ) -> None:
        self.secret_key = secret_key  # None: any `sk_` key is accepted
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.base_url = ""
        self.customers: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, params) of API calls
        self._replies: dict[str, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.RLock()

    # --- the API ---------------------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Answer one API request: (status, JSON body)."""
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip()
        if not key.startswith("sk_") or (self.secret_key and key != self.secret_key):
            return 401, StripeError(401, f"Invalid API Key provided: {key[:8]}***").body()
        with self._lock:
            replay_key = headers.get("idempotency-key")
            if method == "POST" and replay_key and replay_key in self._replies:
                return self._replies[replay_key]
            self.requests.append((method, path, params))
            try:
                reply = 200, self._route(method, path, params)
            except StripeError as exc:
                reply = exc.status, exc.body()
            if method == "POST" and replay_key:
                self._replies[replay_key] = reply
            return reply

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise StripeError(404, f"Unrecognized request URL ({method}: {path})")
        route, object_id = "/".join(parts[1:-1]), parts[-1]
        if (method, "/".join(parts[1:])) == ("POST", "customers"):
            return self._create_customer(params)
        if (method, "/".join(parts[1:])) == ("POST", "checkout/sessions"):
            return self._create_session(params)
        if (method, "/".join(parts[1:])) == ("POST", "billing_portal/sessions"):
            return self._create_portal_session(params)
        stores = {"customers": self.customers, "checkout/sessions": self.sessions}
        if method == "GET" and route in stores:
            return self._get(stores[route], object_id, route)
        if route == "subscriptions":
            subscription = self._get(self.subscriptions, object_id, "subscription")
            if method == "GET":
                return subscription
            if method == "POST":
                return self.update_subscription(subscription["id"], params)[0]
            if method == "DELETE":
                return self.cancel_subscription(subscription["id"])[0]
        raise StripeError(404, f"Unrecognized request URL ({method}: {path})")

    @staticmethod
    def _get(store: dict[str, dict[str, Any]], object_id: str, what: str) -> dict[str, Any]:
        if object_id not in store:
            raise StripeError(
                404, f"No such {what.split('/')[-1].rstrip('s')}: '{object_id}'", "id", "resource_missing"
            )
        return store[object_id]

    def _customer(self, customer_id: Any, param: str = "customer") -> dict[str, Any]:
        if not customer_id or customer_id not in self.customers:
            raise StripeError(400, f"No such customer: '{customer_id}'", param, "resource_missing")
        return self.customers[customer_id]

    def _create_customer(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = {
            "id": new_id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "name": params.get("name"),
            "metadata": params.get("metadata") or {},
            "livemode": False,
        }
        self.customers[customer["id"]] = customer
        return customer

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("mode") not in ("payment", "setup", "subscription"):
            raise StripeError(400, "Missing required param: mode.", "mode")
        for name in ("success_url", "cancel_url"):
            if not str(params.get(name, "")).startswith(("http://", "https://")):
                raise StripeError(400, f"Not a valid URL: {name}", name, "url_invalid")
        items = params.get("line_items")
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, dict) and i.get("price") for i in items)
        ):
            raise StripeError(400, "Missing required param: line_items[0][price].", "line_items")
        customer = self._customer(params.get("customer"))
        session_id = new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "created": int(time.time()),
            "mode": params["mode"],
            "customer": customer["id"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata") or {},
            "success_url": params["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
            "cancel_url": params["cancel_url"],
            "status": "open",
            "payment_status": "unpaid",
            "subscription": None,
            "url": f"{self.base_url}/c/pay/{session_id}",
            "livemode": False,
            # not in Stripe's answer (line items are a separate list there); kept to complete the session
            "_line_items": items,
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        self.sessions[session_id] = session
        return self._public(session)

    def _create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        customer = self._customer(params.get("customer"))
        session = {
            "id": new_id("bps"),
            "object": "billing_portal.session",
            "created": int(time.time()),
            "customer": customer["id"],
            "return_url": params.get("return_url"),
            "livemode": False,
        }
        session["url"] = f"{self.base_url}/p/session/{session['id']}"
        self.portal_sessions[session["id"]] = session
        return session

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    # --- what happens outside the API: a customer pays, a card fails, ... --------------------------------

    def event(self, event_type: str, obj: dict[str, Any], created: int | None = None) -> dict[str, Any]:
        """A Stripe event (snapshot payload) about `obj`."""
        return {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()) if created is None else created,
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(self._public(obj)))},
        }

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The customer paid: a subscription of the session's price starts; its two events."""
        with self._lock:
            session = self.sessions[session_id]
            now = int(time.time())
            price = session["_line_items"][0]["price"]
            subscription = {
                "id": new_id("sub"),
                "object": "subscription",
                "created": now,
                "start_date": now,
                "customer": session["customer"],
                "status": "active",
                "cancel_at_period_end": False,
                "canceled_at": None,
                "metadata": dict(session["_subscription_metadata"]),
                "items": {
                    "object": "list",
                    "data": [
                        {
                            "id": new_id("si"),
                            "object": "subscription_item",
                            "price": {"id": price, "object": "price"},
                            "quantity": int(session["_line_items"][0].get("quantity", 1)),
                            "current_period_start": now,
                            "current_period_end": now + PERIOD_SECONDS,
                        }
                    ],
                },
                "livemode": False,
            }
            self.subscriptions[subscription["id"]] = subscription
            session.update(status="complete", payment_status="paid", subscription=subscription["id"])
            return [
                self.event("checkout.session.completed", session, now),
                self.event("customer.subscription.created", subscription, now),
            ]

    def update_subscription(
        self, subscription_id: str, params: dict[str, Any]
    ) -> tuple[dict[str, Any], list]:
        """Apply an update (cancel_at_period_end, metadata); the subscription and its event."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            if subscription["status"] == "canceled":
                raise StripeError(400, "A canceled subscription can only update its metadata.")
            if "cancel_at_period_end" in params:
                subscription["cancel_at_period_end"] = _flag(params["cancel_at_period_end"])
            subscription["metadata"].update(params.get("metadata") or {})
            return subscription, [self.event("customer.subscription.updated", subscription)]

    def cancel_subscription(self, subscription_id: str) -> tuple[dict[str, Any], list]:
        """End the subscription now; it and its `customer.subscription.deleted` event."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            subscription.update(status="canceled", canceled_at=int(time.time()))
            return subscription, [self.event("customer.subscription.deleted", subscription)]

    def _invoice(self, subscription: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "id": new_id("in"),
            "object": "invoice",
            "customer": subscription["customer"],
            "status": status,
            "amount_due": 4900,
            "currency": "usd",
            "hosted_invoice_url": f"{self.base_url}/i/{subscription['id']}",
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": subscription["id"], "metadata": {}},
            },
        }

    def fail_payment(self, subscription_id: str) -> list[dict[str, Any]]:
        """A renewal's payment failed: `invoice.payment_failed`, then the subscription turns past_due."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            subscription["status"] = "past_due"
            return [
                self.event("invoice.payment_failed", self._invoice(subscription, "open")),
                self.event("customer.subscription.updated", subscription),
            ]

    def pay_invoice(self, subscription_id: str) -> list[dict[str, Any]]:
        """The payment went through after all: `invoice.paid`, then the subscription is active again."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            subscription["status"] = "active"
            return [
                self.event("invoice.paid", self._invoice(subscription, "paid")),
                self.event("customer.subscription.updated", subscription),
            ]

    def signed(self, event: dict[str, Any], secret: str | None = None, timestamp: int | None = None):
        """(payload bytes, headers) of a webhook delivery of `event`."""
        payload = json.dumps(event).encode()
        signature = sign(payload, secret or self.webhook_secret, timestamp)
        return payload, {"Content-Type": "application/json", "Stripe-Signature": signature}

    def deliver(self, events: list[dict[str, Any]]) -> list[int]:
        """POST each event, signed, to the webhook URL (when one is set); the status codes."""
        if not self.webhook_url:
            return []
        codes = []
        for event in events:
            payload, headers = self.signed(event)
            try:
                codes.append(
                    httpx.post(self.webhook_url, content=payload, headers=headers, timeout=10).status_code
                )
            except httpx.HTTPError:
                codes.append(0)
        return codes
