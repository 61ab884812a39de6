# ruff: noqa: F811 - tests take the imported fixture as a parameter

"""GET /system/queue for Redis and RabbitMQ brokers: pending, delayed, in progress and dead-lettered
messages; failures with actor, error kind and time; dead letters retried or dropped by an operator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from core import jobs
from core.redis import async_client
from tests.actors.test_jobs import rabbitmq  # noqa: F401 - the module's RabbitMQ virtual host (a fixture)
from tests.operators import ADMIN_TOKEN, make_operator, poison_message
from tests.support import Client, Platform, add_member, redis_db, with_redis_db

ADMIN = {"X-Admin-Token": ADMIN_TOKEN}


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 60, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def _view(
    client: Client, token: str | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    r = await client.request("GET", "/system/queue", token, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _letter(view: dict[str, Any], message_id: str) -> dict[str, Any] | None:
    return next((d for d in view["dead_letters"] if d["message_id"] == message_id), None)


async def _job(redis_url: str, job_id: str) -> dict[str, Any] | None:
    store = async_client(redis_url)
    try:
        return await jobs.get(store, job_id)
    finally:
        await store.aclose()


async def _poison(redis_url: str, org_id: int | None, send: Callable[[Any], None]) -> tuple[str, str]:
    """A job record of `org_id` and its poison message, sent with `send`: (message id, job id)."""
    job_id = jobs.new_job_id()
    store = async_client(redis_url)
    try:
        await jobs.create(store, job_id, "system.selftest", org_id, ttl=86400)
    finally:
        await store.aclose()
    message = poison_message(org_id, job_id)
    await asyncio.to_thread(send, message)
    return message.message_id, job_id


def _send_redis(message: Any) -> None:
    from actors import broker

    broker.enqueue(message)


# --- Redis broker (the session's server and worker) ---------------------------------------------------


async def test_queue_view__job_running__counted_in_progress_then_done(
    client: Client, worker: None, database_url: str
) -> None:
    # Given an operator, and an org's 3 s job
    operator = await make_operator(client, database_url)
    owner = await client.register()
    r = await client.request("POST", "/system/selftest?wait=0", owner["token"], json={"seconds": 3})
    assert r.status_code == 202, r.text

    # When the queue is looked at while it runs
    async def running() -> dict[str, Any] | None:
        view = await _view(client, operator["token"])
        return view if view["queues"]["default"]["in_progress"] >= 1 else None

    view = await eventually(running, timeout=30, what="the job to be in progress")
    # Then every queue has the four counts, the broker and the scope are named
    assert view["broker"] == "redis" and view["scope"] == "all"
    assert {"default", "ops"} <= set(view["queues"])
    for counts in view["queues"].values():
        assert set(counts) == {"pending", "delayed", "in_progress", "dead"}
        assert all(isinstance(n, int) and n >= 0 for n in counts.values())

    # And once it is done, nothing is in progress any more
    async def idle() -> bool:
        return (await _view(client, operator["token"]))["queues"]["default"]["in_progress"] == 0

    await eventually(idle, timeout=30, what="the job to finish")
    mine = await _view(client, owner["token"])
    assert mine["scope"] == "org" and mine["jobs"]["done"] == 1


@pytest.mark.slow
async def test_queue_view__poison_message__dead_lettered_listed_retried_by_operator(
    client: Client, worker: None, database_url: str, redis_url: str
) -> None:
    # Given org A (owner, admin), org B, an operator, and a message of A's job that always fails
    operator = await make_operator(client, database_url)
    owner_a, owner_b = await client.register(), await client.register()
    org_a = owner_a["user"]["org_id"]
    admin_a = await add_member(database_url, org_a, "admin", client)
    message_id, job_id = await _poison(redis_url, org_a, _send_redis)

    # When it has failed
    async def dead() -> dict[str, Any] | None:
        view = await _view(client, operator["token"])
        return view if _letter(view, message_id) else None

    view = await eventually(dead, what="the poison message to be dead-lettered")
    # Then the operator sees it as a dead letter of its queue, with the actor, the error kind and when
    letter = _letter(view, message_id)
    assert letter is not None
    assert (letter["queue"], letter["actor"], letter["job_id"], letter["org_id"]) == (
        "default",
        "selftest",
        job_id,
        org_a,
    )
    assert letter["error_kind"] == "ValueError" and "ValueError" in letter["error"]
    assert letter["failed_at"].endswith("Z")
    assert view["queues"]["default"]["dead"] >= 1
    failure = next(f for f in view["recent_failures"] if f["message_id"] == message_id)
    assert (failure["actor"], failure["error_kind"]) == ("selftest", "ValueError") and failure["at"].endswith(
        "Z"
    )
    # And A's owner and admin see it too, B's owner does not
    for token in (owner_a["token"], admin_a["token"]):
        assert _letter(await _view(client, token), message_id) is not None
    other = await _view(client, owner_b["token"])
    assert _letter(other, message_id) is None
    assert all(f["message_id"] != message_id for f in other["recent_failures"])
    # And only an operator may retry it
    for token in (owner_a["token"], admin_a["token"]):
        r = await client.request("POST", f"/system/queue/dead/{message_id}/retry", token)
        assert r.status_code == 403
    assert (await client.request("POST", f"/system/queue/dead/{message_id}/retry")).status_code == 401
    assert (await _job(redis_url, job_id))["attempts"] == 1
    # When the operator retries it
    r = await client.request("POST", f"/system/queue/dead/{message_id}/retry", operator["token"])
    # Then it left the dead letters for its queue and ran again (the job's second attempt)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "requeued" and r.json()["job_id"] == job_id

    async def ran_again() -> dict[str, Any] | None:
        job = await _job(redis_url, job_id)
        return job if job and job["attempts"] == 2 and job["status"] == "failed" else None

    await eventually(ran_again, what="the retried message to run")
    # (it is poison: it failed again and is back among the dead letters, under the same id)
    await eventually(dead, what="the retried poison message to be dead again")
    # And the operator's organisation logged the retry
    activity = await client.request("GET", "/settings/activity?action=queue.retry", operator["token"])
    assert [e["resource_id"] for e in activity.json()["entries"]] == [message_id]


@pytest.mark.slow
async def test_queue_view__dead_letter_dropped__gone_job_stays_failed(
    client: Client, worker: None, database_url: str, redis_url: str
) -> None:
    operator = await make_operator(client, database_url)
    owner = await client.register()
    message_id, job_id = await _poison(redis_url, owner["user"]["org_id"], _send_redis)

    async def dead() -> bool:
        return _letter(await _view(client, operator["token"]), message_id) is not None

    await eventually(dead, what="the poison message to be dead-lettered")
    # When the operator drops it
    r = await client.request("POST", f"/system/queue/dead/{message_id}/drop", operator["token"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dropped"
    # Then it is gone for good, its job stays failed, and a second drop or a retry finds nothing
    assert _letter(await _view(client, operator["token"]), message_id) is None
    assert (await _job(redis_url, job_id))["status"] == "failed"
    for action in ("drop", "retry"):
        r = await client.request("POST", f"/system/queue/dead/{message_id}/{action}", operator["token"])
        assert r.status_code == 404 and r.json() == {"error": "Dead letter not found"}


@pytest.mark.parametrize("message_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 300])
async def test_queue_view__unknown_or_malformed_dead_letter__404(
    client: Client, database_url: str, message_id: str
) -> None:
    operator = await make_operator(client, database_url)
    for action in ("retry", "drop"):
        r = await client.request("POST", f"/system/queue/dead/{message_id}/{action}", operator["token"])
        assert r.status_code == 404, r.text


# --- a dead letter whose cause is fixed: retried, it succeeds ---------------------------------------------


@pytest.fixture(scope="module")
def split_platform(platform: Platform) -> Iterator[dict[str, Any]]:
    """An API server with DEPLOY_COMMAND and the admin token, alone on a Redis database of its own, whose
    first worker lacks the deploy command (a misconfigured host)."""
    isolated = with_redis_db(platform.redis_url, redis_db(platform.redis_url) + 1)
    redis.Redis.from_url(isolated).flushdb()
    server, base = platform.serve(
        REDIS_URL=isolated, ADMIN_TOKEN=ADMIN_TOKEN, DEPLOY_COMMAND="echo shipped {target}"
    )
    state = {"base": base, "redis_url": isolated}
    yield state
    server.stop()
    redis.Redis.from_url(isolated).flushdb()


@pytest.mark.slow
async def test_queue_view__deploy_failed_on_misconfigured_worker__retried_after_fix_succeeds(
    platform: Platform, split_platform: dict[str, Any]
) -> None:
    base, isolated = split_platform["base"], split_platform["redis_url"]
    client = Client(base)
    broken = platform.spawn("worker", REDIS_URL=isolated)
    fixed = None
    try:
        # Given a deploy taken by a worker without the deploy command: it fails and is dead-lettered
        r = await client.request("POST", "/devops/deploy?wait=30", json={"target": "dev"}, headers=ADMIN)
        assert r.status_code == 503, r.text
        job_id = r.json()["job_id"]

        # (the job record says failed a moment before the broker moves the message to the dead letters)
        async def dead() -> dict[str, Any] | None:
            view = await _view(client, headers=ADMIN)
            return view if any(d["job_id"] == job_id for d in view["dead_letters"]) else None

        view = await eventually(dead, what="the failed deploy to be dead-lettered")
        letter = next(d for d in view["dead_letters"] if d["job_id"] == job_id)
        assert (letter["queue"], letter["actor"], letter["error_kind"]) == (
            "ops",
            "devops_deploy",
            "ServiceUnavailable",
        )
        assert view["queues"]["ops"]["dead"] == 1
        # When the host is fixed (a worker with the command replaces it) and the operator retries the letter
        broken.stop()
        fixed = platform.spawn("worker", REDIS_URL=isolated, DEPLOY_COMMAND="echo shipped {target}")
        r = await client.request("POST", f"/system/queue/dead/{letter['message_id']}/retry", headers=ADMIN)
        assert r.status_code == 200, r.text

        # Then the job runs again and succeeds, with the command's output, and no dead letter is left
        async def done() -> dict[str, Any] | None:
            job = (await client.request("GET", f"/jobs/{job_id}", headers=ADMIN)).json()
            return job if job["status"] in ("done",) else None

        job = await eventually(done, what="the retried deploy to succeed")
        assert job["result"]["stdout"] == "shipped dev\n" and job["error"] is None
        assert job["attempts"] == 2
        after = await _view(client, headers=ADMIN)
        assert after["queues"]["ops"]["dead"] == 0 and _letter(after, letter["message_id"]) is None
    finally:
        await client.close()
        broken.stop()
        if fixed is not None:
            fixed.stop()


# --- RabbitMQ broker ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rabbit_operator_server(platform: Platform, rabbitmq: str) -> Iterator[str]:
    proc, base = platform.serve(BROKER_URL=rabbitmq, ADMIN_TOKEN=ADMIN_TOKEN)
    yield base
    proc.stop()


@pytest.fixture
async def rabbit_client(rabbit_operator_server: str) -> AsyncIterator[Client]:
    c = Client(rabbit_operator_server)
    yield c
    await c.close()


@pytest.mark.slow
async def test_queue_view__rabbitmq_poison_message__dead_lettered_in_progress_retried_dropped(
    platform: Platform,
    rabbitmq: str,
    rabbit_client: Client,
    redis_url: str,
) -> None:
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    client = rabbit_client
    worker = platform.spawn("worker", BROKER_URL=rabbitmq)
    sender = RabbitmqBroker(url=rabbitmq, confirm_delivery=True)
    sender.declare_queue("default")
    try:
        owner = await client.register()
        org_id = owner["user"]["org_id"]
        # Given a job running on the RabbitMQ worker: it is counted in progress
        r = await client.request("POST", "/system/selftest?wait=0", owner["token"], json={"seconds": 3})
        assert r.status_code == 202, r.text

        async def running() -> dict[str, Any] | None:
            view = await _view(client, headers=ADMIN)
            return view if view["queues"].get("default", {}).get("in_progress", 0) >= 1 else None

        view = await eventually(running, timeout=60, what="the RabbitMQ job to be in progress")
        assert view["broker"] == "rabbitmq"
        # When a poison message of the org fails
        message_id, job_id = await _poison(redis_url, org_id, sender.enqueue)

        async def dead() -> dict[str, Any] | None:
            view = await _view(client, headers=ADMIN)
            return view if _letter(view, message_id) else None

        view = await eventually(dead, what="the poison message in RabbitMQ's dead-letter queue")
        # Then it is listed with its actor, error kind and time, and counted in the queue's dead letters
        letter = _letter(view, message_id)
        assert letter is not None
        assert (letter["actor"], letter["queue"], letter["org_id"]) == ("selftest", "default", org_id)
        assert letter["error_kind"] == "ValueError" and letter["failed_at"].endswith("Z")
        assert view["queues"]["default"]["dead"] >= 1
        assert _letter(await _view(client, owner["token"]), message_id) is not None
        # And listing it did not take it off its queue: it is still there on the next look
        assert _letter(await _view(client, headers=ADMIN), message_id) is not None
        # When the operator retries it / Then it runs again (and, poison, comes back dead)
        r = await client.request("POST", f"/system/queue/dead/{message_id}/retry", headers=ADMIN)
        assert r.status_code == 200, r.text

        async def ran_again() -> bool:
            job = await _job(redis_url, job_id)
            return bool(job and job["attempts"] == 2 and job["status"] == "failed")

        await eventually(ran_again, what="the retried RabbitMQ message to run")
        await eventually(dead, what="the retried poison message to be dead again")
        # When the operator drops it / Then it is gone
        r = await client.request("POST", f"/system/queue/dead/{message_id}/drop", headers=ADMIN)
        assert r.status_code == 200 and r.json()["status"] == "dropped"
        assert _letter(await _view(client, headers=ADMIN), message_id) is None
        r = await client.request("POST", f"/system/queue/dead/{message_id}/drop", headers=ADMIN)
        assert r.status_code == 404
    finally:
        sender.close()
        worker.kill()


async def test_queue_view__viewer_403_anonymous_401(client: Client, database_url: str) -> None:
    owner = await client.register()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    assert (await client.request("GET", "/system/queue", viewer["token"])).status_code == 403
    assert (await client.request("GET", "/system/queue")).status_code == 401
    async with httpx.AsyncClient(base_url=client.base, timeout=30) as http:
        r = await http.get("/api/v4/system/queue", headers={"X-Admin-Token": "x" * 40})
    assert r.status_code == 401
