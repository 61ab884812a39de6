"""The sliding-log rate limit in Redis: exact under concurrency and across API processes.

One Lua step drops entries older than the window and admits the request if fewer than
`limit` remain. Time comes from the Redis server, so every process shares one clock.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from core.errors import RateLimited

# KEYS[1] = the client's log; ARGV[1] = limit, ARGV[2] = window ms, ARGV[3] = a unique member.
# Leaves admitted, limit, count, reset (ms when the oldest entry leaves the window) and now (ms).
SLIDING_LOG_STEP = """
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
"""
SLIDING_LOG = SLIDING_LOG_STEP + "return {admitted, limit - count, reset, now}"


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


@dataclass(frozen=True)
class Step:
    """One request's sliding-log step: its key and script arguments, and how to read the result."""

    key: str
    limit: int
    window_ms: int

    @property
    def args(self) -> list[object]:
        return [self.limit, self.window_ms, uuid.uuid4().hex]

    def verdict(self, result: list[int]) -> Verdict:
        """The verdict of [admitted, remaining, reset_ms, now_ms]; raises RateLimitedWith when refused."""
        admitted, remaining, reset_ms, now_ms = (int(x) for x in result[:4])
        verdict = Verdict(limit=self.limit, remaining=max(0, remaining), reset=math.ceil(reset_ms / 1000))
        if not admitted:
            raise RateLimitedWith(max(1, math.ceil((reset_ms - now_ms) / 1000)), verdict)
        return verdict


class RateLimitedWith(RateLimited):
    """RateLimited carrying the headers of the refused request."""

    def __init__(self, retry_after: int, verdict: Verdict) -> None:
        super().__init__(retry_after)
        self.verdict = verdict
