"""JSON responses, serialised with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from sanic import HTTPResponse


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HTTPResponse:
    """A JSON response."""
    return HTTPResponse(
        orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        headers=headers,
        content_type="application/json",
    )
