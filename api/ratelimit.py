"""Sliding-log rate limits in Redis: exact under concurrency and across API processes."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.errors import RateLimited, ServiceUnavailable
from core.logging import get_logger
from core.plans import TIERS, Tier

log = get_logger(__name__)

# One atomic step: drop entries older than the window, admit if under the limit.
# Time comes from the Redis server, so every API process shares one clock.
# Returns {admitted, remaining, reset_ms (when the oldest entry leaves the window), now_ms}.
SLIDING_LOG = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local admitted = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  admitted = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = now
if oldest[2] then reset = tonumber(oldest[2]) + window end
return {admitted, limit - count, reset, now}
"""


@dataclass(frozen=True)
class Verdict:
    limit: int
    remaining: int
    reset: int  # unix seconds when the next slot frees

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Applies the tiers of core.plans, scaled by RATE_LIMIT_SCALE (0 turns limiting off)."""

    def __init__(self, redis: Redis, scale: float) -> None:
        self._redis = redis
        self._scale = scale
        self._script = redis.register_script(SLIDING_LOG)

    @property
    def enabled(self) -> bool:
        return self._scale > 0

    def limit_for(self, tier: Tier, plan: str) -> int:
        return max(1, math.ceil(tier.limit(plan) * self._scale))

    async def hit(self, tier_name: str, client: str, plan: str) -> Verdict | None:
        """Count one request of `client`; raise RateLimited over the limit.

        None when limiting is off, or Redis is down and the tier fails open.
        """
        if not self.enabled:
            return None
        tier = TIERS[tier_name]
        limit = self.limit_for(tier, plan)
        try:
            admitted, remaining, reset_ms, now_ms = await self._script(
                keys=[f"rl:{tier.name}:{client}"], args=[limit, tier.window_seconds * 1000, uuid.uuid4().hex]
            )
        except (RedisError, OSError) as exc:
            if tier.fail_open:
                log.warning("ratelimit.redis_down_fail_open", tier=tier.name, error=str(exc))
                return None
            raise ServiceUnavailable("Rate limiter unavailable (Redis is down)") from exc
        verdict = Verdict(limit=limit, remaining=max(0, int(remaining)), reset=math.ceil(int(reset_ms) / 1000))
        if not admitted:
            retry_after = max(1, math.ceil((int(reset_ms) - int(now_ms)) / 1000))
            raise RateLimitedWith(retry_after, verdict)
        return verdict


class RateLimitedWith(RateLimited):
    """RateLimited carrying the headers of the refused request."""

    def __init__(self, retry_after: int, verdict: Verdict) -> None:
        super().__init__(retry_after)
        self.verdict = verdict
