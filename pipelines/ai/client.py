"""The one Anthropic client of the platform, and the tokens each organisation spends through it.

Other features call it like this:

    from pipelines.ai import client
    reply = await complete(
        settings, org_id,
        system="You write release notes.",
        messages=[{"role": "user", "content": "Summarise: ..."}],
        model=settings.AI_FAST_MODEL,       # default settings.AI_MODEL
        tools=[...], tool_choice={...},     # optional, Messages API tool use
    )
    reply.text, reply.tool_calls, reply.content

`complete` raises `ServiceUnavailable` (503) when ANTHROPIC_API_KEY is unset or the provider cannot be
reached or refuses the call, and `ProviderRateLimited` (429, with `retry_after`) on the provider's rate
limit; every successful call adds its input and output tokens to the organisation's row of the day
(`ai_usage`, shown by GET /ai/usage). The SDK (official `anthropic`) talks to ANTHROPIC_BASE_URL when set
(a local stand-in: `vaimanasoft standin anthropic`), with AI_TIMEOUT_SECONDS and AI_MAX_RETRIES, and
reads at most MAX_RESPONSE_BYTES of a response.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import anthropic
import httpx2
import orjson

from core.clock import iso
from core.db import raw_connection
from core.errors import ProviderRateLimited, RateLimited, ServiceUnavailable
from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
NOT_CONFIGURED = "AI is not configured on this server: set ANTHROPIC_API_KEY to use {feature}"

_clients: dict[tuple[Any, ...], anthropic.AsyncAnthropic] = {}


@dataclass(frozen=True)
class ToolCall:
    """A tool_use block of the model's reply."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """One reply of the model: its text, its tool calls, and the raw content blocks (to send back)."""

    text: str
    tool_calls: list[ToolCall]
    content: list[dict[str, Any]]
    stop_reason: str | None
    model: str
    input_tokens: int
    output_tokens: int
    extra: dict[str, Any] = field(default_factory=dict)


def configured(settings: Settings) -> bool:
    """Whether an API key is set (the AI routes that need the model answer 503 otherwise)."""
    return bool(settings.ANTHROPIC_API_KEY)


def require_configured(settings: Settings, feature: str) -> None:
    """ServiceUnavailable naming the setting when no API key is configured."""
    if not configured(settings):
        raise ServiceUnavailable(NOT_CONFIGURED.format(feature=feature))


class _CappedStream(httpx2.AsyncByteStream):
    """A response body that fails past `limit` bytes (a broken or hostile endpoint cannot fill memory)."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise httpx2.ReadError(f"AI provider response larger than {self._limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _BoundedTransport(httpx2.AsyncBaseTransport):
    """The default transport, with every response body capped."""

    def __init__(self, limit: int) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._limit = limit

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_CappedStream(stream, self._limit),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def sdk_client(settings: Settings) -> anthropic.AsyncAnthropic:
    """The process's AsyncAnthropic for these settings (one per event loop: connections are loop-bound)."""
    require_configured(settings, "this feature")
    loop = asyncio.get_running_loop()
    key = (id(loop), settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL)
    found = _clients.get(key)
    if found is None:
        timeout = httpx2.Timeout(settings.AI_TIMEOUT_SECONDS, connect=min(10.0, settings.AI_TIMEOUT_SECONDS))
        found = _clients[key] = anthropic.AsyncAnthropic(
            api_key=settings.ANTHROPIC_API_KEY,
            base_url=settings.ANTHROPIC_BASE_URL or None,
            timeout=timeout,
            max_retries=settings.AI_MAX_RETRIES,
            http_client=anthropic.DefaultAsyncHttpxClient(
                timeout=timeout, transport=_BoundedTransport(MAX_RESPONSE_BYTES)
            ),
        )
    return found


def _retry_after(exc: anthropic.APIStatusError) -> int:
    """Seconds the provider asks to wait (retry-after-ms, retry-after), at least 1."""
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name, "")) * scale
        except ValueError:
            continue
        if value >= 0:
            return max(1, math.ceil(value))
    return 60


def _domain_error(exc: Exception) -> Exception:
    """The SDK's errors as the platform's: rate limit 429, everything else 503 (the caller did no wrong)."""
    if isinstance(exc, anthropic.RateLimitError):
        seconds = _retry_after(exc)
        return ProviderRateLimited(seconds, f"AI provider rate limit reached; retry in {seconds} s")
    if isinstance(exc, anthropic.APITimeoutError):
        return ServiceUnavailable("AI provider did not answer in time")
    if isinstance(exc, anthropic.APIConnectionError):
        return ServiceUnavailable("AI provider unreachable")
    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return ServiceUnavailable("AI provider refused the API key (check ANTHROPIC_API_KEY)")
    if isinstance(exc, anthropic.APIStatusError):
        detail = exc.api_message or exc.message
        return ServiceUnavailable(f"AI provider error ({exc.status_code}): {detail}"[:300])
    return ServiceUnavailable(f"AI provider error: {type(exc).__name__}")


def _block_dict(block: Any) -> dict[str, Any]:
    data = block.model_dump(mode="json", exclude_none=True)
    # Only what the Messages API accepts back in a later request.
    keep = {"text": ("type", "text"), "tool_use": ("type", "id", "name", "input")}.get(data.get("type", ""))
    return {k: data[k] for k in keep if k in data} if keep else data


async def record_usage(org_id: int | None, model: str, input_tokens: int, output_tokens: int) -> None:
    """Add one call's tokens to the organisation's row of the UTC day."""
    if org_id is None:
        return
    async with raw_connection() as conn:
        await conn.execute(
            "INSERT INTO ai_usage (org_id, day, model, requests, input_tokens, output_tokens) "
            "VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, 1, $3, $4) "
            "ON CONFLICT (org_id, day, model) DO UPDATE SET requests = ai_usage.requests + 1, "
            "input_tokens = ai_usage.input_tokens + EXCLUDED.input_tokens, "
            "output_tokens = ai_usage.output_tokens + EXCLUDED.output_tokens",
            org_id,
            model[:128],
            input_tokens,
            output_tokens,
        )


async def complete(
    settings: Settings,
    org_id: int | None,
    *,
    system: str,
    messages: list[dict[str, Any]],
    model: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: dict[str, Any] | None = None,
    max_tokens: int | None = None,
) -> Completion:
    """One Messages API call on behalf of `org_id` (None: the platform's own, not counted per org)."""
    sdk = sdk_client(settings)
    options: dict[str, Any] = {}
    if tools:
        options["tools"] = tools
    if tool_choice:
        options["tool_choice"] = tool_choice
    chosen = model or settings.AI_MODEL
    try:
        message = await sdk.messages.create(
            model=chosen,
            max_tokens=max_tokens or settings.AI_MAX_TOKENS,
            system=system,
            messages=messages,  # type: ignore[arg-type]
            **options,
        )
    except anthropic.AnthropicError as exc:
        log.warning("ai.call_failed", model=chosen, error=repr(exc)[:300])
        raise _domain_error(exc) from exc
    content = [_block_dict(block) for block in message.content]
    usage = message.usage
    await record_usage(org_id, str(message.model or chosen), usage.input_tokens, usage.output_tokens)
    return Completion(
        text="\n".join(b["text"] for b in content if b.get("type") == "text").strip(),
        tool_calls=[
            ToolCall(b["id"], b["name"], b.get("input") if isinstance(b.get("input"), dict) else {})
            for b in content
            if b.get("type") == "tool_use"
        ],
        content=content,
        stop_reason=message.stop_reason,
        model=str(message.model or chosen),
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
    )


async def usage(org_id: int, days: int) -> dict[str, Any]:
    """Tokens per UTC day and model over the last `days` days, newest first, with totals."""
    async with raw_connection() as conn:
        rows = await conn.fetch(
            "SELECT day, model, requests, input_tokens, output_tokens FROM ai_usage "
            "WHERE org_id = $1 AND day > (now() AT TIME ZONE 'UTC')::date - $2::int "
            "ORDER BY day DESC, model",
            org_id,
            days,
        )
    entries = [
        {
            "date": r["day"].isoformat() if isinstance(r["day"], date) else iso(r["day"]),
            "model": r["model"],
            "requests": r["requests"],
            "input_tokens": int(r["input_tokens"]),
            "output_tokens": int(r["output_tokens"]),
        }
        for r in rows
    ]
    totals = {key: sum(e[key] for e in entries) for key in ("requests", "input_tokens", "output_tokens")}
    return {"days": days, "usage": entries, "totals": totals}


async def narrate(
    settings: Settings, org_id: int, kind_prompt: str, figures: dict[str, Any], fallback: str
) -> dict[str, Any]:
    """{narrative, narrative_source[, narrative_note]}: the model's text when configured and reachable."""
    if not configured(settings):
        return {"narrative": fallback, "narrative_source": "template"}
    try:
        reply = await complete(
            settings,
            org_id,
            system=kind_prompt,
            messages=[
                {"role": "user", "content": orjson.dumps(figures, option=orjson.OPT_NON_STR_KEYS).decode()}
            ],
        )
    except (ServiceUnavailable, RateLimited) as exc:
        log.warning("ai.narrative_unavailable", error=exc.message)
        return {"narrative": fallback, "narrative_source": "template", "narrative_note": exc.message}
    return {"narrative": reply.text or fallback, "narrative_source": "model" if reply.text else "template"}
