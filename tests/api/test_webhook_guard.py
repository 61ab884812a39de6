"""The outbound guard at send time (API.md section 9; README "Webhooks"): a webhook created while its host
name resolved to a public address, whose name then resolves to 127.0.0.1, is refused when sending (by the
test route and by the worker), and nothing reaches the loopback receiver.

Resolution is changed the way DNS would change it, below the platform: its processes run with the C
library's name lookups served from a hosts file of this test (nss_wrapper, Debian package libnss-wrapper,
LD_PRELOAD + NSS_WRAPPER_HOSTS), which the test rewrites after the webhook was created. Private targets
are not allowed on this platform (WEBHOOK_ALLOW_PRIVATE_TARGETS off), as in production.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from standins.webhook_receiver import Receiver
from tests.support import Client, Platform, RedisServer

NSS_WRAPPER = next(
    (
        p
        for p in (
            "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so",
            "/usr/lib/aarch64-linux-gnu/libnss_wrapper.so",
            "/usr/lib/libnss_wrapper.so",
        )
        if os.path.exists(p)
    ),
    None,
)
NAME = "hooks.example.test"
PUBLIC = "93.184.216.34"  # only resolved to, never connected to: nothing is sent while the name means it


def _point(hosts: Path, address: str) -> None:
    """Make NAME resolve to `address` (a new file, so nss_wrapper sees a new mtime and inode)."""
    fresh = hosts.with_suffix(".new")
    fresh.write_text(f"{address} {NAME}\n127.0.0.1 localhost\n")
    os.replace(fresh, hosts)


@pytest.fixture(scope="module")
def guarded(
    platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Receiver]]:
    if NSS_WRAPPER is None:
        pytest.fail("libnss-wrapper is not installed (apt-get install libnss-wrapper; .ci/run does it)")
    hosts = tmp_path_factory.mktemp("dns") / "hosts"
    _point(hosts, PUBLIC)
    receiver = Receiver().start()
    own = RedisServer().start()
    env = {
        "REDIS_URL": own.url,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "false",
        "WEBHOOK_RETRY_SCHEDULE": "0.3",
        "WEBHOOK_TIMEOUT_SECONDS": "3",
        "RATE_LIMIT_SCALE": "100",
        "LD_PRELOAD": NSS_WRAPPER,
        "NSS_WRAPPER_HOSTS": str(hosts),
    }
    worker = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    try:
        yield base, hosts, receiver
    finally:
        server.stop()
        worker.stop()
        own.remove()
        receiver.stop()


async def test_send_time__name_resolving_to_loopback_after_creation__refused_and_nothing_sent(
    guarded: tuple[str, Path, Receiver],
) -> None:
    base, hosts, receiver = guarded
    client = Client(base)
    owner = await client.register()
    token = owner["token"]
    app = await client.create_app(token)
    port = receiver.server.server_address[1]  # type: ignore[union-attr]
    url = f"http://{NAME}:{port}/hook"
    # Given a webhook created while its name resolved to a public address
    r = await client.request(
        "POST",
        "/webhooks",
        token,
        json={"app_id": app["id"], "name": "h", "url": url, "events": ["purchase"]},
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    # And a name that resolves to 127.0.0.1 is refused at creation
    _point(hosts, "127.0.0.1")
    await asyncio.sleep(1.1)
    _point(hosts, "127.0.0.1")  # a second rewrite, a second later: a new mtime whatever the clock's grain
    r = await client.request(
        "POST",
        "/webhooks",
        token,
        json={"app_id": app["id"], "name": "h2", "url": url, "events": ["purchase"]},
    )
    assert r.status_code == 400 and "127.0.0.1" in json.dumps(r.json()["details"])
    # When the test route sends to it now / Then it is refused: the name is checked again, not trusted
    r = await client.request("POST", f"/webhooks/{hook['id']}/test", token)
    assert r.status_code == 200, r.text
    assert r.json()["status_code"] is None
    assert r.json()["error"].startswith(f"URL not allowed: {NAME} resolves to a loopback")
    # When an event is delivered by the worker / Then every attempt is refused and recorded as such
    r = await client.request(
        "POST",
        "/events/batch",
        headers={"X-SDK-Key": app["sdk_key"]},
        json={"events": [{"android_id": "d", "event_type": "purchase", "event_data": {"amount": 1}}]},
    )
    assert r.status_code == 202

    async def attempts() -> list[dict]:
        r = await client.request("GET", f"/webhooks/{hook['id']}/deliveries", token)
        return [d for d in r.json()["deliveries"] if d["event"] == "purchase"]

    for _ in range(100):
        found = await attempts()
        if len(found) == 2:
            break
        await asyncio.sleep(0.2)
    assert [(d["attempt"], d["status"], d["status_code"]) for d in found] == [
        (2, "failed", None),
        (1, "retrying", None),
    ]
    assert all(d["error"].startswith("URL not allowed") and "127.0.0.1" in d["error"] for d in found)
    # And the loopback receiver never saw a request
    assert receiver.count == 0
    await client.close()
