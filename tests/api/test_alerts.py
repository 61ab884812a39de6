"""Metric alerts over HTTP: rule management and validation, roles and isolation, and evaluation by the real
worker against crafted rollups, with email to a real SMTP server and signed webhooks to a local receiver
(API.md section 4 "Alerts"; README "Alerts").

Deliveries need outside services configured in the platform's environment, so those tests run on an API
server + worker pair of this module (its own Redis, SMTP_HOST pointing at an aiosmtpd server started here,
WEBHOOK_ALLOW_PRIVATE_TARGETS on for the local receiver); the session's server, which refuses private
webhook targets and has no SMTP, serves the validation tests and the "SMTP not configured" case.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest
import redis
from aiosmtpd.controller import Controller

from tests.support import Client, Platform, RedisServer, add_member, free_port, poll_job

BASE_RULE = {"name": "DAU drop", "metric": "dau", "condition": "drops_by", "threshold": 20}


# --- outside services: an SMTP server and a webhook receiver ---------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


@dataclass
class Hook:
    headers: dict[str, str]
    body: bytes


@dataclass
class HookReceiver:
    """A local HTTP server recording each POST and answering `status` (a 3xx with a Location header)."""

    status: int = 200
    received: list[Hook] = field(default_factory=list)

    def start(self) -> HookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Hook({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", f"{receiver.url}/moved")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Pair:
    """The module's API server and worker, with their SMTP server and webhook receiver."""

    base: str
    redis_url: str
    inbox: Inbox
    hooks: HookReceiver
    platform: Platform
    env: dict[str, str]


@pytest.fixture(scope="module")
def pair(platform: Platform) -> Iterator[Pair]:
    inbox, hooks = Inbox(), HookReceiver().start()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    own = RedisServer().start()
    env = {
        "REDIS_URL": own.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(inbox.port),
        "SMTP_STARTTLS": "false",
        "SMTP_FROM": "alerts@vaimanasoft.test",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
        "RATE_LIMIT_SCALE": "100",
    }
    worker = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    try:
        yield Pair(base, own.url, inbox, hooks, platform, env)
    finally:
        server.stop()
        worker.stop()
        own.remove()
        controller.stop()
        hooks.stop()


@pytest.fixture
async def outside(pair: Pair) -> AsyncIterator[tuple[Client, Pair]]:
    """A client of the module's pair; the inbox and the receiver start empty, the receiver answers 200."""
    pair.inbox.received.clear()
    pair.hooks.received.clear()
    pair.hooks.status = 200
    client = Client(pair.base)
    yield client, pair
    await client.close()


# --- helpers ----------------------------------------------------------------------------------------------


def _today() -> date:
    return datetime.now(UTC).date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class Scene:
    """An owner and their app on one server, the day the test runs, and the alert calls made as that owner."""

    client: Client
    db: asyncpg.Connection
    owner: dict[str, Any]
    app: dict[str, Any]
    today: date

    @classmethod
    async def new(cls, client: Client, db: asyncpg.Connection) -> Scene:
        owner = await client.register()
        return cls(client, db, owner, await client.create_app(owner["token"]), _today())

    @property
    def token(self) -> str:
        return self.owner["token"]

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, self.token, **kwargs)

    async def post_rule(self, **fields: Any) -> httpx.Response:
        """POST /alerts for the app: BASE_RULE with `fields` over it."""
        return await self.request("POST", "/alerts", json={"app_id": self.app["id"], **BASE_RULE, **fields})

    async def create(self, **fields: Any) -> dict[str, Any]:
        r = await self.post_rule(**fields)
        assert r.status_code == 201, r.text
        return r.json()

    async def evaluate(self) -> dict[str, int]:
        """POST /alerts/evaluate, waiting for the job (polled if it answers 202 while the worker starts)."""
        r = await self.request("POST", "/alerts/evaluate", params={"app_id": self.app["id"], "wait": 20})
        if r.status_code == 202:
            job = await poll_job(self.client, self.token, r.json()["job_id"], {"done", "failed"})
            assert job["status"] == "done", job
            return job["result"]
        assert r.status_code == 200, r.text
        return r.json()

    async def alerts(self, token: str | None = None) -> dict[str, Any]:
        """GET /alerts of the app, as the owner or as the holder of `token`."""
        r = await self.client.request(
            "GET", "/alerts", token or self.token, params={"app_id": self.app["id"]}
        )
        assert r.status_code == 200, r.text
        return r.json()

    async def daily(self, days_ago: dict[int, dict[str, int]]) -> None:
        """app_daily rows of the app (keyed by days before today), as the ingest rollups would have written them."""
        for n, columns in days_ago.items():
            names = ", ".join(columns)
            slots = ", ".join(f"${i + 3}" for i in range(len(columns)))
            await self.db.execute(
                f"INSERT INTO app_daily (app_id, day, {names}) VALUES ($1, $2, {slots})",
                self.app["id"],
                self.ago(n),
                *columns.values(),
            )

    async def device_days(self, rows: list[tuple[int, date]]) -> None:
        await self.db.executemany(
            "INSERT INTO device_days (device_id, day, app_id, events) VALUES ($1, $2, $3, 1)",
            [(device, day, self.app["id"]) for device, day in rows],
        )

    async def events(self, rows: list[tuple[int, str, datetime]]) -> None:
        await self.db.executemany(
            "INSERT INTO events (app_id, device_id, event_type, event_data, created_at, received_at, event_id) "
            "VALUES ($1, $2, $3, '{}', $4, $4, $5)",
            [(self.app["id"], device, kind, at, uuid.uuid4()) for device, kind, at in rows],
        )

    async def history(self, rule: dict[str, Any]) -> list[asyncpg.Record]:
        return await self.db.fetch("SELECT * FROM alert_history WHERE rule_id = $1 ORDER BY id", rule["id"])


@pytest.fixture
async def scene(client: Client, db: asyncpg.Connection) -> Scene:
    """An owner and their app on the session's server."""
    return await Scene.new(client, db)


@pytest.fixture
async def paired(outside: tuple[Client, Pair], db: asyncpg.Connection) -> tuple[Scene, Pair]:
    """An owner and their app on the module's pair, with the pair (its SMTP server and webhook receiver)."""
    client, pair = outside
    return await Scene.new(client, db), pair


Cases = dict[str, tuple[dict[str, Any], bool]]  # rule name: (rule fields, fires)


async def _evaluate_cases(
    scene: Scene, cases: Cases, **common: Any
) -> tuple[list[asyncpg.Record], dict[str, asyncpg.Record]]:
    """Creates a dashboard rule per case (named after it, `common` fields added), evaluates the app, and checks
    that every rule was evaluated and exactly the cases marked to fire did, none notified by this call.
    Answers all history rows, and the row of each firing case by its name."""
    ids = {
        name: (await scene.create(name=name, **common, **fields))["id"] for name, (fields, _) in cases.items()
    }
    result = await scene.evaluate()
    firing = [name for name, (_, fires) in cases.items() if fires]
    assert result == {"evaluated": len(cases), "fired": len(firing), "notified": 0}
    rows = await scene.db.fetch("SELECT * FROM alert_history")
    assert {r["rule_id"] for r in rows} == {ids[name] for name in firing}
    return rows, {name: r for name in firing for r in rows if r["rule_id"] == ids[name]}


def _standard_webhooks_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Verification as the Standard Webhooks libraries do it (key: base64 decoding after `whsec_`)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(s.removeprefix("v1,"), expected)
        for s in headers["webhook-signature"].split()
        if s.startswith("v1,")
    )


# --- management and validation (session server) -------------------------------------------------------------


async def test_create__email_rule_with_defaults__201_listed_and_readable(scene: Scene) -> None:
    # Given an owner and their app (the scene)
    # When a rule is created with only the required fields and the email channel
    rule = await scene.create(channel="email")
    # Then it answers the rule with its defaults
    assert rule == {
        **rule,
        "app_id": scene.app["id"],
        "name": "DAU drop",
        "metric": "dau",
        "condition": "drops_by",
        "threshold": 20.0,
        "compare_window": "day",
        "channel": "email",
        "channel_config": {},
        "is_active": True,
        "last_value": None,
        "last_evaluated_at": None,
    }
    assert "secret" not in rule
    # And the list and the rule's own route show it, with no history yet
    assert await scene.alerts() == {"rules": [rule], "history": []}
    r = await scene.request("GET", f"/alerts/{rule['id']}")
    assert r.status_code == 200 and r.json() == rule


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"metric": "mau"}, "metric"),
        ({"condition": "equals"}, "condition"),
        ({"channel": "sms"}, "channel"),
        ({"compare_window": "month"}, "compare_window"),
        ({"threshold": "20"}, "threshold"),
        ({"threshold": None}, "threshold"),
        ({"threshold": 0}, "threshold"),
        ({"threshold": -5, "condition": "increases_by"}, "threshold"),
        ({"threshold": 150}, "threshold"),
        ({"metric": "crash_rate", "condition": "above", "threshold": 5}, "threshold"),
        ({"metric": "churn_rate", "condition": "below", "threshold": -0.1}, "threshold"),
        ({"metric": "dau", "condition": "below", "threshold": -1}, "threshold"),
        ({"name": ""}, "name"),
        ({"channel_config": ["x"]}, "channel_config"),
        ({"channel": "dashboard", "channel_config": {"url": "https://example.com"}}, "channel_config.url"),
        ({"channel": "email", "channel_config": {"emails": []}}, "channel_config.emails"),
        ({"channel": "email", "channel_config": {"emails": "a@example.com"}}, "channel_config.emails"),
        (
            {"channel": "email", "channel_config": {"emails": ["ok@example.com", "not-an-email"]}},
            "channel_config.emails.1",
        ),
        (
            {"channel": "email", "channel_config": {"emails": [f"u{i}@example.com" for i in range(11)]}},
            "channel_config.emails",
        ),
        ({"channel": "email", "channel_config": {"to": ["a@example.com"]}}, "channel_config.to"),
        ({"channel": "webhook"}, "channel_config.url"),
        ({"channel": "webhook", "channel_config": {"url": "ftp://example.com/hook"}}, "channel_config.url"),
        (
            {"channel": "webhook", "channel_config": {"url": "https://example.com/h", "secret": "mine"}},
            "channel_config.secret",
        ),
    ],
)
async def test_create__invalid_field__400_naming_it_and_nothing_stored(
    scene: Scene, fields: dict[str, Any], detail: str
) -> None:
    # Given an owner and their app (the scene)
    # When a rule with one bad field is posted
    r = await scene.post_rule(**fields)
    # Then it is 400 naming the field, and no rule was stored
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] and detail in body["details"], body
    if "crash_rate" in str(fields) or "churn_rate" in str(fields):
        assert "between 0 and 1" in body["details"]["threshold"]
    assert await scene.db.fetchval("SELECT count(*) FROM alert_rules") == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.5/",
        "http://192.168.1.10/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
async def test_create__webhook_to_private_address__400_and_nothing_stored(scene: Scene, url: str) -> None:
    # Given the session server (private webhook targets not allowed)
    # When a webhook rule aims at a loopback, private, link-local or metadata address
    r = await scene.post_rule(channel="webhook", channel_config={"url": url})
    # Then it is refused, and nothing is stored
    assert r.status_code == 400, r.text
    assert "channel_config.url" in r.json()["details"]
    assert await scene.db.fetchval("SELECT count(*) FROM alert_rules") == 0


async def test_update__partial_changes__applied_and_checked_as_a_whole(scene: Scene) -> None:
    # Given a drops_by rule
    rule = await scene.create(
        channel="email", channel_config={"emails": ["Ops@Example.com", "ops@example.com", "team@example.com"]}
    )
    # (addresses are lower-cased, duplicates dropped)
    assert rule["channel_config"] == {"emails": ["ops@example.com", "team@example.com"]}
    path = f"/alerts/{rule['id']}"
    # When one field changes, the others stay
    r = await scene.request("PUT", path, json={"threshold": 35, "name": "Big DAU drop"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        **rule,
        "threshold": 35.0,
        "name": "Big DAU drop",
        "updated_at": r.json()["updated_at"],
    }
    # And the result is checked as a whole: drops_by over 100, a rate threshold over 1, nulls are 400
    for bad in (
        {"threshold": 150},
        {"metric": "crash_rate", "condition": "above"},
        {"name": None},
        {"channel": "webhook"},
        {"channel_config": {"emails": ["nope"]}},
        {"is_active": "no"},
    ):
        r = await scene.request("PUT", path, json=bad)
        assert r.status_code == 400, (bad, r.text)
    # And a valid change of metric, condition and threshold together is accepted
    r = await scene.request(
        "PUT",
        path,
        json={"metric": "crash_rate", "condition": "above", "threshold": 0.1, "compare_window": "week"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["metric"] == "crash_rate" and r.json()["compare_window"] == "week"
    # And is_active pauses the rule
    r = await scene.request("PUT", path, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    stored = await scene.db.fetchrow("SELECT * FROM alert_rules WHERE id = $1", rule["id"])
    assert (stored["threshold"], stored["metric"], stored["is_active"]) == (0.1, "crash_rate", False)
    # And switching to the dashboard channel without a config resets it to {}
    r = await scene.request("PUT", path, json={"channel": "dashboard"})
    assert r.status_code == 200 and r.json()["channel_config"] == {}


async def test_delete__rule__gone_with_its_history(scene: Scene) -> None:
    # Given a rule with a firing in its history
    rule = await scene.create()
    await scene.db.execute(
        "INSERT INTO alert_history (rule_id, app_id, window_start, window_end, value, message, channel, "
        "attempts, fired_at) VALUES ($1, $2, $3, $4, 1, 'm', 'dashboard', 0, now())",
        rule["id"],
        scene.app["id"],
        scene.ago(1),
        scene.today,
    )
    # When it is deleted (naming another app is 404 and deletes nothing)
    r = await scene.request("DELETE", f"/alerts/{rule['id']}", params={"app_id": scene.app["id"] + 1})
    assert r.status_code == 404
    r = await scene.request("DELETE", f"/alerts/{rule['id']}")
    # Then it answers success, and the rule and its history are gone
    assert r.status_code == 200 and r.json() == {"success": True}
    assert await scene.db.fetchval("SELECT count(*) FROM alert_history") == 0
    r = await scene.request("GET", f"/alerts/{rule['id']}")
    assert r.status_code == 404
    assert await scene.alerts() == {"rules": [], "history": []}


async def test_roles__viewer__reads_but_cannot_change(scene: Scene, database_url: str) -> None:
    # Given a rule, and a viewer and an admin of the org
    rule = await scene.create()
    viewer = await add_member(database_url, scene.owner["user"]["org_id"], "viewer", scene.client)
    admin = await add_member(database_url, scene.owner["user"]["org_id"], "admin", scene.client)
    # When the viewer reads / Then it sees the rule
    assert (await scene.alerts(viewer["token"]))["rules"] == [rule]
    r = await scene.client.request("GET", f"/alerts/{rule['id']}", viewer["token"])
    assert r.status_code == 200
    # When the viewer creates, updates, deletes or evaluates / Then each is 403 and nothing changes
    calls = [
        ("POST", "/alerts", {"json": {"app_id": scene.app["id"], **BASE_RULE}}),
        ("PUT", f"/alerts/{rule['id']}", {"json": {"threshold": 50}}),
        ("DELETE", f"/alerts/{rule['id']}", {}),
        ("POST", "/alerts/evaluate", {"params": {"app_id": scene.app["id"], "wait": 0}}),
    ]
    for method, path, kwargs in calls:
        r = await scene.client.request(method, path, viewer["token"], **kwargs)
        assert r.status_code == 403, (method, path, r.text)
    assert (await scene.alerts())["rules"] == [rule]
    # And an admin may change it
    r = await scene.client.request("PUT", f"/alerts/{rule['id']}", admin["token"], json={"threshold": 50})
    assert r.status_code == 200 and r.json()["threshold"] == 50.0
    assert await scene.db.fetchval("SELECT count(*) FROM alert_rules") == 1


async def test_isolation__other_orgs_app_and_rule__404_and_untouched(scene: Scene, stranger: Client) -> None:
    # Given org A's app and rule, and an owner of org B
    rule = await scene.create()
    other = await stranger.register()
    token = other["token"]
    # When B names A's app or rule in any alert route / Then each is 404
    calls = [
        ("GET", "/alerts", {"params": {"app_id": scene.app["id"]}}),
        ("POST", "/alerts", {"json": {"app_id": scene.app["id"], **BASE_RULE}}),
        ("POST", "/alerts/evaluate", {"params": {"app_id": scene.app["id"], "wait": 0}}),
        ("GET", f"/alerts/{rule['id']}", {}),
        ("PUT", f"/alerts/{rule['id']}", {"json": {"threshold": 50}}),
        ("DELETE", f"/alerts/{rule['id']}", {}),
    ]
    for method, path, kwargs in calls:
        r = await stranger.request(method, path, token, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
    # And A's rule is as it was
    assert await scene.alerts() == {"rules": [rule], "history": []}


@pytest.mark.usefixtures("worker")
async def test_email__smtp_not_configured__recorded_on_the_firing_and_retried(scene: Scene) -> None:
    # Given the session platform (no SMTP_HOST) and an email rule whose DAU dropped by half
    await scene.daily({2: {"active_devices": 10}, 1: {"active_devices": 5}})
    rule = await scene.create(channel="email")
    # When evaluated twice
    first = await scene.evaluate()
    second = await scene.evaluate()
    # Then it fired once (one row), and each evaluation recorded a failed attempt saying why
    assert first == second == {"evaluated": 1, "fired": 1, "notified": 0}
    [row] = await scene.history(rule)
    assert (row["error"], row["attempts"], row["notified_at"]) == ("SMTP not configured", 2, None)
    [shown] = (await scene.alerts())["history"]
    assert shown["error"] == "SMTP not configured" and shown["attempts"] == 2


@pytest.mark.usefixtures("worker")
async def test_webhook__target_turned_private_after_creation__skipped_at_send_time(scene: Scene) -> None:
    # Given the session platform (private targets refused) and a firing webhook rule whose stored URL now
    # names a local receiver (as if its DNS name had been repointed after creation)
    receiver = HookReceiver().start()
    try:
        await scene.daily({1: {"events": 10}})
        rule = await scene.create(metric="events", condition="above", threshold=5)
        config = {"url": f"{receiver.url}/hook", "secret": "whsec_" + "ab" * 16}
        await scene.db.execute(
            "UPDATE alert_rules SET channel = 'webhook', channel_config = $2::jsonb WHERE id = $1",
            rule["id"],
            json.dumps(config),
        )
        # When evaluated
        result = await scene.evaluate()
        # Then it fired, but nothing was sent: the attempt records why
        assert result == {"evaluated": 1, "fired": 1, "notified": 0}
        [row] = await scene.history(rule)
        assert row["attempts"] == 1 and row["notified_at"] is None
        assert row["error"].startswith("URL not allowed") and "127.0.0.1" in row["error"]
        assert receiver.received == []
    finally:
        receiver.stop()


# --- evaluation with deliveries (the module's pair) ------------------------------------------------------------


async def test_email__dau_drop_30_percent_and_drops_by_20__one_email_one_firing_and_none_on_reevaluation(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given an app whose DAU went from 1,000 the day before yesterday to 700 yesterday (30 % down; today's
    # partial count of 3 does not matter: windows are complete days)
    await scene.daily({2: {"active_devices": 1000}, 1: {"active_devices": 700}, 0: {"active_devices": 3}})
    # And an email rule "DAU drops by 20 %" (no addresses: to the org's owners and admins)
    rule = await scene.create(channel="email")
    # When the rules are evaluated
    result = await scene.evaluate()
    # Then it fired and exactly one email reached the SMTP server, addressed to the owner
    assert result == {"evaluated": 1, "fired": 1, "notified": 1}
    assert len(pair.inbox.received) == 1
    sender, recipients, message = pair.inbox.received[0]
    assert sender == "alerts@vaimanasoft.test" and recipients == [scene.owner["email"]]
    assert "DAU drop" in message["Subject"]
    text = message.get_payload(decode=True).decode()
    assert "DAU dropped by 30.0% (1,000 -> 700)" in text and str(scene.ago(1)) in text
    # And one firing is recorded, notified, for the window [yesterday, today)
    [row] = await scene.history(rule)
    assert (row["window_start"], row["window_end"]) == (scene.ago(1), scene.today)
    assert (row["value"], row["previous_value"], row["attempts"], row["error"]) == (700, 1000, 1, None)
    assert row["notified_at"] is not None and row["channel"] == "email"
    listed = await scene.alerts()
    assert listed["rules"][0]["last_value"] == 700 and listed["rules"][0]["last_evaluated_at"]
    assert [(h["rule_id"], h["value"], h["previous_value"]) for h in listed["history"]] == [
        (rule["id"], 700, 1000)
    ]
    assert listed["history"][0]["message"].startswith("DAU dropped by 30.0%")

    # When evaluated again in the same window
    again = await scene.evaluate()
    # Then it still holds, but nothing is sent and no second firing is written
    assert again == {"evaluated": 1, "fired": 1, "notified": 0}
    await asyncio.sleep(0.3)
    assert len(pair.inbox.received) == 1
    assert [r["attempts"] for r in await scene.history(rule)] == [1]


async def test_email__drop_below_threshold_or_paused_rule__nothing_fires(paired: tuple[Scene, Pair]) -> None:
    scene, pair = paired
    # Given the same 30 % drop, a rule that needs 40 %, and a paused rule that would fire
    await scene.daily({2: {"active_devices": 1000}, 1: {"active_devices": 700}})
    strict = await scene.create(channel="email", threshold=40)
    await scene.create(channel="email", is_active=False)
    # When evaluated
    result = await scene.evaluate()
    # Then only the active rule was evaluated, it did not fire, and no email was sent
    assert result == {"evaluated": 1, "fired": 0, "notified": 0}
    assert pair.inbox.received == []
    assert await scene.db.fetchval("SELECT count(*) FROM alert_history") == 0
    assert (await scene.alerts())["rules"][0]["last_value"] == 700
    assert strict["id"]


async def test_email__explicit_addresses__one_message_to_them(paired: tuple[Scene, Pair]) -> None:
    scene, pair = paired
    # Given new users 10 -> 2 and a "below 5" email rule naming two addresses
    await scene.daily({2: {"new_devices": 10}, 1: {"new_devices": 2}})
    emails = ["ops@example.com", "growth@example.com"]
    await scene.create(
        metric="new_users", condition="below", threshold=5, channel="email", channel_config={"emails": emails}
    )
    # When evaluated / Then one message went to exactly those addresses
    assert (await scene.evaluate())["notified"] == 1
    [(_, recipients, message)] = pair.inbox.received
    assert recipients == emails
    assert "New users was 2 on" in message.get_payload(decode=True).decode()


async def test_webhook__fires__signed_delivery_verifies_with_both_schemes_and_is_sent_once(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given a webhook rule on the local receiver (the pair allows private targets)
    await scene.daily({2: {"events": 200}, 1: {"events": 500}})
    url = f"{pair.hooks.url}/alerts"
    rule = await scene.create(
        name="Events spike",
        metric="events",
        condition="increases_by",
        threshold=100,
        channel="webhook",
        channel_config={"url": url},
    )
    # Then the secret is answered once, and never listed
    secret = rule.pop("secret")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert rule["channel_config"] == {"url": url}
    listed = await scene.alerts()
    assert listed["rules"] == [rule] and secret not in json.dumps(listed)
    r = await scene.request("GET", f"/alerts/{rule['id']}")
    assert secret not in r.text

    # When evaluated (events 200 -> 500: +150 %)
    started = int(time.time())
    result = await scene.evaluate()
    # Then one delivery arrived, signed both ways over the exact body
    assert result == {"evaluated": 1, "fired": 1, "notified": 1}
    [hook] = pair.hooks.received
    expected = "sha256=" + hmac.new(secret.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(hook.headers["x-vaimanasoft-signature"], expected)
    assert _standard_webhooks_valid(secret, hook.headers, hook.body)
    assert not _standard_webhooks_valid("whsec_" + "0" * 32, hook.headers, hook.body)
    assert hook.headers["x-vaimanasoft-event"] == "alert.fired" and hook.headers["x-vaimanasoft-delivery"]
    assert started - 5 <= int(hook.headers["webhook-timestamp"]) <= time.time() + 5
    # And the body is the documented envelope
    body = json.loads(hook.body)
    [row] = await scene.history(rule)
    assert body == {
        "id": f"alert_{row['id']}",
        "event": "alert.fired",
        "app_id": scene.app["id"],
        "created_at": body["created_at"],
        "data": {
            "rule": {
                "id": rule["id"],
                "name": "Events spike",
                "metric": "events",
                "condition": "increases_by",
                "threshold": 100.0,
                "compare_window": "day",
            },
            "value": 500.0,
            "previous_value": 200.0,
            "window_start": str(scene.ago(1)),
            "window_end": str(scene.today),
            "message": row["message"],
        },
    }
    assert hook.headers["webhook-id"] == body["id"]
    assert "increased by 150.0% (200 -> 500)" in body["data"]["message"]

    # When evaluated again / Then nothing more is sent
    assert (await scene.evaluate())["notified"] == 0
    await asyncio.sleep(0.3)
    assert len(pair.hooks.received) == 1


async def test_webhook__target_redirects_then_recovers__failure_recorded_retried_once_then_quiet(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given a firing webhook rule whose target answers a redirect (not followed: a failure)
    await scene.daily({1: {"purchases": 9}})
    rule = await scene.create(
        metric="purchases",
        condition="above",
        threshold=5,
        channel="webhook",
        channel_config={"url": pair.hooks.url},
    )
    pair.hooks.status = 302
    # When evaluated
    assert (await scene.evaluate())["notified"] == 0
    # Then the attempt and its outcome are recorded, and the redirect was not followed
    [row] = await scene.history(rule)
    assert (row["attempts"], row["notified_at"], row["error"]) == (1, None, "Webhook answered 302")
    assert len(pair.hooks.received) == 1
    # When the target recovers and the next evaluation runs
    pair.hooks.status = 204
    assert (await scene.evaluate())["notified"] == 1
    # Then the same firing is delivered (same webhook-id), and later evaluations send nothing
    [row] = await scene.history(rule)
    assert (row["attempts"], row["error"]) == (2, None) and row["notified_at"] is not None
    first, second = pair.hooks.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == f"alert_{row['id']}"
    assert first.headers["x-vaimanasoft-delivery"] != second.headers["x-vaimanasoft-delivery"]
    assert (await scene.evaluate())["notified"] == 0
    assert len(pair.hooks.received) == 2


async def test_webhook__update__secret_kept_while_webhook_new_one_when_switched_to(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given a webhook rule and its secret
    rule = await scene.create(channel="webhook", channel_config={"url": pair.hooks.url})
    secret = rule["secret"]
    path = f"/alerts/{rule['id']}"
    # When the URL changes / Then the secret stays (and is not answered again)
    r = await scene.request("PUT", path, json={"channel_config": {"url": f"{pair.hooks.url}/v2"}})
    assert r.status_code == 200 and "secret" not in r.json()
    assert r.json()["channel_config"] == {"url": f"{pair.hooks.url}/v2"}
    stored = await scene.db.fetchval("SELECT channel_config::text FROM alert_rules WHERE id = $1", rule["id"])
    assert json.loads(stored) == {"url": f"{pair.hooks.url}/v2", "secret": secret}
    # When it leaves the webhook channel and comes back / Then a new secret is made and answered once
    r = await scene.request("PUT", path, json={"channel": "dashboard"})
    assert r.status_code == 200 and r.json()["channel_config"] == {}
    r = await scene.request(
        "PUT", path, json={"channel": "webhook", "channel_config": {"url": pair.hooks.url}}
    )
    assert r.status_code == 200, r.text
    assert r.json()["secret"].startswith("whsec_") and r.json()["secret"] != secret


async def test_conditions__increases_by_below_above_on_counts__fire_exactly_as_specified(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given yesterday against the day before: events 100 -> 150 (+50 %), new users 5, purchases 3, ad
    # watches 100, DAU 0 -> 40 (no previous value)
    await scene.daily(
        {
            2: {"events": 100, "new_devices": 8, "purchases": 1, "ad_watches": 90},
            1: {"events": 150, "new_devices": 5, "purchases": 3, "ad_watches": 100, "active_devices": 40},
        }
    )
    # When a dashboard rule per case is created and evaluated / Then exactly the rules whose condition holds
    # fired (3 of 8), each recorded once and notified at once (dashboard)
    rows, fired = await _evaluate_cases(
        scene,
        {
            "events +50 at 50": ({"metric": "events", "condition": "increases_by", "threshold": 50}, True),
            "events +50 at 51": ({"metric": "events", "condition": "increases_by", "threshold": 51}, False),
            "new users below 10": ({"metric": "new_users", "condition": "below", "threshold": 10}, True),
            "new users below 5": ({"metric": "new_users", "condition": "below", "threshold": 5}, False),
            "purchases above 2": ({"metric": "purchases", "condition": "above", "threshold": 2}, True),
            "ad watches above 100": ({"metric": "ad_watches", "condition": "above", "threshold": 100}, False),
            "dau up from zero": ({"metric": "dau", "condition": "increases_by", "threshold": 10}, False),
            "dau drop from zero": ({"metric": "dau", "condition": "drops_by", "threshold": 10}, False),
        },
    )
    assert (fired["events +50 at 50"]["value"], fired["events +50 at 50"]["previous_value"]) == (150, 100)
    assert all(r["notified_at"] is not None and r["attempts"] == 0 for r in rows)
    assert pair.inbox.received == [] and pair.hooks.received == []
    names = {h["rule_name"] for h in (await scene.alerts())["history"]}
    assert names == {"events +50 at 50", "new users below 10", "purchases above 2"}


async def test_week_window__dau__mean_of_seven_days_missing_days_zero(paired: tuple[Scene, Pair]) -> None:
    scene, _ = paired
    # Given 100 active devices on each day of the week before last, and 300, 0 and 0 on three days of
    # last week (no rows on the other four): means 100 and 300/7
    days = {n: {"active_devices": 100} for n in range(8, 15)}
    await scene.daily(days | {7: {"active_devices": 300}, 3: {"active_devices": 0}, 1: {"active_devices": 0}})
    rule = await scene.create(compare_window="week", threshold=57)
    near_miss = await scene.create(compare_window="week", threshold=57.2)
    # When evaluated
    result = await scene.evaluate()
    # Then last week's value is 300/7 (a drop of 57.14 %): the 57 % rule fires, the 57.2 % one does not
    assert result["fired"] == 1
    [row] = await scene.history(rule)
    assert row["value"] == pytest.approx(300 / 7) and row["previous_value"] == pytest.approx(100)
    assert (row["window_start"], row["window_end"]) == (scene.ago(7), scene.today)
    r = await scene.request("GET", f"/alerts/{near_miss['id']}")
    assert r.json()["last_value"] == pytest.approx(300 / 7)


async def test_window_change__day_then_week_ending_today__two_firings(paired: tuple[Scene, Pair]) -> None:
    scene, _ = paired
    # Given DAU 100 on each day of the week before last and the day before yesterday, 50 yesterday:
    # a day drop of 50 %, a week drop of 150/7 against 100
    await scene.daily({n: {"active_devices": 100} for n in [2, *range(8, 15)]} | {1: {"active_devices": 50}})
    rule = await scene.create(threshold=20)
    assert (await scene.evaluate())["fired"] == 1
    # When the rule is switched to weekly windows (its window ends today too) and evaluated again
    r = await scene.request("PUT", f"/alerts/{rule['id']}", json={"compare_window": "week"})
    assert r.status_code == 200, r.text
    assert (await scene.evaluate())["fired"] == 1
    # Then the week's window is a firing of its own, not taken for the day's
    rows = await scene.history(rule)
    assert [(r["window_start"], r["window_end"]) for r in rows] == [
        (scene.ago(1), scene.today),
        (scene.ago(7), scene.today),
    ]
    assert rows[1]["value"] == pytest.approx(150 / 7) and rows[1]["previous_value"] == pytest.approx(100)


async def test_crash_rate__crafted_devices_and_crashes__share_of_active_devices(
    paired: tuple[Scene, Pair],
) -> None:
    scene, _ = paired
    other = await Scene.new(scene.client, scene.db)
    y, t = _midnight(scene.ago(1)), _midnight(scene.today)
    # Given yesterday's active devices 1..8 and the day before's 1..10 (device_days, as ingest writes them)
    await scene.device_days(
        [(d, scene.ago(1)) for d in range(1, 9)] + [(d, scene.ago(2)) for d in range(1, 11)]
    )
    # And app_crash events: yesterday devices 1, 2 (twice) and 7 (at 00:00:00, the window's start) crashed;
    # device 6 crashed at today's 00:00:00 (after the window), device 3 an hour before it (the previous
    # window), device 9 was not active yesterday, device 5 sent another event type, and another app's
    # device 104 crashed
    await scene.events(
        [
            (1, "app_crash", y + timedelta(hours=12)),
            (2, "app_crash", y + timedelta(hours=1)),
            (2, "app_crash", y + timedelta(hours=2)),
            (7, "app_crash", y),
            (6, "app_crash", t),
            (3, "app_crash", y - timedelta(hours=1)),
            (9, "app_crash", y + timedelta(hours=3)),
            (5, "crash", y + timedelta(hours=4)),
        ]
    )
    await other.device_days([(104, scene.ago(1))])
    await other.events([(104, "app_crash", y + timedelta(hours=5))])
    # So yesterday: 3 of 8 active devices crashed (0.375); the day before: 1 of 10 (0.1)
    # When a crash_rate rule per case is evaluated / Then exactly the expected rules fired (2 of 4), with
    # the hand-computed shares as values
    rows, fired = await _evaluate_cases(
        scene,
        {
            "above 0.3": ({"condition": "above", "threshold": 0.3}, True),
            "above 0.375": ({"condition": "above", "threshold": 0.375}, False),
            "up 275%": ({"condition": "increases_by", "threshold": 275}, True),
            "up 276%": ({"condition": "increases_by", "threshold": 276}, False),
        },
        metric="crash_rate",
    )
    assert {(r["value"], r["previous_value"]) for r in rows} == {(0.375, 0.1)}
    assert "Crash rate was 37.50%" in fired["above 0.3"]["message"]
    # And the other app's rate is its own: 1 crashed of 1 active
    await other.create(metric="crash_rate", condition="above", threshold=0.99)
    assert (await other.evaluate())["fired"] == 1


async def test_churn_rate__crafted_device_days__share_not_seen_in_last_30_of_60_days(
    paired: tuple[Scene, Pair],
) -> None:
    scene, _ = paired
    ago = scene.ago
    # Given device_days (T = today, the current window's end; seen = [T-60, T), recent = [T-30, T)):
    await scene.device_days(
        [
            (1, ago(1)),  # recent
            (2, ago(45)),
            (2, ago(10)),  # seen earlier and recent
            (3, ago(31)),  # seen, not recent: churned
            (4, ago(30)),  # recent (the boundary)
            (5, ago(60)),  # seen (the boundary), churned
            (6, ago(61)),  # not seen in the current 60 days
            (7, ago(40)),
            (7, ago(0)),  # today does not count: churned
            (8, ago(1)),  # recent
        ]
    )
    # So now: seen {1,2,3,4,5,7,8}, churned {3,5,7} -> 3/7. The previous window ends at T-1 (seen
    # [T-61, T-1), recent [T-31, T-1)): seen {2,3,4,5,6,7}, churned {5,6,7} -> 3/6
    # When a churn_rate rule per case is evaluated / Then exactly the expected rules fired (3 of 5), each
    # on 3/7 against 3/6
    rows, _ = await _evaluate_cases(
        scene,
        {
            "above 0.4": ({"condition": "above", "threshold": 0.4}, True),
            "above 0.43": ({"condition": "above", "threshold": 0.43}, False),
            "down 14%": ({"condition": "drops_by", "threshold": 14}, True),
            "down 15%": ({"condition": "drops_by", "threshold": 15}, False),
            "below 0.5": ({"condition": "below", "threshold": 0.5}, True),
        },
        metric="churn_rate",
    )
    for row in rows:
        assert row["value"] == pytest.approx(3 / 7) and row["previous_value"] == pytest.approx(0.5)


@pytest.mark.slow
async def test_schedule__scheduler_every_second__evaluates_through_the_worker_and_notifies_once(
    paired: tuple[Scene, Pair],
) -> None:
    scene, pair = paired
    # Given a firing email rule and a scheduler running the alert entry every second (each tick fans out an
    # evaluation per app, so several evaluations overlap on the worker's threads)
    await scene.daily({2: {"active_devices": 50}, 1: {"active_devices": 10}})
    rule = await scene.create(channel="email")
    scheduler = pair.platform.spawn(
        "scheduler", **pair.env, ALERTS_CRON="* * * * * *", SCHEDULER_HEARTBEAT_CRON="0 0 1 1 *"
    )
    try:
        # When it has run for a few seconds
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            evaluated = await scene.db.fetchval(
                "SELECT last_evaluated_at FROM alert_rules WHERE id = $1", rule["id"]
            )
            if evaluated is not None and pair.inbox.received:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)
    finally:
        scheduler.stop()
    # (let the queued evaluations finish, so none runs during a later test)
    broker = redis.Redis.from_url(pair.redis_url)
    deadline = time.monotonic() + 30
    while broker.llen("dramatiq:default") and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    # Then the rule was evaluated on schedule, fired once, and exactly one email was sent
    assert len(pair.inbox.received) == 1, pair.inbox.received
    [row] = await scene.history(rule)
    assert row["attempts"] == 1 and row["notified_at"] is not None
