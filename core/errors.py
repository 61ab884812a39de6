"""Domain errors raised by pipelines; `api.errors` maps each to an HTTP status once."""

from __future__ import annotations

from typing import Any


class VaimanasoftError(Exception):
    """Base class of every error the platform raises on purpose."""

    status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigurationError(VaimanasoftError):
    """A setting is missing or unusable; the process must not start."""


class BadRequest(VaimanasoftError):
    """The request's parameters or body are invalid."""

    status = 400


class Unauthorized(VaimanasoftError):
    """Credentials are missing, invalid, expired or revoked."""

    status = 401


class Forbidden(VaimanasoftError):
    """Authenticated, but this role or plan may not do this."""

    status = 403


class PlanLimitReached(Forbidden):
    """The organisation's plan does not allow more of this."""


class NotFound(VaimanasoftError):
    """No such object in the caller's organisation."""

    status = 404


class Conflict(VaimanasoftError):
    """The object would duplicate a unique key."""

    status = 409


class PayloadTooLarge(VaimanasoftError):
    """The request body is over the route's limit."""

    status = 413


class RateLimited(VaimanasoftError):
    """The caller spent its budget for the current window."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Rate limit exceeded")
        self.retry_after = retry_after


class ProviderRateLimited(RateLimited):
    """An outside service (e.g. the AI provider) refused a call for its own rate limit; retry later."""

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__(retry_after)
        self.message = message


class ServiceUnavailable(VaimanasoftError):
    """A dependency (database, Redis, broker, outside service) is down or not configured."""

    status = 503
