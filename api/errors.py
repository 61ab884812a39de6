"""Every failure becomes {"error": ..., "details"?: ...} with the status of API.md section 0."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import orjson
from sanic import HTTPResponse, Request
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from tortoise.exceptions import DBConnectionError

from api.ratelimit import RateLimitedWith
from core.errors import RateLimited, VaimanasoftError
from core.logging import get_logger

log = get_logger("api.errors")

SANIC_MESSAGES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    413: "Request body too large",
    416: "Range not satisfiable",
    503: "Service unavailable",
}


def request_id(request: Request | None) -> str:
    """The request's id, created on first use."""
    if request is None:
        return uuid.uuid4().hex
    rid = getattr(request.ctx, "request_id", None)
    if rid is None:
        rid = request.ctx.request_id = uuid.uuid4().hex
    return rid


def error_response(
    status: int, message: str, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> HTTPResponse:
    body: dict[str, Any] = {"error": message}
    if details:
        body["details"] = details
    return HTTPResponse(orjson.dumps(body), status=status, headers=headers, content_type="application/json")


def rate_headers(request: Request | None) -> dict[str, str]:
    principal = getattr(request.ctx, "principal", None) if request is not None else None
    verdict = getattr(principal, "rate", None)
    return verdict.headers() if verdict is not None else {}


def _allowed_methods(request: Request | None) -> list[str]:
    """Methods the router accepts for this path (Sanic does not say for dynamic paths)."""
    if request is None:
        return []
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        try:
            request.app.router.get(request.path, method, request.headers.get("host"))
            allowed.append(method)
        except SanicException:
            pass
    return allowed


# PostgreSQL unreachable (refused, reset, starting up, out of connections): 503, not 500.
DATABASE_DOWN = (
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)
DATABASE_MODULES = ("asyncpg.", "tortoise.")


def _raised_in(exception: BaseException, modules: tuple[str, ...]) -> bool:
    tb = exception.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(modules):
            return True
        tb = tb.tb_next
    return False


def database_down(exception: BaseException) -> bool:
    """True when the exception, or one it was raised from, says the database cannot be reached.

    A bare OSError (connection refused, host not found, timeout) counts only when the driver
    or the ORM raised it, so other I/O failures stay 500s.
    """
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DATABASE_DOWN):
            return True
        if isinstance(current, OSError) and _raised_in(current, DATABASE_MODULES):
            return True
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return False


class JsonErrorHandler(ErrorHandler):
    """Maps domain errors and Sanic's own exceptions to JSON; 500s never show a trace."""

    def default(self, request: Request, exception: BaseException) -> HTTPResponse:
        rid = request_id(request)
        headers = {"X-Request-Id": rid, **rate_headers(request)}
        if isinstance(exception, RateLimited):
            if isinstance(exception, RateLimitedWith):
                headers.update(exception.verdict.headers())
            headers["Retry-After"] = str(exception.retry_after)
            return error_response(429, exception.message, headers=headers)
        if isinstance(exception, VaimanasoftError) and exception.status != 500:
            return error_response(exception.status, exception.message, exception.details, headers)
        if isinstance(exception, SanicException) and exception.status_code < 500:
            status = exception.status_code
            message = SANIC_MESSAGES.get(status) or str(exception) or "Request failed"
            if status == 400 and str(exception):
                message = str(exception)
            if status == 405:
                headers["Allow"] = ", ".join(
                    sorted(getattr(exception, "allowed_methods", None) or _allowed_methods(request))
                )
            return error_response(status, message, headers=headers)
        if isinstance(exception, SanicException) and exception.status_code == 503:
            return error_response(503, str(exception) or "Service unavailable", headers=headers)
        if database_down(exception):
            log.warning(
                "request.database_unavailable",
                request_id=rid,
                path=request.path if request is not None else None,
                error=repr(exception),
            )
            return error_response(503, "Database unavailable", headers=headers)
        log.error(
            "request.unhandled_error",
            request_id=rid,
            path=request.path if request is not None else None,
            exc_info=exception,
        )
        return error_response(500, "Internal server error", {"request_id": rid}, headers)
