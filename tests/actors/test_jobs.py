"""The job system end to end: API -> broker -> real Dramatiq worker -> job record -> API.

Jobs run on real worker processes (Redis broker, and RabbitMQ where one runs on
this machine); crashes are real SIGKILLs of a worker's process group.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import psutil
import pytest
import redis

from tests.support import Client, Platform, Proc, add_member, poll_job, redis_db, with_redis_db

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
ADMIN_TOKEN = "operator-token-" + "f" * 32


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 60, what: str = "condition"
) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def process_tree(proc: Proc) -> set[int]:
    """The pids of a platform process and all its children (a Dramatiq worker forks its workers)."""
    root = psutil.Process(proc.pid)
    return {root.pid, *(child.pid for child in root.children(recursive=True))}


async def start_selftest(client: Client, token: str, seconds: float, wait: float = 0) -> dict[str, Any]:
    r = await client.request("POST", f"/system/selftest?wait={wait}", token, json={"seconds": seconds})
    assert r.status_code == 202, r.text
    return r.json()


def rabbitmq_unreachable() -> str | None:
    """Why RabbitMQ cannot be used here, or None when it answers."""
    import pika

    params = pika.URLParameters(
        RABBITMQ_URL + "?connection_attempts=1&socket_timeout=2&blocked_connection_timeout=2"
    )
    try:
        pika.BlockingConnection(params).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"RabbitMQ not reachable at {RABBITMQ_URL}: {type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="module")
def operator_server(platform: Platform) -> Iterator[str]:
    """An API server of the session services that accepts X-Admin-Token."""
    proc, base = platform.serve(ADMIN_TOKEN=ADMIN_TOKEN)
    yield base
    proc.stop()


@pytest.fixture
async def operator_client(operator_server: str) -> AsyncIterator[Client]:
    c = Client(operator_server)
    yield c
    await c.close()


# --- Round trip through the session worker (Redis broker) -------------------------------------------


async def test_selftest__finishes_within_wait__200_with_result_inline(client: Client, worker: None) -> None:
    # Given an org owner
    owner = await client.register()
    # When a 2 s self-test is asked with up to 5 s of waiting
    r = await client.request("POST", "/system/selftest?wait=5", owner["token"], json={"seconds": 2})
    # Then the worker's result comes back inline
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["slept_seconds"] == 2
    assert isinstance(result["worker_pid"], int) and result["worker_pid"] > 0
    assert result["db_ms"] >= 0 and result["redis_ms"] >= 0


async def test_selftest__wait_zero__202_then_polled_to_done(client: Client, worker: None) -> None:
    # Given an org owner / When a self-test is sent without waiting
    owner = await client.register()
    r = await client.request("POST", "/system/selftest?wait=0", owner["token"], json={"seconds": 1})
    # Then it is accepted with a job id and a status URL
    assert r.status_code == 202, r.text
    accepted = r.json()
    job_id = accepted["job_id"]
    assert accepted["status"] in {"queued", "running"}
    assert accepted["status_url"] == f"/api/v4/jobs/{job_id}"
    # And polling the job reaches done with the result
    job = await poll_job(client, owner["token"], job_id, {"done", "failed"})
    assert job["status"] == "done", job
    assert job["job_id"] == job_id and job["kind"] == "system.selftest"
    assert job["progress"] == 1
    assert job["result"]["slept_seconds"] == 1 and job["result"]["worker_pid"] > 0
    assert job["error"] is None
    assert job["created_at"].endswith("Z") and job["finished_at"].endswith("Z")
    assert job["finished_at"] >= job["created_at"]
    # And the status URL is the same record
    via_url = await client.http.get(
        accepted["status_url"].removeprefix("/api/v4"), headers={"Authorization": f"Bearer {owner['token']}"}
    )
    assert via_url.status_code == 200 and via_url.json()["status"] == "done"


async def test_job__running__reports_progress_between_0_and_1(client: Client, worker: None) -> None:
    # Given a 3 s self-test that reports progress while it sleeps
    owner = await client.register()
    job_id = (await start_selftest(client, owner["token"], seconds=3))["job_id"]

    # When it is polled while running
    async def partial() -> dict[str, Any] | None:
        job = (await client.request("GET", f"/jobs/{job_id}", owner["token"])).json()
        return job if job["status"] == "running" and 0 < job["progress"] < 1 else None

    job = await eventually(partial, what="progress while running")
    # Then progress is partial and no result is shown yet
    assert job["result"] is None and job["finished_at"] is None
    done = await poll_job(client, owner["token"], job_id, {"done", "failed"})
    assert done["status"] == "done" and done["progress"] == 1


async def test_job__other_org_or_unknown_id__404_and_viewer_of_same_org__200(
    client: Client, worker: None, database_url: str
) -> None:
    # Given a job of org A
    owner = await client.register()
    job_id = (await start_selftest(client, owner["token"], seconds=0.5))["job_id"]
    # When the owner of org B asks for it / Then it does not exist for them
    stranger = await client.register()
    r = await client.request("GET", f"/jobs/{job_id}", stranger["token"])
    assert r.status_code == 404
    assert r.json() == {"error": "Job not found"}
    # And an unknown id is answered the same way
    unknown = await client.request("GET", f"/jobs/{uuid.uuid4().hex}", owner["token"])
    assert unknown.status_code == 404 and unknown.json() == r.json()
    # And a viewer of org A can read it
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    seen = await client.request("GET", f"/jobs/{job_id}", viewer["token"])
    assert seen.status_code == 200 and seen.json()["job_id"] == job_id
    # And without a token it is 401
    assert (await client.request("GET", f"/jobs/{job_id}")).status_code == 401


async def test_selftest__wait_out_of_range_or_not_a_number__400(client: Client) -> None:
    owner = await client.register()
    for wait in ("-1", "-0.5", "30.5", "31", "abc", "nan", "inf", "1e309", "5s"):
        r = await client.request(
            "POST", "/system/selftest", owner["token"], params={"wait": wait}, json={"seconds": 0}
        )
        assert r.status_code == 400, (wait, r.text)
        assert "wait" in r.json()["details"], wait


async def test_selftest__invalid_seconds__400(client: Client) -> None:
    owner = await client.register()
    for seconds in (-1, 31, "1", None, True):
        r = await client.request("POST", "/system/selftest?wait=0", owner["token"], json={"seconds": seconds})
        assert r.status_code == 400, (seconds, r.text)
        assert "seconds" in r.json()["details"], seconds


async def test_selftest__viewer__403_and_no_token__401(client: Client, database_url: str) -> None:
    owner = await client.register()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    r = await client.request("POST", "/system/selftest?wait=0", viewer["token"], json={"seconds": 0})
    assert r.status_code == 403
    assert "error" in r.json()
    anonymous = await client.request("POST", "/system/selftest?wait=0", json={"seconds": 0})
    assert anonymous.status_code == 401


async def test_selftest__admin_of_org__allowed(client: Client, worker: None, database_url: str) -> None:
    owner = await client.register()
    admin = await add_member(database_url, owner["user"]["org_id"], "admin", client)
    r = await client.request("POST", "/system/selftest?wait=10", admin["token"], json={"seconds": 0})
    assert r.status_code == 200, r.text
    assert r.json()["slept_seconds"] == 0


# --- Crash of a worker mid-job: at-least-once -------------------------------------------------------


async def _kill_worker_mid_job(platform: Platform, base: str, first: Proc, **env: Any) -> None:
    """Start a ~4 s job, SIGKILL its worker `first` while it runs, start another: the job completes there."""
    client = Client(base)
    second: Proc | None = None
    try:
        owner = await client.register()
        job_id = (await start_selftest(client, owner["token"], seconds=4))["job_id"]
        running = await poll_job(
            client, owner["token"], job_id, {"running", "done", "failed"}, timeout=60, interval=0.3
        )
        assert running["status"] == "running", running
        killed = process_tree(first)
        first.kill()

        second = platform.spawn("worker", **env)
        # (polled gently: the free plan allows 100 requests a minute)
        job = await poll_job(client, owner["token"], job_id, {"done", "failed"}, timeout=90, interval=0.5)
        assert job["status"] == "done", (job, second.output()[-3000:])
        assert job["result"]["worker_pid"] not in killed
        assert job["result"]["worker_pid"] in process_tree(second)
        assert job["attempts"] >= 2
        assert job["error"] is None and job["progress"] == 1
    finally:
        await client.close()
        first.kill()
        if second is not None:
            second.kill()


@pytest.mark.slow
async def test_worker__killed_mid_job_redis_broker__job_redelivered_and_done(
    platform: Platform, redis_url: str
) -> None:
    # Given an API server and a worker alone on their own Redis database
    isolated = with_redis_db(redis_url, redis_db(redis_url) + 1)
    redis.Redis.from_url(isolated).flushdb()
    worker = platform.spawn("worker", REDIS_URL=isolated)
    server, base = platform.serve(REDIS_URL=isolated)
    try:
        # When the worker dies (SIGKILL) while running a job, and another worker starts
        # Then the job is redelivered and completed by the new worker
        await _kill_worker_mid_job(platform, base, worker, REDIS_URL=isolated)
    finally:
        server.stop()
        redis.Redis.from_url(isolated).flushdb()


def _rabbitmqctl(*args: str) -> bool:
    try:
        return (
            subprocess.run(["rabbitmqctl", *args], check=False, capture_output=True, timeout=30).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def rabbitmq() -> Iterator[str]:
    """The RabbitMQ URL, on a virtual host of this module's own when rabbitmqctl can make one, so that two
    test sessions on one RabbitMQ never consume each other's messages (the queues have fixed names)."""
    reason = rabbitmq_unreachable()
    if reason:
        pytest.skip(reason)
    vhost = f"vs-test-{uuid.uuid4().hex[:12]}"
    if not (
        _rabbitmqctl("add_vhost", vhost)
        and _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    ):
        yield RABBITMQ_URL
        return
    try:
        yield f"{RABBITMQ_URL.rstrip('/')}/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="module")
def rabbit_server(platform: Platform, rabbitmq: str) -> Iterator[str]:
    """An API server that sends jobs through RabbitMQ (job records stay in the session Redis)."""
    proc, base = platform.serve(BROKER_URL=rabbitmq)
    yield base
    proc.stop()


@pytest.mark.slow
async def test_selftest__rabbitmq_broker__round_trip(
    platform: Platform, rabbitmq: str, rabbit_server: str
) -> None:
    # Given an API server and a worker on RabbitMQ
    client = Client(rabbit_server)
    worker = platform.spawn("worker", BROKER_URL=rabbitmq)
    try:
        owner = await client.register()
        # When a self-test runs / Then its result comes back through RabbitMQ
        r = await client.request("POST", "/system/selftest?wait=30", owner["token"], json={"seconds": 0.5})
        assert r.status_code == 200, (r.text, worker.output()[-3000:])
        assert r.json()["worker_pid"] in process_tree(worker)
        # And the queue view reads the RabbitMQ queue counts
        view = await client.request("GET", "/system/queue", owner["token"])
        assert view.status_code == 200, view.text
        assert set(view.json()["queues"]["default"]) == {"pending", "delayed", "in_progress", "dead"}
    finally:
        await client.close()
        worker.kill()


@pytest.mark.slow
async def test_worker__killed_mid_job_rabbitmq_broker__job_redelivered_and_done(
    platform: Platform, rabbitmq: str, rabbit_server: str
) -> None:
    # Given an API server and a worker on RabbitMQ
    worker = platform.spawn("worker", BROKER_URL=rabbitmq)
    # When the worker dies (SIGKILL) while running a job, and another worker starts
    # Then RabbitMQ redelivers the job and the new worker completes it
    await _kill_worker_mid_job(platform, rabbit_server, worker, BROKER_URL=rabbitmq)


# --- Dead letters and the queue view -----------------------------------------------------------------


async def _send_poison_job(redis_url: str, org_id: int) -> str:
    """A job record plus a message the real `selftest` actor can never process (seconds is not a number)."""
    from actors import system as system_actors
    from core import jobs
    from core.redis import async_client

    job_id = jobs.new_job_id()
    client = async_client(redis_url)
    try:
        await jobs.create(client, job_id, "system.selftest", org_id, ttl=86400)
    finally:
        await client.aclose()
    await asyncio.to_thread(
        system_actors.selftest.send_with_options, args=("not-a-number",), job_id=job_id, org_id=org_id
    )
    return job_id


@pytest.mark.slow
async def test_job__fails_on_every_retry__failed_and_listed_as_dead_letter_for_its_org_only(
    client: Client, worker: None, redis_url: str, database_url: str, operator_client: Client
) -> None:
    # Given a message to the selftest actor that fails on every attempt, for org A's job
    owner = await client.register()
    org_id = owner["user"]["org_id"]
    job_id = await _send_poison_job(redis_url, org_id)
    # When its retries (3, backoff from 1 s) are spent (meanwhile, an admin of org A and another org sign up)
    job, admin, stranger = await asyncio.gather(
        poll_job(client, owner["token"], job_id, {"done", "failed"}, timeout=90, interval=0.5),
        add_member(database_url, org_id, "admin", client),
        client.register(),
    )
    # Then the job failed with the error, after 1 + 3 attempts
    assert job["status"] == "failed", job
    assert "ValueError" in job["error"]
    assert job["result"] is None and job["finished_at"] is not None
    assert job["attempts"] == 4

    def failure_of(view: dict[str, Any]) -> dict[str, Any] | None:
        return next((f for f in view["recent_failures"] if f.get("job_id") == job_id), None)

    # And org A's owner and admin see it among the recent failures (the dead-letter view)
    for token in (owner["token"], admin["token"]):
        view = await client.request("GET", "/system/queue", token)
        assert view.status_code == 200, view.text
        failure = failure_of(view.json())
        assert failure is not None, view.json()
        assert failure["actor"] == "selftest" and failure["queue"] == "default"
        assert failure["org_id"] == org_id and failure["retries"] == 3
        assert "ValueError" in failure["error"] and failure["at"].endswith("Z")
        assert view.json()["jobs"]["failed"] >= 1
        assert view.json()["queues"]["default"]["dead"] >= 1
    # And another org's owner does not
    other = await client.request("GET", "/system/queue", stranger["token"])
    assert other.status_code == 200
    assert failure_of(other.json()) is None
    assert all(j["job_id"] != job_id for j in other.json()["recent_jobs"])
    # And the platform operator (X-Admin-Token) does
    operator = await operator_client.request("GET", "/system/queue", headers={"X-Admin-Token": ADMIN_TOKEN})
    assert operator.status_code == 200, operator.text
    assert failure_of(operator.json()) is not None
    assert any(j["job_id"] == job_id for j in operator.json()["recent_jobs"])


async def test_queue_view__owner__shape_and_own_jobs_only(client: Client, worker: None) -> None:
    # Given two orgs that each ran a job
    mine, theirs = await client.register(), await client.register()
    r = await client.request("POST", "/system/selftest?wait=10", mine["token"], json={"seconds": 0})
    assert r.status_code == 200, r.text
    their_job = (await start_selftest(client, theirs["token"], seconds=0.5))["job_id"]
    await poll_job(client, theirs["token"], their_job, {"done", "failed"})
    # When the first org's owner reads the queue view
    view = await client.request("GET", "/system/queue", mine["token"])
    # Then it has every part of the view
    assert view.status_code == 200, view.text
    body = view.json()
    assert set(body) >= {"queues", "jobs", "recent_jobs", "recent_failures", "scheduler_last_tick"}
    assert "default" in body["queues"]
    for counts in body["queues"].values():
        assert set(counts) == {"pending", "delayed", "in_progress", "dead"}
        assert all(isinstance(n, int) and n >= 0 for n in counts.values())
    assert set(body["jobs"]) == {"queued", "running", "done", "failed"}
    assert body["jobs"]["done"] == 1 and sum(body["jobs"].values()) == 1
    # And its own job only
    assert len(body["recent_jobs"]) == 1
    job = body["recent_jobs"][0]
    assert set(job) >= {"job_id", "kind", "status", "created_at", "finished_at", "error"}
    assert job["kind"] == "system.selftest" and job["status"] == "done"
    assert all(j["job_id"] != their_job for j in body["recent_jobs"])
    assert body["recent_failures"] == []


async def test_queue_view__viewer__403_and_no_token__401(client: Client, database_url: str) -> None:
    owner = await client.register()
    viewer = await add_member(database_url, owner["user"]["org_id"], "viewer", client)
    assert (await client.request("GET", "/system/queue", viewer["token"])).status_code == 403
    assert (await client.request("GET", "/system/queue")).status_code == 401


async def test_queue_view__wrong_admin_token__401(operator_client: Client) -> None:
    r = await operator_client.request("GET", "/system/queue", headers={"X-Admin-Token": "nope-" + "0" * 40})
    assert r.status_code == 401


async def test_job__record_dropped_before_worker_ran_it__stays_404_and_leaves_no_record(
    client: Client, worker: None, redis_url: str
) -> None:
    from actors import system as system_actors
    from core import jobs
    from core.pubsub import CHANNEL_JOBS_DONE
    from core.redis import async_client

    # Given a job whose record is gone by the time a worker runs its message (dropped after an enqueue
    # error that the broker had in fact taken, or expired)
    owner = await client.register()
    org_id = owner["user"]["org_id"]
    job_id = jobs.new_job_id()
    store = async_client(redis_url)
    pubsub = store.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(CHANNEL_JOBS_DONE)
        await jobs.create(store, job_id, "system.selftest", org_id, ttl=86400)
        await jobs.delete(store, job_id, org_id)
        await asyncio.to_thread(
            system_actors.selftest.send_with_options, args=(0,), job_id=job_id, org_id=org_id
        )

        # When the worker has processed it
        async def finished() -> bool:
            message = await pubsub.get_message(timeout=1.0)
            return message is not None and message["data"] == job_id

        await eventually(finished, timeout=60, what="the worker to finish the orphan message")
        # Then no partial record was written back, and the job is unknown to its org
        assert await store.exists(f"job:{job_id}") == 0
        r = await client.request("GET", f"/jobs/{job_id}", owner["token"])
        assert r.status_code == 404, r.text
    finally:
        await pubsub.aclose()
        await store.aclose()
