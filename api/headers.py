"""Security headers on every response: what the code agent's header check asks for.

One policy for the API and for the web console served at `/` (its own scripts and styles from 'self');
the Swagger UI at /docs also loads sanic-ext's CDN and runs one inline script, allowed by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import urlsplit

from sanic import HTTPResponse, Request

from core.settings import Settings

BASE_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self' 'unsafe-inline'",  # style attributes set by chart and UI libraries
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS = "max-age=31536000"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@lru_cache(maxsize=8)
def _docs_policy(body: bytes, cdn: str) -> str:
    """The policy of the Swagger UI page: its CDN for scripts and styles, its inline scripts by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(body)
    )
    return _policy(
        {
            **BASE_POLICY,
            "script-src": f"'self' {cdn} {hashes}".strip(),
            "style-src": f"'self' 'unsafe-inline' {cdn}".strip(),
            "img-src": "'self' data: https:",
        }
    )


def security_headers(settings: Settings, docs_cdn: str) -> Callable[[Request, HTTPResponse], Awaitable[None]]:
    """The response hook; a header a route set itself is kept."""
    cdn = _origin(docs_cdn)
    policy = _policy(BASE_POLICY)
    hsts = settings.PUBLIC_URL.lower().startswith("https://")

    async def add_security_headers(request: Request, response: HTTPResponse) -> None:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        docs_page = request.path.startswith("/docs") and (response.content_type or "").startswith("text/html")
        if docs_page and response.body:
            headers.setdefault("Content-Security-Policy", _docs_policy(bytes(response.body), cdn))
        else:
            headers.setdefault("Content-Security-Policy", policy)
        if hsts:
            headers.setdefault("Strict-Transport-Security", HSTS)

    return add_security_headers
