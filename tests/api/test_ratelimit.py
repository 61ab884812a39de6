"""Rate limits (API.md section 0): tiers, budgets, headers, exactness, settings, Redis outages."""

from __future__ import annotations

import asyncio
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from api.ratelimit import RateLimiter
from core.errors import RateLimited, ServiceUnavailable
from core.plans import TIERS, Tier
from core.redis import async_client
from tests.support import PASSWORD, Client, Platform, Proc, add_member, free_port, random_ip, unique_email

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
AUTH_WINDOW, API_WINDOW = 300, 60


def _rate(r: httpx.Response) -> tuple[int, int, int]:
    """(limit, remaining, reset) of a limited response."""
    return tuple(int(r.headers[name]) for name in RATE_HEADERS)  # type: ignore[return-value]


async def _bad_login(client: Client, **kwargs: object) -> httpx.Response:
    """One auth-tier request that needs no account (answers 401 while under the limit)."""
    body = {"email": unique_email(), "password": "wrong-password"}
    return await client.request("POST", "/auth/login", json=body, **kwargs)  # type: ignore[arg-type]


def _assert_rate_limited(r: httpx.Response, limit: int, window: int) -> None:
    assert r.status_code == 429, r.text
    assert r.json() == {"error": "Rate limit exceeded"}
    assert r.headers["Retry-After"].isdigit()
    assert 0 < int(r.headers["Retry-After"]) <= window
    limit_seen, remaining, reset = _rate(r)
    assert (limit_seen, remaining) == (limit, 0)
    assert time.time() < reset <= time.time() + window + 1  # when the next slot frees
    assert r.headers["X-Request-Id"]


async def _set_plan(database_url: str, org_id: int, plan: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE orgs SET plan = $1 WHERE id = $2", plan, org_id)
    finally:
        await conn.close()


@pytest.fixture
def spawned(platform: Platform) -> Iterator[list[Proc]]:
    """API processes a test spawns; stopped when it ends."""
    procs: list[Proc] = []
    yield procs
    for proc in procs:
        proc.stop()


@pytest.fixture
async def http_pool() -> AsyncIterator[list[httpx.AsyncClient]]:
    """Raw httpx clients a test opens; closed when it ends."""
    clients: list[httpx.AsyncClient] = []
    yield clients
    for c in clients:
        await c.aclose()


def _serve(platform: Platform, spawned: list[Proc], **env: object) -> str:
    proc, base = platform.serve(**env)
    spawned.append(proc)
    return base


def _wide_client(base: str, pool: list[httpx.AsyncClient], **kwargs: object) -> httpx.AsyncClient:
    """A client that opens as many connections as there are concurrent requests."""
    c = httpx.AsyncClient(
        base_url=f"{base}/api/v4",
        timeout=60,
        limits=httpx.Limits(max_connections=300, max_keepalive_connections=300),
        **kwargs,
    )  # type: ignore[arg-type]
    pool.append(c)
    return c


# --- auth tier: per IP, shared by register, login and refresh -------------------------------------------


async def test_auth_tier__11th_request_of_one_ip_in_5_minutes__429_with_retry_after(client: Client) -> None:
    # Given one IP that registers, logs in and refreshes (one budget of 10 for the auth routes)
    started = time.time()
    email = unique_email()
    responses = [
        await client.request(
            "POST",
            "/auth/register",
            json={"name": "A", "email": email, "password": PASSWORD, "org_name": "A"},
        )
    ]
    token = responses[0].json()["token"]
    responses.append(await client.request("POST", "/auth/login", json={"email": email, "password": PASSWORD}))
    responses.append(await client.request("POST", "/auth/refresh", token))
    for _ in range(7):
        responses.append(await _bad_login(client))
    assert [r.status_code for r in responses] == [201, 200, 200] + [401] * 7
    # Then every response carries the limit, a countdown and a reset time inside the window
    assert [_rate(r)[1] for r in responses] == list(range(9, -1, -1))
    for r in responses:
        limit, _, reset = _rate(r)
        assert limit == 10
        assert time.time() < reset <= math.ceil(started) + AUTH_WINDOW + 1
    # When the same IP makes an 11th auth request, whichever route
    # Then it is refused with Retry-After and the limit headers
    _assert_rate_limited(await _bad_login(client), 10, AUTH_WINDOW)
    _assert_rate_limited(await client.request("POST", "/auth/refresh", token), 10, AUTH_WINDOW)
    _assert_rate_limited(
        await client.request(
            "POST",
            "/auth/register",
            json={"name": "B", "email": unique_email(), "password": PASSWORD, "org_name": "B"},
        ),
        10,
        AUTH_WINDOW,
    )


async def test_auth_tier__other_ip__own_budget(client: Client, server: str) -> None:
    # Given an IP that spent its auth budget
    for _ in range(10):
        assert (await _bad_login(client)).status_code == 401
    assert (await _bad_login(client)).status_code == 429
    # When another IP logs in
    other = Client(server)
    try:
        r = await _bad_login(other)
    finally:
        await other.close()
    # Then it is not limited
    assert r.status_code == 401
    assert _rate(r)[:2] == (10, 9)


# --- api tier: per user ---------------------------------------------------------------------------------


async def test_api_tier__101st_request_of_one_user_in_a_minute__429_other_user_unaffected(
    client: Client, database_url: str
) -> None:
    # Given an owner and a viewer of one org
    owner = await client.register()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    # When the owner makes 100 requests
    responses = [await client.request("GET", "/apps", owner["token"]) for _ in range(100)]
    # Then all are admitted, counting down
    assert {r.status_code for r in responses} == {200}
    assert [_rate(r)[:2] for r in responses] == [(100, n) for n in range(99, -1, -1)]
    # And the 101st is refused
    _assert_rate_limited(await client.request("GET", "/apps", owner["token"]), 100, API_WINDOW)
    # While the other user of the same org has a budget of their own
    r = await client.request("GET", "/apps", viewer["token"])
    assert r.status_code == 200
    assert _rate(r)[:2] == (100, 99)


async def test_api_tier__150_concurrent_requests__exactly_100_admitted(
    client: Client, server: str, http_pool: list[httpx.AsyncClient]
) -> None:
    # Given a user and a client with 150 connections
    owner = await client.register()
    http = _wide_client(
        server,
        http_pool,
        headers={"Authorization": f"Bearer {owner['token']}", "X-Forwarded-For": random_ip()},
    )
    # When the user sends 150 requests at once
    responses = await asyncio.gather(*(http.get("/apps") for _ in range(150)))
    # Then exactly 100 are admitted, each with its own remaining count
    assert Counter(r.status_code for r in responses) == {200: 100, 429: 50}
    assert sorted(_rate(r)[1] for r in responses if r.status_code == 200) == list(range(100))
    for r in responses:
        if r.status_code == 429:
            _assert_rate_limited(r, 100, API_WINDOW)


@pytest.mark.slow
async def test_api_tier__concurrent_requests_across_two_api_processes__exactly_100_admitted(
    client: Client, server: str, platform: Platform, spawned: list[Proc], http_pool: list[httpx.AsyncClient]
) -> None:
    # Given a second API process sharing Redis with the session server
    second = _serve(platform, spawned)
    owner = await client.register()
    headers = {"Authorization": f"Bearer {owner['token']}", "X-Forwarded-For": random_ip()}
    a, b = _wide_client(server, http_pool, headers=headers), _wide_client(second, http_pool, headers=headers)
    # When one user sends 150 requests at once, split across both processes
    responses = await asyncio.gather(*((a if i % 2 else b).get("/apps") for i in range(150)))
    # Then exactly 100 are admitted in all
    assert Counter(r.status_code for r in responses) == {200: 100, 429: 50}
    assert sorted(_rate(r)[1] for r in responses if r.status_code == 200) == list(range(100))


# --- limits by plan and by setting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "limit"), [("free", 100), ("starter", 300), ("pro", 1000), ("enterprise", 5000)]
)
async def test_api_tier__org_plan__limit_of_the_plan(
    client: Client, database_url: str, plan: str, limit: int
) -> None:
    # Given an org on `plan` and another on the free plan
    paid, free = await client.register(), await client.register()
    await _set_plan(database_url, paid["user"]["org_id"], plan)
    # When their users call the API
    r_paid = await client.request("GET", "/apps", paid["token"])
    r_free = await client.request("GET", "/apps", free["token"])
    # Then each sees the api limit of its plan
    assert r_paid.status_code == r_free.status_code == 200
    assert _rate(r_paid)[:2] == (limit, limit - 1)
    assert _rate(r_free)[:2] == (100, 99)


async def test_api_tier__pro_plan__more_than_free_limit_admitted(
    client: Client, server: str, database_url: str, http_pool: list[httpx.AsyncClient]
) -> None:
    # Given a user of a pro org
    owner = await client.register()
    await _set_plan(database_url, owner["user"]["org_id"], "pro")
    http = _wide_client(server, http_pool, headers={"Authorization": f"Bearer {owner['token']}"})
    # When they send 150 requests at once
    responses = await asyncio.gather(*(http.get("/apps") for _ in range(150)))
    # Then all are admitted (the free limit is 100)
    assert Counter(r.status_code for r in responses) == {200: 150}
    assert sorted(_rate(r)[1] for r in responses) == list(range(850, 1000))


@pytest.mark.slow
async def test_rate_limit_scale__2__limits_doubled(platform: Platform, spawned: list[Proc]) -> None:
    # Given a server with RATE_LIMIT_SCALE=2
    c = Client(_serve(platform, spawned, RATE_LIMIT_SCALE=2))
    try:
        # When a user registers and calls the API
        email = unique_email()
        reg = await c.request(
            "POST",
            "/auth/register",
            json={"name": "A", "email": email, "password": PASSWORD, "org_name": "A"},
        )
        apps = await c.request("GET", "/apps", reg.json()["token"])
    finally:
        await c.close()
    # Then the auth limit is 20 and the api limit 200
    assert reg.status_code == 201 and apps.status_code == 200
    assert _rate(reg)[:2] == (20, 19)
    assert _rate(apps)[:2] == (200, 199)


@pytest.mark.slow
async def test_rate_limit_scale__0__no_limit_and_no_headers(platform: Platform, spawned: list[Proc]) -> None:
    # Given a server with RATE_LIMIT_SCALE=0
    c = Client(_serve(platform, spawned, RATE_LIMIT_SCALE=0))
    try:
        # When one IP makes 15 auth requests and a user calls the API
        logins = [await _bad_login(c) for _ in range(15)]
        account = await c.register()
        apps = await c.request("GET", "/apps", account["token"])
    finally:
        await c.close()
    # Then nothing is refused and no response carries limit headers
    assert [r.status_code for r in logins] == [401] * 15
    assert apps.status_code == 200
    for r in [*logins, apps]:
        assert not any(name in r.headers for name in (*RATE_HEADERS, "Retry-After"))


# --- client IP: socket peer, X-Forwarded-For only behind trusted proxies ---------------------------------


def _loopback_address() -> str:
    """A fresh 127/8 source address, so the socket peer is unique to the test."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@pytest.mark.slow
async def test_client_ip__proxies_count_0__x_forwarded_for_ignored(
    platform: Platform, spawned: list[Proc], http_pool: list[httpx.AsyncClient]
) -> None:
    # Given a server without trusted proxies, and a client at one socket address
    base = _serve(platform, spawned, PROXIES_COUNT=0)
    address = _loopback_address()
    http = _wide_client(base, http_pool, transport=httpx.AsyncHTTPTransport(local_address=address))

    async def login(c: httpx.AsyncClient, forwarded_for: str) -> httpx.Response:
        return await c.post(
            "/auth/login",
            json={"email": unique_email(), "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded_for},
        )

    # When it sends 11 logins, each claiming another address in X-Forwarded-For
    responses = [await login(http, random_ip()) for _ in range(11)]
    # Then they share one budget: the socket peer's
    assert [r.status_code for r in responses] == [401] * 10 + [429]
    # And another socket address is unaffected, whatever it forwards
    elsewhere = httpx.AsyncHTTPTransport(local_address=_loopback_address())
    other = _wide_client(base, http_pool, transport=elsewhere)
    r = await login(other, "127.0.0.1")
    assert r.status_code == 401
    assert _rate(r)[1] == 9


async def test_client_ip__proxies_count_1__rightmost_forwarded_hop_is_the_client(server: str) -> None:
    # Given the session server (PROXIES_COUNT=1) and a client address behind one proxy
    ip = random_ip()
    c = Client(server, ip=ip)
    try:
        # When 10 logins arrive with spoofed hops left of that address
        spoofed = [
            await _bad_login(c, headers={"X-Forwarded-For": f"{random_ip()}, {ip}"}) for _ in range(10)
        ]
        # Then they all count for the rightmost hop
        assert [_rate(r)[1] for r in spoofed] == list(range(9, -1, -1))
        assert (await _bad_login(c, headers={"X-Forwarded-For": ip})).status_code == 429
        # And that address as a left (untrusted) hop does not count for it
        r = await _bad_login(c, headers={"X-Forwarded-For": f"{ip}, {random_ip()}"})
        assert r.status_code == 401
        assert _rate(r)[1] == 9
    finally:
        await c.close()


# --- Redis down ----------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_auth_routes__redis_down__503(platform: Platform, spawned: list[Proc]) -> None:
    # Given a server whose Redis does not answer
    c = Client(_serve(platform, spawned, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    try:
        # When a client logs in or registers
        login = await _bad_login(c)
        register = await c.request(
            "POST",
            "/auth/register",
            json={"name": "A", "email": unique_email(), "password": PASSWORD, "org_name": "A"},
        )
    finally:
        await c.close()
    # Then the auth tier fails closed
    for r in (login, register):
        assert r.status_code == 503
        assert set(r.json()) == {"error"}
        assert r.headers["X-Request-Id"]


@pytest.fixture
async def dead_redis_limiter() -> AsyncIterator[RateLimiter]:
    """A limiter whose Redis has nothing listening."""
    redis = async_client(f"redis://127.0.0.1:{free_port()}/0")
    yield RateLimiter(redis, 1.0)
    await redis.aclose()


@pytest.mark.parametrize("tier", ["sdk", "api"])
async def test_ratelimiter__redis_down__tier_fails_open(dead_redis_limiter: RateLimiter, tier: str) -> None:
    assert await dead_redis_limiter.hit(tier, "unit:fail-open", "free") is None


@pytest.mark.parametrize("tier", ["auth", "export"])
async def test_ratelimiter__redis_down__tier_fails_closed(dead_redis_limiter: RateLimiter, tier: str) -> None:
    with pytest.raises(ServiceUnavailable):
        await dead_redis_limiter.hit(tier, "unit:fail-closed", "free")


# --- the sliding log -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_ratelimiter__across_a_window_boundary__never_more_than_limit_in_one_window(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tier of 5 requests per 2 seconds
    limit, window = 5, 2.0
    tier = Tier("unit-short", int(window), {"free": limit}, fail_open=False)
    monkeypatch.setitem(TIERS, tier.name, tier)
    redis = async_client(redis_url)
    limiter = RateLimiter(redis, 1.0)
    key = f"unit:{uuid.uuid4().hex}"
    admitted: list[tuple[float, float]] = []  # (sent, answered), client monotonic clock

    async def attempt() -> bool:
        sent = time.monotonic()
        try:
            verdict = await limiter.hit(tier.name, key, "free")
        except RateLimited as exc:
            assert 0 < exc.retry_after <= window
            return False
        admitted.append((sent, time.monotonic()))
        assert verdict is not None and verdict.limit == limit
        return True

    try:
        # When the limit is spent, then more requests come from 1.2 s on while the window lasts
        # (a fixed 2 s window would most likely turn over meanwhile and admit them)
        first = [await attempt() for _ in range(limit + 1)]
        await asyncio.sleep(1.2)
        second = [await attempt()]
        while time.monotonic() < admitted[0][1] + window - 0.2:
            await asyncio.sleep(0.1)
            second.append(await attempt())
        # And more once the first requests have left the window
        await asyncio.sleep(max(0.0, admitted[limit - 1][1] + window + 0.1 - time.monotonic()))
        third = [await attempt() for _ in range(limit + 1)]
    finally:
        await redis.aclose()
    # Then exactly the limit was admitted at first, and again once the window had slid past it
    assert first == [True] * limit + [False]
    assert third[0] is True and third[-1] is False
    # And no span of one window held more than the limit (counting every request that surely fell
    # within `window` of each admitted one)
    for sent, _ in admitted:
        within = [1 for s, answered in admitted if s >= sent and answered - sent < window]
        assert len(within) <= limit, (first, second, third)
