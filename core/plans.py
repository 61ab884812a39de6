"""What each plan allows: resources and request rates (API.md section 0)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanLimits:
    apps: int | None
    devices: int | None
    events_per_month: int | None


PLAN_LIMITS: dict[str, PlanLimits] = {
    "free": PlanLimits(apps=1, devices=1_000, events_per_month=100_000),
    "starter": PlanLimits(apps=3, devices=10_000, events_per_month=1_000_000),
    "pro": PlanLimits(apps=10, devices=100_000, events_per_month=10_000_000),
    "enterprise": PlanLimits(apps=None, devices=None, events_per_month=None),
}


@dataclass(frozen=True)
class Tier:
    name: str
    window_seconds: int
    per_plan: dict[str, int]
    fail_open: bool  # when Redis is down: admit (True) or answer 503 (False)

    def limit(self, plan: str) -> int:
        return self.per_plan.get(plan, self.per_plan["free"])


TIERS: dict[str, Tier] = {
    "sdk": Tier("sdk", 60, {"free": 200, "starter": 500, "pro": 2000, "enterprise": 10000}, fail_open=True),
    "api": Tier("api", 60, {"free": 100, "starter": 300, "pro": 1000, "enterprise": 5000}, fail_open=True),
    "auth": Tier("auth", 300, {"free": 10, "starter": 10, "pro": 10, "enterprise": 10}, fail_open=False),
    "export": Tier("export", 3600, {"free": 5, "starter": 20, "pro": 60, "enterprise": 200}, fail_open=False),
}
