"""Redis clients (async for the API and pipelines, sync for the scheduler)."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

CONNECT_TIMEOUT = 2.0
SOCKET_TIMEOUT = 5.0


def async_client(url: str, max_connections: int = 200) -> aioredis.Redis:
    """An asyncio Redis client with explicit timeouts; responses decoded as str."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=SOCKET_TIMEOUT,
        max_connections=max_connections,
        timeout=SOCKET_TIMEOUT,  # wait this long for a free connection, then fail
        health_check_interval=30,
        # A pooled connection to a Redis that restarted fails once: reconnect and retry instead of
        # failing the command (a lost stream publish, a 503). Timeouts are not retried.
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return aioredis.Redis(connection_pool=pool)


def sync_client(url: str) -> redis.Redis:
    """A blocking Redis client with explicit timeouts; responses decoded as str."""
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=SOCKET_TIMEOUT
    )
