"""The official Stripe client, configured from settings in this one place.

`STRIPE_API_BASE`, when set, replaces https://api.stripe.com (the tests and `vaimanasoft standin stripe`
point it at a local stand-in). Calls are the client's async methods over httpx, so a Stripe request never
blocks the event loop; each has a timeout, a bounded number of network retries (POSTs retried with the
idempotency key the library adds) and a bounded response read. Stripe's own errors are wrapped here, where
they enter: every failure to talk to Stripe is a ServiceUnavailable (503) with a message saying why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import stripe

from core.errors import ServiceUnavailable
from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)
T = TypeVar("T")

TIMEOUT_SECONDS = 10.0
MAX_NETWORK_RETRIES = 2
MAX_RESPONSE_BYTES = 1024 * 1024  # Stripe's answers to our calls are a few KiB
NOT_CONFIGURED = "Stripe billing is not configured (set STRIPE_SECRET_KEY)"


class ResponseTooLarge(stripe.APIConnectionError):
    """Stripe (or what STRIPE_API_BASE points at) answered more than MAX_RESPONSE_BYTES."""


class BoundedHTTPXClient(stripe.HTTPXClient):
    """stripe's httpx client, reading at most MAX_RESPONSE_BYTES of an answer."""

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        args, kwargs = self._get_request_args_kwargs(method, url, headers, post_data)
        body = bytearray()
        try:
            async with self._client_async.stream(*args, **kwargs) as response:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise ResponseTooLarge(
                            f"Stripe's answer is larger than {MAX_RESPONSE_BYTES} bytes", should_retry=False
                        )
        except stripe.StripeError:
            raise
        except Exception as exc:  # noqa: BLE001 - the library's own mapping to APIConnectionError
            self._handle_request_error(exc)
        return bytes(body), response.status_code, response.headers


def client(settings: Settings) -> stripe.StripeClient | None:
    """The process's Stripe client, or None when STRIPE_SECRET_KEY is unset (billing answers 503)."""
    if not settings.STRIPE_SECRET_KEY:
        return None
    base = settings.STRIPE_API_BASE.rstrip("/")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=MAX_NETWORK_RETRIES,
        http_client=BoundedHTTPXClient(timeout=TIMEOUT_SECONDS),
    )


async def close(stripe_client: stripe.StripeClient | None) -> None:
    """Close the client's connections (at process stop)."""
    if stripe_client is not None:
        await stripe_client._requestor._get_http_client().close_async()


def require(stripe_client: stripe.StripeClient | None) -> stripe.StripeClient:
    """The client, or ServiceUnavailable saying Stripe is not configured."""
    if stripe_client is None:
        raise ServiceUnavailable(NOT_CONFIGURED)
    return stripe_client


async def call(request: Awaitable[T]) -> T:
    """Await one Stripe request; any Stripe failure becomes a ServiceUnavailable that says why."""
    try:
        return await request
    except stripe.AuthenticationError as exc:
        raise ServiceUnavailable("Stripe refused the secret key (check STRIPE_SECRET_KEY)") from exc
    except ResponseTooLarge as exc:
        raise ServiceUnavailable("Stripe's answer was too large") from exc
    except stripe.APIConnectionError as exc:
        raise ServiceUnavailable("Stripe is unreachable; try again later") from exc
    except stripe.StripeError as exc:
        log.warning("stripe.error", status=exc.http_status, code=exc.code, error=str(exc.user_message or exc))
        raise ServiceUnavailable(f"Stripe refused the request: {exc.user_message or exc}") from exc
