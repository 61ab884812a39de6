"""The scheduler process: fires cron ticks as Dramatiq messages; one leader at a time.

Several schedulers may run. A Redis lock elects the leader (renewed while it
lives, taken over when it dies), and each tick is claimed with SET NX before it
is sent, so no tick is ever enqueued twice, even across a change of leader.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import dramatiq
import redis
from croniter import CroniterBadDateError, croniter

from core.logging import get_logger
from schedules.table import Entry

log = get_logger(__name__)

LEADER_KEY = "scheduler:leader"
CATCH_UP = timedelta(minutes=10)  # ticks missed while no scheduler ran are fired up to this far back
FIRED_TTL_SECONDS = 2 * 86400

# Extend (or release) the lock only if we still hold it.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Scheduler:
    def __init__(
        self, client: redis.Redis, broker: dramatiq.Broker, entries: list[Entry], lock_ttl_ms: int = 10_000
    ) -> None:
        self.client = client
        self.broker = broker
        self.entries = entries
        self.lock_ttl_ms = lock_ttl_ms
        self.node = uuid.uuid4().hex
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        for entry in entries:
            if not croniter.is_valid(entry.cron):
                raise ValueError(f"invalid cron expression for {entry.name}: {entry.cron!r}")
            # A date that never comes (e.g. 30 February) would raise in every pass and stop the loop.
            try:
                croniter(entry.cron, datetime.now(UTC)).get_next(datetime)
            except CroniterBadDateError:
                raise ValueError(f"cron expression for {entry.name} never fires: {entry.cron!r}") from None

    def lead(self) -> bool:
        """Take or keep the leader lock; True while this node leads."""
        if self.client.set(LEADER_KEY, self.node, nx=True, px=self.lock_ttl_ms):
            log.info("scheduler.leader_acquired", node=self.node)
            return True
        return bool(self._renew(keys=[LEADER_KEY], args=[self.node, self.lock_ttl_ms]))

    def due_ticks(self, entry: Entry, now: datetime) -> list[datetime]:
        """Ticks of `entry` after the last one fired (at most CATCH_UP ago) up to `now`."""
        last_raw = self.client.get(f"scheduler:last:{entry.name}")
        start = now - CATCH_UP
        if last_raw:
            start = max(start, datetime.fromisoformat(last_raw))
        else:
            start = now - timedelta(seconds=1)
        it = croniter(entry.cron, start)
        ticks = []
        while True:
            tick = it.get_next(datetime)
            if tick > now:
                return ticks
            ticks.append(tick)

    def fire(self, entry: Entry, tick: datetime) -> bool:
        """Enqueue one tick of `entry` unless some scheduler already did."""
        stamp = tick.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        claim = f"scheduler:fired:{entry.name}:{stamp}"
        if not self.client.set(claim, self.node, nx=True, ex=FIRED_TTL_SECONDS):
            return False
        actor = self.broker.get_actor(entry.actor)
        try:
            actor.send_with_options(kwargs={**entry.kwargs, "tick": stamp})
        except Exception:
            # The broker did not take the tick: free its claim so a later pass sends it, instead of losing it.
            self.client.delete(claim)
            raise
        self.client.set(f"scheduler:last:{entry.name}", tick.isoformat())
        log.info("scheduler.fired", entry=entry.name, tick=stamp)
        return True

    def run_once(self, now: datetime | None = None) -> int:
        """One pass: if leading, fire every due tick. Returns how many were fired."""
        if not self.lead():
            return 0
        now = now or datetime.now(UTC)
        fired = 0
        for entry in self.entries:
            for tick in self.due_ticks(entry, now):
                fired += self.fire(entry, tick)
        return fired

    def run_forever(self, stop: threading.Event, interval: float = 0.25) -> None:
        """Loop until `stop` is set; survives Redis or broker outages."""
        log.info("scheduler.started", node=self.node, entries=[e.name for e in self.entries])
        while not stop.is_set():
            try:
                self.run_once()
            except (redis.RedisError, OSError, dramatiq.errors.ConnectionError) as exc:
                log.warning("scheduler.unavailable", error=str(exc))
                stop.wait(2.0)
            stop.wait(interval)
        # Hand leadership over at once instead of after the lock TTL.
        try:
            self._release(keys=[LEADER_KEY], args=[self.node])
        except redis.RedisError:
            pass
