"""The Dramatiq broker from settings (Redis, or RabbitMQ for amqp:// URLs) and its middleware."""

from __future__ import annotations

import os
from typing import Any

import dramatiq
import orjson
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, CurrentMessage, Retries

from actors.inflight import InFlight
from actors.middleware import JobStatus, WorkerResources
from core.logging import configure_logging
from core.settings import Settings, get_settings

REDIS_NAMESPACE = "dramatiq"


class OrjsonEncoder(dramatiq.Encoder):
    """Messages as JSON, encoded and decoded with orjson (ingest batches are large and many)."""

    def encode(self, data: Any) -> bytes:
        return orjson.dumps(data)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


def build_broker(settings: Settings) -> dramatiq.Broker:
    """A broker for the settings' BROKER_URL; nothing connects until first use."""
    if not settings.broker_url:
        raise RuntimeError("No broker URL: set REDIS_URL or BROKER_URL (or run `vaimanasoft up`)")
    broker: dramatiq.Broker
    if settings.broker_is_rabbitmq:
        broker = RabbitmqBroker(url=settings.broker_url, confirm_delivery=True)
    else:
        broker = RedisBroker(
            url=settings.broker_url,
            namespace=REDIS_NAMESPACE,
            heartbeat_timeout=settings.BROKER_HEARTBEAT_TIMEOUT_MS,
            maintenance_chance=settings.BROKER_MAINTENANCE_CHANCE,
            socket_connect_timeout=2,
            socket_timeout=10,
        )
    broker.add_middleware(AsyncIO())
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(WorkerResources(settings))
    # Before Retries in the list, so its after_* hooks run after Retries decided.
    broker.add_middleware(JobStatus(), before=Retries)
    broker.add_middleware(InFlight(settings))  # messages in progress per queue, for GET /system/queue
    if settings.WORKER_METRICS_PORT and os.environ.get("VAIMANASOFT_PROCESS") == "worker":
        os.environ.setdefault("dramatiq_prom_port", str(settings.WORKER_METRICS_PORT))
        os.environ.setdefault("dramatiq_prom_db", str(settings.DATA_DIR / "worker-metrics"))
        from dramatiq.middleware.prometheus import Prometheus

        broker.add_middleware(Prometheus())
    return broker


def queue_depths(broker: dramatiq.Broker) -> dict[str, dict[str, int]]:
    """Messages waiting per queue: ready, delayed and dead-lettered (blocking call)."""
    out: dict[str, dict[str, int]] = {}
    queues = sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))
    if isinstance(broker, RabbitmqBroker):
        for queue in queues:
            ready, delayed, dead = broker.get_queue_message_counts(queue)
            out[queue] = {"ready": ready, "delayed": delayed, "dead": dead}
        return out
    client: Any = broker.client  # type: ignore[attr-defined]
    with client.pipeline(transaction=False) as pipe:
        for queue in queues:
            base = f"{REDIS_NAMESPACE}:{queue}"
            pipe.llen(base)
            pipe.llen(f"{base}.DQ")
            pipe.zcard(f"{base}.XQ")
        counts = pipe.execute()
    for i, queue in enumerate(queues):
        ready, delayed, dead = counts[3 * i : 3 * i + 3]
        out[queue] = {"ready": ready, "delayed": delayed, "dead": dead}
    return out


_settings = get_settings()
if os.environ.get("VAIMANASOFT_PROCESS") == "worker":
    # Dramatiq's CLI set up plain-text logging in this process; switch it to our JSON logs.
    configure_logging(_settings.LOG_LEVEL, process="worker")
broker = build_broker(_settings)
dramatiq.set_broker(broker)
dramatiq.set_encoder(OrjsonEncoder())
