"""What the broker holds, for Redis and RabbitMQ alike: message counts per queue, dead-lettered messages,
and an operator's retry or drop of one of them. Every function here blocks: call it in a thread.

A dead letter is named by its Dramatiq message id (the same through retries, and what the job status
middleware records with each failure).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dramatiq
import pika
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.common import xq_name

from actors.broker import REDIS_NAMESPACE

MESSAGE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SCAN_MAX = 10_000  # dead letters looked through to find one (per queue)
# Options a retried message starts without: the failure's, and the broker's delivery bookkeeping.
RESET_OPTIONS = ("retries", "traceback", "requeue_timestamp", "eta", "redis_message_id")

TAKE = """
local data = redis.call('HGET', KEYS[2], ARGV[1])
if not data then return false end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return data
"""


@dataclass(frozen=True)
class DeadLetter:
    """A message that failed for good and waits in its queue's dead-letter queue."""

    message_id: str
    queue: str
    actor: str
    job_id: str | None
    org_id: int | None
    retries: int
    failed_at: str | None

    def body(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def broker_kind(broker: dramatiq.Broker) -> str:
    return "rabbitmq" if isinstance(broker, RabbitmqBroker) else "redis"


def _queues(broker: dramatiq.Broker) -> list[str]:
    return sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))


def _iso_ms(ms: float | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dead_letter(message: dramatiq.Message, queue: str, failed_at: str | None) -> DeadLetter:
    org_id = message.options.get("org_id")
    return DeadLetter(
        message_id=message.message_id,
        queue=queue,
        actor=message.actor_name,
        job_id=message.options.get("job_id"),
        org_id=org_id if isinstance(org_id, int) else None,
        retries=int(message.options.get("retries") or 0),
        failed_at=failed_at,
    )


def queue_counts(broker: dramatiq.Broker) -> dict[str, dict[str, int]]:
    """Per queue: pending (ready to run), delayed (retries and eta messages) and dead-lettered."""
    out: dict[str, dict[str, int]] = {}
    if isinstance(broker, RabbitmqBroker):
        for queue in _queues(broker):
            pending, delayed, dead = broker.get_queue_message_counts(queue)
            out[queue] = {"pending": pending, "delayed": delayed, "dead": dead}
        return out
    client: Any = broker.client  # type: ignore[attr-defined]
    queues = _queues(broker)
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            base = f"{REDIS_NAMESPACE}:{queue}"
            pipe.llen(base)
            pipe.llen(f"{base}.DQ")
            pipe.zcard(f"{base}.XQ")
        counts = pipe.execute()
    for i, queue in enumerate(queues):
        pending, delayed, dead = counts[3 * i : 3 * i + 3]
        out[queue] = {"pending": pending, "delayed": delayed, "dead": dead}
    return out


# --- Redis broker ---------------------------------------------------------------------------------------


def _redis_dead(broker: Any, queue: str, limit: int) -> list[DeadLetter]:
    xq = f"{REDIS_NAMESPACE}:{queue}.XQ"
    entries = broker.client.zrevrange(xq, 0, limit - 1, withscores=True)
    if not entries:
        return []
    data = broker.client.hmget(f"{xq}.msgs", [ref for ref, _ in entries])
    out = []
    for (_, score), raw in zip(entries, data):
        if raw is not None:
            out.append(_dead_letter(dramatiq.Message.decode(raw), queue, _iso_ms(score)))
    return out


def _redis_take(
    broker: Any, queue: str, message_id: str
) -> tuple[dramatiq.Message, Callable[[], None]] | None:
    """Remove the dead letter from the queue's XQ (atomically: two operators cannot both take it); returns it
    and how to put it back."""
    xq = f"{REDIS_NAMESPACE}:{queue}.XQ"
    needle = f'"message_id":"{message_id}"'.encode()
    for ref, raw in broker.client.hscan_iter(f"{xq}.msgs", count=500):
        if needle not in raw:
            continue
        score = broker.client.zscore(xq, ref)
        taken = broker.client.register_script(TAKE)(keys=[xq, f"{xq}.msgs"], args=[ref])
        if taken is None:
            return None  # taken by someone else meanwhile

        def put_back(ref: bytes = ref, raw: bytes = taken, score: float | None = score) -> None:
            broker.client.hset(f"{xq}.msgs", ref, raw)
            broker.client.zadd(xq, {ref: score or 0})

        return dramatiq.Message.decode(taken), put_back
    return None


def _redis_drop(broker: Any, queue: str, message_id: str) -> dramatiq.Message | None:
    taken = _redis_take(broker, queue, message_id)
    return taken[0] if taken else None


# --- RabbitMQ broker ------------------------------------------------------------------------------------


Visit = Callable[[Any, Any, dramatiq.Message, Any], bool]  # (channel, method, message, properties)


def _rabbit_browse(broker: RabbitmqBroker, queue: str, visit: Visit) -> None:
    """Get the queue's dead letters one by one (unacknowledged) on a connection of its own and show each to
    `visit`, until it returns True (it has acked that delivery) or none is left; every other one goes back
    where it was (AMQP has no way to read a queue without taking messages)."""
    connection = pika.BlockingConnection(broker.parameters)  # type: ignore[arg-type]
    try:
        channel = connection.channel()
        try:
            channel.queue_declare(xq_name(queue), passive=True)
        except pika.exceptions.ChannelClosedByBroker:
            return  # never declared: nothing has failed on this queue yet
        try:
            for _ in range(SCAN_MAX):
                method, properties, body = channel.basic_get(xq_name(queue), auto_ack=False)
                if method is None:
                    break
                try:
                    message = dramatiq.Message.decode(body)
                except Exception:  # noqa: BLE001 - not a Dramatiq message: leave it alone
                    continue
                if visit(channel, method, message, properties):
                    break
        finally:
            if channel.is_open:
                channel.basic_nack(delivery_tag=0, multiple=True, requeue=True)
    finally:
        connection.close()


def _death_time(properties: Any) -> str | None:
    deaths = (properties.headers or {}).get("x-death") or []
    when = deaths[0].get("time") if deaths else None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, datetime) else None


def _rabbit_dead(broker: RabbitmqBroker, queue: str, limit: int) -> list[DeadLetter]:
    found: list[DeadLetter] = []

    def visit(channel: Any, method: Any, message: dramatiq.Message, properties: Any) -> bool:
        found.append(_dead_letter(message, queue, _death_time(properties)))
        return False

    _rabbit_browse(broker, queue, visit)
    return found[-limit:][::-1]  # the queue is oldest first


def _rabbit_take(
    broker: RabbitmqBroker, queue: str, message_id: str, then: Callable[[dramatiq.Message], None]
) -> dramatiq.Message | None:
    """Find the dead letter, run `then` with it (republish, or nothing to drop it), then acknowledge it
    (removing it from the dead-letter queue); if `then` fails it stays where it was."""
    taken: list[dramatiq.Message] = []

    def visit(channel: Any, method: Any, message: dramatiq.Message, properties: Any) -> bool:
        if message.message_id != message_id:
            return False
        then(message)
        channel.basic_ack(method.delivery_tag)
        taken.append(message)
        return True

    _rabbit_browse(broker, queue, visit)
    return taken[0] if taken else None


# --- both -----------------------------------------------------------------------------------------------


def dead_letters(broker: dramatiq.Broker, limit: int = 50) -> list[DeadLetter]:
    """The newest dead-lettered messages of every queue (at most `limit` per queue), newest first."""
    found: list[DeadLetter] = []
    for queue in _queues(broker):
        if isinstance(broker, RabbitmqBroker):
            found += _rabbit_dead(broker, queue, limit)
        else:
            found += _redis_dead(broker, queue, limit)
    return sorted(found, key=lambda d: d.failed_at or "", reverse=True)


def _fresh(message: dramatiq.Message) -> dramatiq.Message:
    """The message as first sent: its canonical queue, no retries counted, no failure attached."""
    options = {k: v for k, v in message.options.items() if k not in RESET_OPTIONS}
    queue = message.queue_name.removesuffix(".DQ")
    return dataclasses.replace(message, queue_name=queue, options=options)


def retry(
    broker: dramatiq.Broker, message_id: str, before: Callable[[DeadLetter], None] = lambda letter: None
) -> DeadLetter | None:
    """Put a dead letter back on its queue with a full retry budget, calling `before` with it first (a worker
    may run it the moment it is enqueued); None when there is no such letter."""
    if not MESSAGE_ID.match(message_id):
        return None
    for queue in _queues(broker):

        def requeue(message: dramatiq.Message, queue: str = queue) -> None:
            before(_dead_letter(message, queue, None))
            broker.enqueue(_fresh(message))

        if isinstance(broker, RabbitmqBroker):
            message = _rabbit_take(broker, queue, message_id, requeue)
        else:
            taken = _redis_take(broker, queue, message_id)
            message = None
            if taken is not None:
                message, put_back = taken
                try:
                    requeue(message)
                except Exception:
                    put_back()
                    raise
        if message is not None:
            return _dead_letter(message, queue, None)
    return None


def drop(broker: dramatiq.Broker, message_id: str) -> DeadLetter | None:
    """Delete a dead letter for good; None when there is no such letter."""
    if not MESSAGE_ID.match(message_id):
        return None
    for queue in _queues(broker):
        if isinstance(broker, RabbitmqBroker):
            message = _rabbit_take(broker, queue, message_id, lambda m: None)
        else:
            message = _redis_drop(broker, queue, message_id)
        if message is not None:
            return _dead_letter(message, queue, None)
    return None
