"""AI tests: API servers and workers pointed at an in-process Anthropic stand-in (standins/anthropic.py),
each pair on a Redis server of its own, so its jobs never reach the session's key-less worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from standins.anthropic import StandIn
from tests.support import Client, Platform, RedisServer

API_KEY = "sk-ant-test-key"


@dataclass
class AiPair:
    """An API server and a worker with ANTHROPIC_BASE_URL at `model`, the stand-in."""

    base: str
    model: StandIn
    env: dict[str, str]


def _start(platform: Platform, model: StandIn, **extra: str) -> tuple[AiPair, list[Any]]:
    own = RedisServer().start()
    env = {
        "REDIS_URL": own.url,
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": model.url,
        "AI_MAX_RETRIES": "0",
        "RATE_LIMIT_SCALE": "100",
        **extra,
    }
    worker = platform.spawn("worker", **env)
    server, base = platform.serve(**env)
    return AiPair(base, model, env), [server, worker, own]


def _stop(parts: list[Any]) -> None:
    server, worker, own = parts
    server.stop()
    worker.stop()
    own.remove()


@pytest.fixture(scope="session")
def model() -> Iterator[StandIn]:
    """The Anthropic stand-in every AI pair of the session talks to (replies scripted per test)."""
    standin = StandIn(api_key=API_KEY).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def ai_pair(platform: Platform, model: StandIn) -> Iterator[AiPair]:
    """The platform as configured with an API key (the SQL check on)."""
    pair, parts = _start(platform, model)
    yield pair
    _stop(parts)


@pytest.fixture(scope="session")
def unchecked_pair(platform: Platform, model: StandIn) -> Iterator[AiPair]:
    """The same with the sqlglot check switched off and a 1 s statement timeout: only the database's
    reader role stands between the model's SQL and the data."""
    pair, parts = _start(platform, model, NLQ_SQL_CHECK="false", NLQ_STATEMENT_TIMEOUT_MS="1000")
    yield pair
    _stop(parts)


@pytest.fixture
async def ai(ai_pair: AiPair) -> AsyncIterator[Client]:
    """A client of the keyed platform; the stand-in starts each test with no scripted reply."""
    ai_pair.model.reset()
    c = Client(ai_pair.base)
    yield c
    await c.close()


@dataclass
class OrgApp:
    """An organisation's owner and one app with registered devices."""

    token: str
    org_id: int
    app_id: int
    sdk_key: str
    android_ids: list[str]
    device_ids: list[int]


async def org_with_devices(
    client: Client, android_ids: list[str], countries: list[str] | None = None
) -> OrgApp:
    """A new organisation with one app and these devices (registered through the SDK route)."""
    owner = await client.register()
    app = await client.create_app(owner["token"])
    device_ids = []
    for i, android_id in enumerate(android_ids):
        body: dict[str, Any] = {"android_id": android_id, "brand": "Brand"}
        if countries:
            body["country"] = countries[i]
        r = await client.request(
            "POST", "/devices/register", headers={"X-SDK-Key": app["sdk_key"]}, json=body
        )
        assert r.status_code == 200, r.text
        device_ids.append(r.json()["device"]["id"])
    return OrgApp(owner["token"], owner["user"]["org_id"], app["id"], app["sdk_key"], android_ids, device_ids)


def sql_reply(sql: str) -> dict[str, Any]:
    """The stand-in's reply calling run_sql with `sql`."""
    return {
        "tool_use": {"name": "run_sql", "input": {"sql": sql}},
        "usage": {"input_tokens": 120, "output_tokens": 30},
    }
