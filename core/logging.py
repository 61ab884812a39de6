"""Structured JSON logs for every process, with secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import orjson
import structlog

SENSITIVE_KEY = re.compile(
    r"(token|password|passwd|secret|api_key|apikey|sdk_key|authorization|cookie)", re.I
)
# Credentials that may hide inside free text, e.g. an URL's query string or a header dump.
SENSITIVE_TEXT = re.compile(
    r"((?:token|password|secret|api_key|sdk_key)=)[^&\s\"']+|(Bearer\s+)[A-Za-z0-9._~+/=-]+|\b(sk|ok)_[0-9a-f]{16,}\b",
    re.I,
)
REDACTED = "[redacted]"


def _redact_text(text: str) -> str:
    def sub(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + REDACTED
        if match.group(2):
            return match.group(2) + REDACTED
        return REDACTED

    return SENSITIVE_TEXT.sub(sub, text)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if SENSITIVE_KEY.search(str(k)) else _redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    if isinstance(value, str):
        return _redact_text(value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: blank every value whose key names a credential, and credentials in text."""
    return {
        k: (REDACTED if SENSITIVE_KEY.search(k) and k != "event" else _redact(v))
        for k, v in event_dict.items()
    }


def configure_logging(level: str = "INFO", process: str = "api") -> None:
    """One JSON object per line on stdout, for our structlog loggers and standard-library ones
    (Sanic, Dramatiq, Tortoise) alike. Our own go straight to stdout (orjson, no stdlib logging
    machinery): the access log runs on every request."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    buffer = getattr(sys.stdout, "buffer", None)  # Dramatiq's workers replace stdout with a pipe
    if buffer is not None:
        renderer = structlog.processors.JSONRenderer(serializer=orjson.dumps)
        factory: Any = structlog.BytesLoggerFactory(buffer)
    else:
        renderer = structlog.processors.JSONRenderer(serializer=lambda obj, **_: orjson.dumps(obj).decode())
        factory = structlog.WriteLoggerFactory(sys.stdout)
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=factory,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.contextvars.bind_contextvars(process=process)
    for name in ("sanic.access", "asyncio", "tortoise", "aiosqlite", "pika"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("sanic.root", "sanic.error", "sanic.server", "dramatiq"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> Any:
    """A structured logger (its name is a field of each line)."""
    return structlog.get_logger(logger_name=name)
