"""Rate limits per tier and plan, applied with the sliding log of core.ratelimit."""

from __future__ import annotations

import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.errors import ServiceUnavailable
from core.logging import get_logger
from core.plans import TIERS, Tier
from core.ratelimit import SLIDING_LOG, RateLimitedWith, Step, Verdict

__all__ = ["RateLimitedWith", "RateLimiter", "Step", "Verdict"]

log = get_logger(__name__)


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
        step = self.step(tier_name, client, plan)
        if step is None:
            return None
        try:
            result = await self._script(keys=[step.key], args=step.args)
        except (RedisError, OSError) as exc:
            if TIERS[tier_name].fail_open:
                log.warning("ratelimit.redis_down_fail_open", tier=tier_name, error=str(exc))
                return None
            raise ServiceUnavailable("Rate limiter unavailable (Redis is down)") from exc
        return step.verdict(result)

    def step(self, tier_name: str, client: str, plan: str) -> Step | None:
        """The sliding-log step of one request, for scripts that run it together with their own
        writes (one round trip); None when limiting is off."""
        if not self.enabled:
            return None
        tier = TIERS[tier_name]
        return Step(f"rl:{tier.name}:{client}", self.limit_for(tier, plan), tier.window_seconds * 1000)
