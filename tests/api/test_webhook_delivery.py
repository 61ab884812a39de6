"""Webhook deliveries end to end (API.md section 9; README "Webhooks"): SDK events stored by a real worker,
fanned out, signed and POSTed to a local receiver (standins.webhook_receiver); verified by the v4
reference's Node.js snippet and by the `standardwebhooks` package; retries on a shortened schedule,
disabling, redirects, a worker killed mid-delivery, the synchronous test route and its bounded reads.

The module runs its own API server and worker on a Redis of their own (WEBHOOK_ALLOW_PRIVATE_TARGETS on for
the loopback receiver, WEBHOOK_RETRY_SCHEDULE=0.4,0.8: three attempts per delivery).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from standins.webhook_receiver import Receiver
from tests.support import Client, Platform, RedisServer

SCHEDULE = (0.4, 0.8)
NODE_SNIPPET = """
const crypto = require('crypto');
const fs = require('fs');
const [webhookSecret, signature, bodyFile] = process.argv.slice(2);
const rawBody = fs.readFileSync(bodyFile);
// The v4 reference's verification, verbatim:
const expected = 'sha256=' + crypto.createHmac('sha256', webhookSecret)
.update(rawBody).digest('hex');
const valid = crypto.timingSafeEqual(
Buffer.from(signature), Buffer.from(expected)
);
console.log(valid ? 'valid' : 'invalid');
"""


@dataclass
class Pair:
    base: str
    receiver: Receiver
    platform: Platform
    env: dict[str, str]


def _env(redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "3",
        "WEBHOOK_RETRY_SCHEDULE": ",".join(map(str, SCHEDULE)),
        "RATE_LIMIT_SCALE": "100",
        **extra,
    }


@pytest.fixture(scope="module")
def pair(platform: Platform) -> Iterator[Pair]:
    receiver = Receiver().start()
    own = RedisServer().start()
    env = _env(own.url)
    worker = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    try:
        yield Pair(base, receiver, platform, env)
    finally:
        server.stop()
        worker.stop()
        own.remove()
        receiver.stop()


@dataclass
class Scene:
    client: Client
    token: str
    app: dict[str, Any]
    receiver: Receiver

    async def hook(self, events: list[str], path: str = "/hook") -> dict[str, Any]:
        r = await self.client.request(
            "POST",
            "/webhooks",
            self.token,
            json={"app_id": self.app["id"], "name": "h", "url": self.receiver.url + path, "events": events},
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def events(self, *events: dict[str, Any]) -> None:
        r = await self.client.request(
            "POST", "/events/batch", headers={"X-SDK-Key": self.app["sdk_key"]}, json={"events": list(events)}
        )
        assert r.status_code == 202, r.text

    async def get(self, path: str) -> dict[str, Any]:
        r = await self.client.request("GET", path, self.token)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def scene(pair: Pair) -> Any:
    pair.receiver.reset()
    client = Client(pair.base)
    owner = await client.register()
    yield Scene(client, owner["token"], await client.create_app(owner["token"]), pair.receiver)
    await client.close()


async def wait_for(check: Any, timeout: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def event(android_id: str, event_type: str, **data: Any) -> dict[str, Any]:
    return {"android_id": android_id, "event_type": event_type, "event_data": data}


async def test_delivery__purchase_event__verified_by_node_snippet_and_standardwebhooks(
    scene: Scene, tmp_path: Path
) -> None:
    # Given a webhook on purchases, its secret known to the receiver
    hook = await scene.hook(["purchase"])
    scene.receiver.secret = hook["secret"]
    # When the SDK sends a purchase and a page view
    await scene.events(event("dev-1", "purchase", amount=4.99, currency="USD"), event("dev-1", "page_view"))
    received = (await wait_for(lambda: scene.receiver.received, what="a delivery"))[0]
    # Then the body is exactly the envelope of API.md section 9, with the stored event as data
    body = json.loads(received.body)
    assert set(body) == {"id", "event", "app_id", "created_at", "data"}
    assert body["event"] == "purchase" and body["app_id"] == scene.app["id"]
    assert body["data"]["event_data"] == {"amount": 4.99, "currency": "USD"}
    assert body["data"]["android_id"] == "dev-1" and body["data"]["event_type"] == "purchase"
    headers = received.headers
    assert headers["x-vaimanasoft-event"] == "purchase"
    assert headers["x-vaimanasoft-delivery"] == headers["webhook-id"] == body["id"]
    # And the v4 reference's Node.js snippet verifies X-Vaimanasoft-Signature over the raw body
    (tmp_path / "verify.js").write_text(NODE_SNIPPET)
    (tmp_path / "body").write_bytes(received.body)

    def node(secret: str, body_file: str = "body") -> str:
        args = ["node", "verify.js", secret, headers["x-vaimanasoft-signature"], body_file]
        return subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=30).stdout.strip()

    assert node(hook["secret"]) == "valid"
    (tmp_path / "tampered").write_bytes(received.body.replace(b"4.99", b"0.01"))
    assert node(hook["secret"], "tampered") == "invalid"
    # And the standardwebhooks package verifies the Standard Webhooks headers of the same delivery
    assert StandardWebhook(hook["secret"]).verify(received.body, headers) == body
    with pytest.raises(WebhookVerificationError):
        StandardWebhook("whsec_" + "A" * 43 + "=").verify(received.body, headers)
    assert received.valid  # the receiver's own check of both schemes
    # And only the purchase was delivered, recorded as one successful attempt
    await asyncio.sleep(1)
    assert len(scene.receiver.received) == 1
    deliveries = (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert [(d["event"], d["status"], d["status_code"], d["attempt"]) for d in deliveries] == [
        ("purchase", "delivered", 200, 1)
    ]
    assert deliveries[0]["delivery_id"] == body["id"]


async def test_fan_out__batch_device_and_star__one_delivery_each_and_changes_reach_the_worker(
    scene: Scene,
) -> None:
    # Given webhooks on event.batch (/a), device.registered (/b) and * (/c)
    await scene.hook(["event.batch"], "/a")
    await scene.hook(["device.registered"], "/b")
    star = await scene.hook(["*"], "/c")
    # When a device registers, registers again, and another device's first batch (3 events) is stored
    for _ in range(2):
        r = await scene.client.request(
            "POST",
            "/devices/register",
            headers={"X-SDK-Key": scene.app["sdk_key"]},
            json={"android_id": "reg-1"},
        )
        assert r.status_code == 200
    await scene.events(
        event("ing-1", "level_up", n=1), event("ing-1", "purchase", amount=1), event("ing-1", "x.y")
    )
    await wait_for(lambda: len(scene.receiver.received) >= 8, what="8 deliveries")
    await asyncio.sleep(1)
    got = Counter((r.path, json.loads(r.body)["event"]) for r in scene.receiver.received)
    # Then: one batch delivery of 3 events, device.registered once per new device, * gets every event
    assert got == {
        ("/a", "event.batch"): 1,
        ("/b", "device.registered"): 2,
        ("/c", "device.registered"): 2,
        ("/c", "level_up"): 1,
        ("/c", "purchase"): 1,
        ("/c", "x.y"): 1,
    }
    batch = next(json.loads(r.body) for r in scene.receiver.received if r.path == "/a")
    assert batch["data"]["count"] == 3 and [e["event_type"] for e in batch["data"]["events"]] == [
        "level_up",
        "purchase",
        "x.y",
    ]
    devices = {json.loads(r.body)["data"]["android_id"] for r in scene.receiver.received if r.path == "/b"}
    assert devices == {"reg-1", "ing-1"}
    # When the * webhook is narrowed to session_start (the worker's cache is invalidated)
    scene.receiver.reset()
    r = await scene.client.request(
        "PUT", f"/webhooks/{star['id']}", scene.token, json={"events": ["session_start"]}
    )
    assert r.status_code == 200
    await asyncio.sleep(0.5)
    await scene.events(event("ing-1", "purchase", amount=2), event("ing-1", "session_start"))
    await wait_for(lambda: scene.receiver.received, what="the session_start delivery")
    await asyncio.sleep(1)
    # Then only the session_start reaches it (and the batch hook its batch)
    assert Counter((r.path, json.loads(r.body)["event"]) for r in scene.receiver.received) == {
        ("/a", "event.batch"): 1,
        ("/c", "session_start"): 1,
    }


async def test_retries__receiver_answers_500__scheduled_attempts_then_disabled_after_20_failed_deliveries(
    scene: Scene,
) -> None:
    # Given a webhook whose receiver answers 500
    scene.receiver.status = 500
    hook = await scene.hook(["purchase"])
    # When 20 purchases are stored (20 deliveries, each tried 1 + len(schedule) times)
    await scene.events(*[event(f"d{i}", "purchase", amount=i) for i in range(20)])

    async def disabled() -> bool:
        return not (await scene.get(f"/webhooks/{hook['id']}"))["is_active"]

    await wait_for(disabled, timeout=60, what="the webhook to be disabled")
    await asyncio.sleep(2 * sum(SCHEDULE))
    # Then each delivery got exactly its scheduled attempts, with the same delivery id on each
    attempts: dict[str, list[float]] = {}
    for r in scene.receiver.received:
        assert r.headers["x-vaimanasoft-delivery"] == r.headers["webhook-id"] == json.loads(r.body)["id"]
        attempts.setdefault(r.headers["webhook-id"], []).append(r.at)
    assert len(attempts) == 20
    assert all(len(times) == 1 + len(SCHEDULE) for times in attempts.values())
    # spaced by the schedule (jitter is +-10 %; allow a little more for the receiver's clock)
    for times in attempts.values():
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(gap >= delay * 0.85 for gap, delay in zip(gaps, SCHEDULE)), gaps
    # And the webhook says why it was disabled
    state = await scene.get(f"/webhooks/{hook['id']}")
    assert state["failure_count"] == 20
    assert state["disabled_reason"].startswith(
        "Disabled after 20 consecutive failed deliveries (last: HTTP 500)"
    )
    # And /deliveries shows the last 25 attempts, newest first
    deliveries = (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert len(deliveries) == 25 and [d["id"] for d in deliveries] == sorted(
        (d["id"] for d in deliveries), reverse=True
    )
    assert {d["status_code"] for d in deliveries} == {500} and deliveries[0]["status"] == "failed"
    assert {d["status"] for d in deliveries} <= {"failed", "retrying"}
    # And a disabled webhook receives nothing more
    count = scene.receiver.count
    await scene.events(event("d1", "purchase", amount=1))
    await asyncio.sleep(2)
    assert scene.receiver.count == count


async def test_retries__410_gone__disabled_at_once_without_retry(scene: Scene) -> None:
    scene.receiver.status = 410
    hook = await scene.hook(["purchase"])
    await scene.events(event("d1", "purchase", amount=1))
    await wait_for(lambda: scene.receiver.received, what="the delivery")
    await asyncio.sleep(2 * sum(SCHEDULE))
    assert scene.receiver.count == 1
    state = await scene.get(f"/webhooks/{hook['id']}")
    assert not state["is_active"] and state["disabled_reason"] == "The target answered 410 Gone"
    deliveries = (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert [(d["status"], d["status_code"]) for d in deliveries] == [("failed", 410)]


async def test_retries__302_redirect__a_failure_retried_and_its_target_never_requested(scene: Scene) -> None:
    scene.receiver.status = 302
    hook = await scene.hook(["purchase"])
    await scene.events(event("d1", "purchase", amount=1))
    await wait_for(lambda: scene.receiver.count >= 1 + len(SCHEDULE), what="every attempt")
    await asyncio.sleep(2 * sum(SCHEDULE))
    assert [r.path for r in scene.receiver.received] == ["/hook"] * (1 + len(SCHEDULE))  # never /moved
    deliveries = (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert [(d["attempt"], d["status"], d["status_code"]) for d in deliveries] == [
        (3, "failed", 302),
        (2, "retrying", 302),
        (1, "retrying", 302),
    ]
    state = await scene.get(f"/webhooks/{hook['id']}")
    assert state["is_active"] and state["failure_count"] == 1


async def test_test_route__answers_status_time_and_first_kib_and_is_logged(scene: Scene) -> None:
    hook = await scene.hook(["purchase"])
    scene.receiver.secret = hook["secret"]
    r = await scene.client.request("POST", f"/webhooks/{hook['id']}/test", scene.token)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["status_code"] == 200 and result["body"] == '{"received": true}' and result["error"] is None
    assert 0 <= result["response_ms"] < 3000
    sent = scene.receiver.received[0]
    assert json.loads(sent.body)["event"] == "test" and sent.valid
    deliveries = (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]
    assert [(d["event"], d["status"], d["status_code"]) for d in deliveries] == [("test", "delivered", 200)]


async def test_test_route__huge_body_huge_headers_or_hang__bounded_reads_and_clear_errors(
    scene: Scene,
) -> None:
    hook = await scene.hook(["purchase"])
    path = f"/webhooks/{hook['id']}/test"
    # A receiver answering an 8 MiB body: the first KiB is kept, the rest never read
    scene.receiver.huge_body = True
    started = time.monotonic()
    result = (await scene.client.request("POST", path, scene.token)).json()
    assert result["status_code"] == 200 and result["body"] == "y" * 1024
    assert time.monotonic() - started < 3
    # Headers of 256 KiB: refused before they are all read, the attempt is a failure with a reason
    scene.receiver.huge_body, scene.receiver.huge_headers = False, True
    result = (await scene.client.request("POST", path, scene.token)).json()
    assert result["status_code"] is None and result["error"].startswith("Target unreachable")
    # A receiver that never answers: the attempt ends at WEBHOOK_TIMEOUT_SECONDS (3)
    scene.receiver.huge_headers, scene.receiver.hang_seconds = False, 10
    started = time.monotonic()
    result = (await scene.client.request("POST", path, scene.token)).json()
    assert result["status_code"] is None and "Timeout" in result["error"]
    assert 2.5 < time.monotonic() - started < 6


async def test_worker_killed_mid_delivery__message_redelivered_and_delivered_once_done(
    platform: Platform,
) -> None:
    # Given a platform of its own whose receiver hangs on the first delivery (timeout 30 s)
    receiver = Receiver(hang_seconds=30).start()
    own = RedisServer().start()
    env = _env(own.url, WEBHOOK_TIMEOUT_SECONDS="30")
    first = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    client = Client(base)
    second = None
    try:
        owner = await client.register()
        app = await client.create_app(owner["token"])
        scene = Scene(client, owner["token"], app, receiver)
        hook = await scene.hook(["purchase"])
        await scene.events(event("d1", "purchase", amount=3))
        await wait_for(lambda: receiver.received, what="the first attempt")
        # When the worker is killed while the request hangs, and another worker starts
        first.kill()
        receiver.hang_seconds = 0
        second = platform.spawn("worker", **env)
        # Then the delivery is made again, with the same delivery id, and recorded as delivered
        await wait_for(lambda: len(receiver.received) >= 2, timeout=60, what="the redelivery")
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(ids) == 1

        async def delivered() -> Any:
            return (await scene.get(f"/webhooks/{hook['id']}/deliveries"))["deliveries"]

        deliveries = await wait_for(delivered, what="the recorded attempt")
        assert [(d["status"], d["delivery_id"]) for d in deliveries] == [("delivered", ids.pop())]
    finally:
        await client.close()
        server.stop()
        for proc in (first, second):
            if proc is not None:
                proc.stop()
        own.remove()
        receiver.stop()
