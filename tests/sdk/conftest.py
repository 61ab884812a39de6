"""Fixtures of the SDK tests: an account with an app, a recording proxy in front of the session's
platform, and an API server of a test's own that can be stopped and started again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from tests.sdk.faultproxy import FaultProxy
from tests.support import Client, Platform, Proc, free_port, wait_http


@dataclass
class Account:
    """An organisation's owner and one app: what an SDK needs (sdk_key) and a dashboard user has."""

    client: Client
    token: str
    org_id: int
    app_id: int
    sdk_key: str

    async def create_flag(self, flag_key: str, **fields: Any) -> dict[str, Any]:
        body = {"app_id": self.app_id, "flag_key": flag_key, "is_enabled": True, **fields}
        r = await self.client.request("POST", "/flags", self.token, json=body)
        assert r.status_code == 201, r.text
        return r.json()

    async def update_flag(self, flag_id: int, **fields: Any) -> dict[str, Any]:
        r = await self.client.request("PUT", f"/flags/{flag_id}", self.token, json=fields)
        assert r.status_code == 200, r.text
        return r.json()


async def make_account(client: Client, database_url: str, plan: str | None = None) -> Account:
    owner = await client.register()
    app = await client.create_app(owner["token"])
    org_id = owner["user"]["org_id"]
    if plan:  # the plan's limits (rate, devices) are not what these tests are about
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("UPDATE orgs SET plan = $1 WHERE id = $2", plan, org_id)
        finally:
            await conn.close()
    return Account(client, owner["token"], org_id, app["id"], app["sdk_key"])


@pytest.fixture
async def account(client: Client, database_url: str) -> Account:
    return await make_account(client, database_url)


@pytest.fixture
def proxy(server: str) -> Iterator[FaultProxy]:
    p = FaultProxy(server).start()
    yield p
    p.stop()


class OwnServer:
    """An API process on a fixed port, so an SDK keeps its base URL across stop() and start()."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.port = free_port()
        self.proc: Proc | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/v4"

    def start(self) -> OwnServer:
        self.proc = self.platform.spawn("serve", "--port", str(self.port), "--host", "127.0.0.1")
        wait_http(f"{self.base}/api/v4/health", proc=self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


@pytest.fixture
def own_server(platform: Platform, services: tuple[str, str]) -> Iterator[OwnServer]:
    s = OwnServer(platform).start()
    yield s
    s.stop()


async def wait_value(database_url: str, sql: str, *args: Any, expected: Any, timeout: float = 30) -> Any:
    """Poll a one-value query until it returns `expected` (or time runs out); returns the last value."""
    deadline = time.monotonic() + timeout
    conn = await asyncpg.connect(database_url)
    try:
        while True:
            value = await conn.fetchval(sql, *args)
            if value == expected or time.monotonic() > deadline:
                return value
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()
