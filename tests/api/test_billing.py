"""Billing through Stripe over HTTP (API.md section 8, issue 14): checkout, portal, cancel, and the webhook
that moves the org's plan, its limits and its rate-limit tiers.

The module runs its own platform: two API servers and a worker on a Redis of their own, configured for
the Stripe stand-in (standins/stripe.py, served in this process; the platform talks to it through the
official `stripe` client) and for an aiosmtpd server receiving the owners' emails. Webhook events come
from the stand-in, signed with the real `Stripe-Signature` scheme, and are posted the way Stripe does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from standins.stripe import StripeStandin, serve, sign
from tests.api.test_alerts import Inbox
from tests.support import Client, Platform, RedisServer, add_member

SECRET_KEY = "sk_test_billing_0123456789"
WEBHOOK_SECRET = "whsec_billing_test_secret"
PUBLIC_URL = "https://analytics.example.com"
PRICES = {"starter": "price_starter_test", "pro": "price_pro_test"}  # no enterprise price: not for sale


@dataclass
class Billing:
    """The module's platform (API servers `a` and `b`, a worker) and its outside services."""

    a: str
    b: str
    stripe: StripeStandin
    inbox: Inbox
    redis_url: str


@pytest.fixture(scope="module")
def billing(platform: Platform) -> Iterator[Billing]:
    standin = StripeStandin(secret_key=SECRET_KEY, webhook_secret=WEBHOOK_SECRET)
    stripe_server = serve(standin)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    smtp.start()
    own = RedisServer().start()
    env = {
        "REDIS_URL": own.url,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": standin.base_url,
        "STRIPE_PRICE_STARTER": PRICES["starter"],
        "STRIPE_PRICE_PRO": PRICES["pro"],
        "PUBLIC_URL": PUBLIC_URL,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_STARTTLS": "false",
        "SMTP_FROM": "billing@vaimanasoft.test",
    }
    worker = platform.spawn("worker", **env)
    server_a, a = platform.serve(**env)
    server_b, b = platform.serve(**env)
    standin.webhook_url = f"{a}/api/v4/billing/webhook"  # where its checkout and portal pages post events
    try:
        yield Billing(a, b, standin, inbox, own.url)
    finally:
        for proc in (server_a, server_b, worker):
            proc.stop()
        own.remove()
        smtp.stop()
        stripe_server.shutdown()


@pytest.fixture
async def api(billing: Billing) -> AsyncIterator[Client]:
    client = Client(billing.a)
    yield client
    await client.close()


# --- helpers -------------------------------------------------------------------------------------------


async def post_event(
    base: str, standin: StripeStandin, event: dict[str, Any], secret: str | None = None, at: int | None = None
) -> httpx.Response:
    """Deliver one event to the webhook as Stripe does (raw JSON body, Stripe-Signature)."""
    payload, headers = standin.signed(event, secret, at)
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{base}/api/v4/billing/webhook", content=payload, headers=headers)


async def deliver(billing: Billing, events: list[dict[str, Any]], base: str | None = None) -> list[str]:
    """Deliver events in order; each must be accepted (200). Their `result`s."""
    results = []
    for event in events:
        r = await post_event(base or billing.a, billing.stripe, event)
        assert r.status_code == 200, r.text
        results.append(r.json()["result"])
    return results


async def subscription(client: Client, token: str) -> dict[str, Any]:
    r = await client.request("GET", "/billing/subscription", token)
    assert r.status_code == 200, r.text
    return r.json()


async def checkout(client: Client, token: str, plan: str = "pro") -> str:
    """POST /billing/checkout; the session id of the checkout URL."""
    r = await client.request("POST", "/billing/checkout", token, json={"plan": plan})
    assert r.status_code == 200, r.text
    return r.json()["checkout_url"].rsplit("/", 1)[-1]


async def subscribe(billing: Billing, client: Client, token: str, plan: str = "pro") -> dict[str, Any]:
    """Checkout, payment and the two webhooks: the org's Stripe subscription object."""
    events = billing.stripe.complete_checkout(await checkout(client, token, plan))
    assert await deliver(billing, events) == ["applied", "applied"]
    return events[1]["data"]["object"]


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


# --- checkout, portal, cancel --------------------------------------------------------------------------


async def test_checkout__owner__stripe_session_for_the_plan_customer_created_once(
    billing: Billing, api: Client
) -> None:
    # Given an owner of a free org
    owner = await api.register(org="Checkout Org")
    org_id = owner["user"]["org_id"]
    calls = len(billing.stripe.requests)
    # When they start a checkout for pro, then (changing their mind) one for starter
    pro_session = billing.stripe.sessions[await checkout(api, owner["token"], "pro")]
    starter_session = billing.stripe.sessions[await checkout(api, owner["token"], "starter")]
    # Then Stripe got one customer for the org, reused by both subscription-mode sessions
    made = billing.stripe.requests[calls:]
    customers = [params for method, path, params in made if path == "/v1/customers"]
    assert len(customers) == 1
    assert customers[0]["metadata"] == {"org_id": str(org_id)}
    assert customers[0]["email"] == owner["email"] and customers[0]["name"] == "Checkout Org"
    for session, plan in ((pro_session, "pro"), (starter_session, "starter")):
        assert session["customer"] == pro_session["customer"]
        assert session["mode"] == "subscription"
        assert session["client_reference_id"] == str(org_id)
        assert session["metadata"] == {"org_id": str(org_id), "plan": plan}
        assert session["_line_items"] == [{"price": PRICES[plan], "quantity": "1"}]
        assert session["success_url"].startswith(f"{PUBLIC_URL}/billing?checkout=success&session_id=cs_")
        assert session["cancel_url"] == f"{PUBLIC_URL}/billing?checkout=cancelled"
    # and nothing changed yet: the plan moves when Stripe confirms
    assert (await subscription(api, owner["token"]))["plan"] == "free"


async def test_checkout__then_webhooks__pro_with_limits_period_end_and_api_tier_1000(
    billing: Billing, api: Client
) -> None:
    # Given an owner who went through checkout for pro and paid
    owner = await api.register()
    sub = await subscribe(billing, api, owner["token"])
    # When they read the subscription
    r = await api.request("GET", "/billing/subscription", owner["token"])
    # Then it is pro with its limits and period end, and the api tier is pro's on this very request
    assert r.status_code == 200
    body = r.json()
    assert (body["plan"], body["status"], body["cancel_at_period_end"]) == ("pro", "active", False)
    assert body["limits"] == {"apps": 10, "devices": 100_000, "events_per_month": 10_000_000}
    assert body["current_period_end"] == iso(sub["items"]["data"][0]["current_period_end"])
    assert r.headers["X-RateLimit-Limit"] == "1000"
    # and the change is in the activity log, made by Stripe
    log = (await api.request("GET", "/settings/activity?action=billing.update", owner["token"])).json()
    assert [e["details"]["after"]["plan"] for e in log["entries"]] == ["pro"]


async def test_standin_pages__checkout_page_then_portal_cancel_link__events_reach_the_webhook(
    billing: Billing, api: Client
) -> None:
    # Given an owner's checkout URL
    owner = await api.register()
    r = await api.request("POST", "/billing/checkout", owner["token"], json={"plan": "starter"})
    async with httpx.AsyncClient(timeout=30) as browser:
        # When the browser opens it (the stand-in "pays" and posts the events, as Stripe would)
        page = await browser.get(r.json()["checkout_url"])
        # Then it is sent back to the platform's success page, and the org is on starter
        assert page.status_code == 303
        assert page.headers["location"].startswith(f"{PUBLIC_URL}/billing?checkout=success&session_id=cs_")
        assert (await subscription(api, owner["token"]))["plan"] == "starter"
        # When the portal's "cancel at period end" link is followed
        portal = await api.request("POST", "/billing/portal", owner["token"])
        sub_id = next(
            iter(
                s
                for s in billing.stripe.subscriptions.values()
                if s["metadata"]["org_id"] == str(owner["user"]["org_id"])
            )
        )["id"]
        assert sub_id in (await browser.get(portal.json()["portal_url"])).text
        assert (await browser.get(f"{billing.stripe.base_url}/p/cancel/{sub_id}")).status_code == 200
    # Then the update event reached the webhook: cancelling at the period end, plan kept until then
    body = await subscription(api, owner["token"])
    assert (body["plan"], body["cancel_at_period_end"]) == ("starter", True)


async def test_checkout__roles_and_plans__admin_viewer_403_unknown_400_no_price_400(
    billing: Billing, api: Client, database_url: str
) -> None:
    owner = await api.register()
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", api)
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", api)
    calls = len(billing.stripe.requests)
    for member in (admin, viewer):
        for path in ("/billing/checkout", "/billing/portal", "/billing/cancel"):
            r = await api.request("POST", path, member["token"], json={"plan": "pro"})
            assert r.status_code == 403, (path, r.text)
    for body, field in (({"plan": "platinum"}, "plan"), ({}, "plan"), ({"plan": 3}, "plan")):
        r = await api.request("POST", "/billing/checkout", owner["token"], json=body)
        assert r.status_code == 400 and field in r.json()["details"], r.text
    # A plan without a configured price cannot be bought (STRIPE_PRICE_ENTERPRISE is unset here)
    r = await api.request("POST", "/billing/checkout", owner["token"], json={"plan": "enterprise"})
    assert r.status_code == 400
    assert r.json()["details"] == {"plan": "set STRIPE_PRICE_ENTERPRISE"}
    assert billing.stripe.requests[calls:] == []  # Stripe was never called
    assert (await api.request("POST", "/billing/checkout", headers={})).status_code == 401


async def test_checkout__already_subscribed__409(billing: Billing, api: Client) -> None:
    owner = await api.register()
    await subscribe(billing, api, owner["token"], "starter")
    r = await api.request("POST", "/billing/checkout", owner["token"], json={"plan": "pro"})
    assert r.status_code == 409 and "portal" in r.json()["error"]


async def test_portal__without_then_with_customer__409_then_portal_url(billing: Billing, api: Client) -> None:
    owner = await api.register()
    # Given no customer yet / Then 409
    r = await api.request("POST", "/billing/portal", owner["token"])
    assert r.status_code == 409, r.text
    # Given a checkout made the customer / Then a portal session for that customer, returning to the app
    session = billing.stripe.sessions[await checkout(api, owner["token"])]
    r = await api.request("POST", "/billing/portal", owner["token"])
    assert r.status_code == 200, r.text
    portal_id = r.json()["portal_url"].rsplit("/", 1)[-1]
    assert r.json()["portal_url"].startswith(billing.stripe.base_url + "/p/session/bps_")
    portal = billing.stripe.portal_sessions[portal_id]
    assert (portal["customer"], portal["return_url"]) == (session["customer"], f"{PUBLIC_URL}/billing")


async def test_cancel__subscribed__cancel_at_period_end_in_stripe_and_answer_plan_kept(
    billing: Billing, api: Client
) -> None:
    owner = await api.register()
    # Given no subscription / Then 409
    assert (await api.request("POST", "/billing/cancel", owner["token"])).status_code == 409
    # Given a pro subscription / When cancelled
    sub = await subscribe(billing, api, owner["token"])
    r = await api.request("POST", "/billing/cancel", owner["token"])
    # Then Stripe's subscription ends at the period end, and the org keeps pro until then
    assert r.status_code == 200, r.text
    assert billing.stripe.subscriptions[sub["id"]]["cancel_at_period_end"] is True
    assert (r.json()["plan"], r.json()["status"], r.json()["cancel_at_period_end"]) == ("pro", "active", True)
    assert r.json()["current_period_end"] == iso(sub["items"]["data"][0]["current_period_end"])
    log = (await api.request("GET", "/settings/activity?action=billing.cancel", owner["token"])).json()
    assert log["total"] == 1
    assert log["entries"][0]["details"]["after"] == {"cancel_at_period_end": True}


async def test_billing_routes__no_stripe_key__503_clear_message_plan_default(client: Client) -> None:
    # Given the session's server, which has no Stripe settings
    owner = await client.register()
    for path in ("/billing/checkout", "/billing/portal", "/billing/cancel"):
        # When the owner uses billing / Then 503 saying what to configure
        r = await client.request("POST", path, owner["token"], json={"plan": "pro"})
        assert r.status_code == 503, (path, r.text)
        assert "STRIPE_SECRET_KEY" in r.json()["error"]
    r = await client.request(
        "POST", "/billing/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}
    )
    assert r.status_code == 503 and "STRIPE_WEBHOOK_SECRET" in r.json()["error"]
    assert (await subscription(client, owner["token"]))["plan"] == "free"


# --- the webhook ---------------------------------------------------------------------------------------


async def test_webhook__plan_change__every_api_process_sees_it_within_a_second(
    billing: Billing, api: Client
) -> None:
    # Given a free org whose SDK key is cached by API process B (the sdk tier shows free's 200)
    owner = await api.register()
    app = await api.create_app(owner["token"])
    other = Client(billing.b)
    try:
        sdk = {"X-SDK-Key": app["sdk_key"]}
        r = await other.request("POST", "/devices/register", headers=sdk, json={"android_id": "dev-1"})
        assert r.headers["X-RateLimit-Limit"] == "200"
        events = billing.stripe.complete_checkout(await checkout(api, owner["token"]))
        # When the webhooks reach process A
        assert await deliver(billing, events, base=billing.a) == ["applied", "applied"]
        # Then within a second process B applies pro's sdk tier (2000) to the same key
        deadline, limit = time.monotonic() + 1.0, None
        while time.monotonic() < deadline:
            r = await other.request("POST", "/devices/register", headers=sdk, json={"android_id": "dev-1"})
            limit = r.headers["X-RateLimit-Limit"]
            if limit == "2000":
                break
            await asyncio.sleep(0.05)
        assert limit == "2000"
    finally:
        await other.close()


async def test_webhook__same_event_five_times_at_once__applied_once(
    billing: Billing, api: Client, database_url: str
) -> None:
    # Given a paid checkout whose completion event Stripe delivers five times at once (to both processes)
    owner = await api.register()
    completed, created = billing.stripe.complete_checkout(await checkout(api, owner["token"]))
    bases = [billing.a, billing.b] * 3
    responses = await asyncio.gather(*(post_event(bases[i], billing.stripe, completed) for i in range(5)))
    # Then every delivery is acknowledged, one applied it, the others saw a duplicate
    assert [r.status_code for r in responses] == [200] * 5
    assert sorted(r.json()["result"] for r in responses) == ["applied"] + ["duplicate"] * 4
    # and the state changed once: one event row, one activity entry, the plan is pro
    rows = await sql(database_url, "SELECT id FROM stripe_events WHERE id = $1", completed["id"])
    assert len(rows) == 1
    log = (await api.request("GET", "/settings/activity?action=billing.update", owner["token"])).json()
    assert log["total"] == 1
    assert await deliver(billing, [created]) == ["applied"]
    assert (await subscription(api, owner["token"]))["plan"] == "pro"


async def test_webhook__updated_older_than_stored_state__ignored_newer_applied(
    billing: Billing, api: Client
) -> None:
    # Given a pro subscription whose state came from an event of time T
    owner = await api.register()
    sub = await subscribe(billing, api, owner["token"])
    stored_at = billing.stripe.subscriptions[sub["id"]]["created"]
    before = await subscription(api, owner["token"])
    # When an update from before T arrives late (it says past_due and cancelling)
    late = dict(billing.stripe.subscriptions[sub["id"]], status="past_due", cancel_at_period_end=True)
    late_event = billing.stripe.event("customer.subscription.updated", late, created=stored_at - 60)
    assert await deliver(billing, [late_event]) == ["stale"]
    # Then nothing changed
    assert await subscription(api, owner["token"]) == before
    # When a newer update arrives / Then it is applied
    newer = billing.stripe.event("customer.subscription.updated", late, created=stored_at + 60)
    assert await deliver(billing, [newer]) == ["applied"]
    after = await subscription(api, owner["token"])
    assert (after["plan"], after["status"], after["cancel_at_period_end"]) == ("pro", "past_due", True)
    # and the deletion that ends it is final: an update of the same moment cannot revive it
    ended, _ = billing.stripe.cancel_subscription(sub["id"])
    deleted = billing.stripe.event("customer.subscription.deleted", ended, created=stored_at + 120)
    revive = billing.stripe.event(
        "customer.subscription.updated", late | {"status": "active"}, stored_at + 120
    )
    assert await deliver(billing, [deleted, revive]) == ["applied", "stale"]
    assert (await subscription(api, owner["token"]))["plan"] == "free"


async def test_webhook__wrong_secret_or_stale_timestamp__400_nothing_changed(
    billing: Billing, api: Client, database_url: str
) -> None:
    # Given a paid checkout's events
    owner = await api.register()
    completed, created = billing.stripe.complete_checkout(await checkout(api, owner["token"]))
    # When they arrive signed with another secret, or signed ten minutes ago (a replay)
    wrong = await post_event(billing.a, billing.stripe, completed, secret="whsec_someone_else")
    stale = await post_event(billing.a, billing.stripe, created, at=int(time.time()) - 600)
    # Then both are 400 and nothing is recorded or changed
    for r in (wrong, stale):
        assert r.status_code == 400, r.text
        assert "signature" in r.json()["error"].lower()
    assert await sql(database_url, "SELECT id FROM stripe_events") == []
    assert (await subscription(api, owner["token"]))["plan"] == "free"


async def test_webhook__bad_input__400_413_or_ignored_never_500(
    billing: Billing, api: Client, database_url: str
) -> None:
    url = f"{billing.a}/api/v4/billing/webhook"
    unknown = billing.stripe.event("customer.created", {"id": "cus_x", "object": "customer"})
    not_json = b"this is not json"
    not_event = b'{"id": 5}'
    async with httpx.AsyncClient(timeout=30) as http:
        # non-JSON (signed) body, a JSON body that is no event, no signature header
        for payload in (not_json, not_event):
            headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload, WEBHOOK_SECRET)}
            r = await http.post(url, content=payload, headers=headers)
            assert r.status_code == 400, r.text
        r = await http.post(url, content=b"{}", headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"] == "Missing Stripe-Signature header"
        r = await http.post(url, content=b"{}", headers={"Stripe-Signature": "garbage"})
        assert r.status_code == 400
        # an event type billing does not handle: acknowledged, ignored
        r = await post_event(billing.a, billing.stripe, unknown)
        assert (r.status_code, r.json()) == (200, {"received": True, "result": "ignored"})
        # a body over 1 MiB
        big = billing.stripe.event("customer.updated", {"id": "cus_x", "pad": "x" * (1024 * 1024)})
        r = await post_event(billing.a, billing.stripe, big)
        assert r.status_code == 413, r.text
    assert await sql(database_url, "SELECT id FROM stripe_events") == []


async def test_webhook__subscription_deleted__free_apps_readable_new_devices_403_known_202(
    billing: Billing, api: Client, database_url: str
) -> None:
    # Given a pro org with 3 apps and 1,050 devices (stored by the worker from SDK batches)
    owner = await api.register()
    sub = await subscribe(billing, api, owner["token"])
    apps = [await api.create_app(owner["token"]) for _ in range(3)]
    sdk = {"X-SDK-Key": apps[0]["sdk_key"]}
    sent = await asyncio.gather(
        *(
            api.request(
                "POST",
                "/events/batch",
                headers=sdk,
                json={"events": [{"android_id": f"d{b}-{i}", "event_type": "app_open"} for i in range(50)]},
            )
            for b in range(21)
        )
    )
    assert [r.status_code for r in sent] == [202] * 21
    deadline = time.monotonic() + 60
    while (await sql(database_url, "SELECT device_count FROM orgs WHERE id = $1", owner["user"]["org_id"]))[
        0
    ]["device_count"] < 1050:
        assert time.monotonic() < deadline, "devices not stored"
        await asyncio.sleep(0.2)
    # When Stripe deletes the subscription
    ended, events = billing.stripe.cancel_subscription(sub["id"])
    assert await deliver(billing, events) == ["applied"]
    # Then the org is free again, nothing was deleted, and its apps stay readable
    body = await subscription(api, owner["token"])
    assert (body["plan"], body["status"], body["limits"]["apps"]) == ("free", "canceled", 1)
    assert body["usage"] == {"apps": 3, "devices": 1050, "events_this_month": 1050}
    listed = (await api.request("GET", "/apps", owner["token"])).json()["apps"]
    assert sorted(a["id"] for a in listed) == sorted(a["id"] for a in apps)
    assert (await api.request("GET", f"/apps/{apps[2]['id']}", owner["token"])).status_code == 200
    # but a new app is refused, as is an SDK batch from a new device; a known device goes on
    r = await api.request("POST", "/apps", owner["token"], json={"name": "New", "package_name": "com.x.new"})
    assert r.status_code == 403 and r.json()["error"].startswith("Plan limit reached")
    new = await api.request(
        "POST",
        "/events/batch",
        headers=sdk,
        json={"events": [{"android_id": "brand-new", "event_type": "a"}]},
    )
    assert new.status_code == 403 and new.json()["error"].startswith("Plan limit reached"), new.text
    known = await api.request(
        "POST", "/events/batch", headers=sdk, json={"events": [{"android_id": "d0-0", "event_type": "a"}]}
    )
    assert known.status_code == 202, known.text
    profile = await api.request("GET", "/sdk/profile", headers=sdk, params={"android_id": "d0-0"})
    assert profile.status_code == 200
    rows = await sql(database_url, "SELECT count(*) AS n FROM devices WHERE android_id = 'brand-new'")
    assert rows[0]["n"] == 0
    # When the owner subscribes again / Then new devices are admitted at once
    await subscribe(billing, api, owner["token"])
    again = await api.request(
        "POST",
        "/events/batch",
        headers=sdk,
        json={"events": [{"android_id": "brand-new", "event_type": "a"}]},
    )
    assert again.status_code == 202, again.text


async def test_webhook__payment_failed_then_paid__past_due_owner_emailed_once_then_active(
    billing: Billing, api: Client, database_url: str
) -> None:
    # Given a pro org with an owner and an admin
    owner = await api.register()
    await add_member(database_url, owner["user"]["org_id"], "admin", api)
    sub = await subscribe(billing, api, owner["token"])
    received = len(billing.inbox.received)
    # When a renewal payment fails (and Stripe delivers the failure twice)
    failed, updated = billing.stripe.fail_payment(sub["id"])
    assert await deliver(billing, [failed, failed, updated]) == ["applied", "duplicate", "applied"]
    # Then the subscription is past due, the plan kept, and the owner (only) gets one email
    body = await subscription(api, owner["token"])
    assert (body["plan"], body["status"]) == ("pro", "past_due")
    deadline = time.monotonic() + 30
    while len(billing.inbox.received) == received:
        assert time.monotonic() < deadline, "no email"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second email, if one were sent, would have arrived by now
    mails = billing.inbox.received[received:]
    assert len(mails) == 1
    _, recipients, message = mails[0]
    assert recipients == [owner["email"]]
    assert "Payment failed" in message["Subject"]
    assert f"{PUBLIC_URL}/billing" in message.get_payload()
    # When the payment goes through / Then the subscription is active again
    assert await deliver(billing, billing.stripe.pay_invoice(sub["id"])) == ["applied", "applied"]
    assert (await subscription(api, owner["token"]))["status"] == "active"


async def test_webhook__invoice_paid_before_the_subscription_events__they_still_apply(
    billing: Billing, api: Client
) -> None:
    # Given a paid checkout whose invoice.paid (a second later) overtakes the subscription's own events
    owner = await api.register()
    completed, created = billing.stripe.complete_checkout(await checkout(api, owner["token"]))
    paid = billing.stripe.pay_invoice(created["data"]["object"]["id"])[0]
    paid["created"] = created["created"] + 1
    # When they arrive in that order / Then the early invoice changes nothing, the later events apply
    assert await deliver(billing, [paid, created, completed]) == ["stale", "applied", "applied"]
    body = await subscription(api, owner["token"])
    assert (body["plan"], body["status"]) == ("pro", "active")
    assert body["current_period_end"] == iso(
        created["data"]["object"]["items"]["data"][0]["current_period_end"]
    )


async def test_webhook__event_of_an_unknown_customer__acknowledged_nothing_changed(
    billing: Billing, api: Client
) -> None:
    owner = await api.register()
    stray = billing.stripe.event(
        "customer.subscription.updated",
        {
            "id": "sub_stray",
            "object": "subscription",
            "customer": "cus_nobody",
            "status": "active",
            "metadata": {},
        },
    )
    assert await deliver(billing, [stray]) == ["unknown_org"]
    assert (await subscription(api, owner["token"]))["plan"] == "free"
