"""Calls to addresses users choose: the one outbound guard and signer of the platform (webhooks of API.md
section 9, alert webhooks, alert email, automation actions).

Targets: a URL must be http(s) and every address its host resolves to must be public; loopback, private,
link-local (cloud metadata at 169.254.169.254 among them), shared (100.64/10), multicast and reserved
addresses are refused, and so is an IPv6 address carrying one of those as an IPv4 address (IPv4-mapped,
IPv4-translated, 6to4, NAT64, IPv4-compatible); hosts written as numbers (`2130706433`, `0x7f000001`,
`017700000001`, `127.1`) are read as the IPv4 address the C library would connect to. All of this is
skipped when the setting WEBHOOK_ALLOW_PRIVATE_TARGETS is on. The check runs when a URL is stored and
again at each send, and the request then goes to the checked address itself (the URL's host in `Host`
and TLS SNI), so a DNS answer that changes in between cannot redirect it.

Reads from the target are bounded: the whole exchange within the timeout, the response's header block
at most 100 KiB (httpcore's h11 limit, pinned by a test), and at most MAX_RESPONSE_BODY bytes of its body
(streamed; the rest is never read).

Signatures (API.md section 9), over the exact bytes sent:
    X-Vaimanasoft-Signature: sha256=<hex HMAC-SHA256(key=the secret string as UTF-8, raw body)>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>
where the Standard Webhooks key is the base64 decoding of the secret after `whsec_`, as the Standard
Webhooks libraries read a `whsec_` secret, so `standardwebhooks.Webhook(secret).verify(body, headers)`
accepts our deliveries. New secrets are `whsec_` + the standard base64 of 32 random bytes (44
characters); alert secrets made before (`whsec_` + 32 hex digits, also valid base64) still verify.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import httpx

from core.errors import BadRequest, ServiceUnavailable
from core.settings import Settings

SECRET_PREFIX = "whsec_"
RESOLVE_TIMEOUT_SECONDS = 5.0
SMTP_TIMEOUT_SECONDS = 10.0
MAX_URL_LENGTH = 2048
MAX_RESPONSE_BODY = 1024  # bytes of a target's answer read and kept for display
SECRET_BYTES = 32


def new_signing_secret() -> str:
    """A webhook signing secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def vaimanasoft_signature(secret: str, body: bytes) -> str:
    """The `X-Vaimanasoft-Signature` value: `sha256=` + hex HMAC-SHA256 of the body, keyed by the secret string."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signature_headers(
    secret: str,
    message_id: str,
    event: str,
    body: bytes,
    *,
    delivery_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """Every header of a signed delivery (API.md section 9). `message_id` stays the same across retries of
    one message (Standard Webhooks' idempotency key); `delivery_id` names this attempt."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": "Vaimanasoft-Webhooks/4",
        "X-Vaimanasoft-Signature": vaimanasoft_signature(secret, body),
        "X-Vaimanasoft-Event": event,
        "X-Vaimanasoft-Delivery": delivery_id or uuid.uuid4().hex,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret, message_id, timestamp, body),
    }


# --- targets --------------------------------------------------------------------------------------------


# IPv6 ranges that carry an IPv4 address in their last 32 bits (NAT64 well-known prefix, SIIT's
# IPv4-translated form, the deprecated IPv4-compatible form), and the local-use NAT64 prefix, which only
# reaches a private network.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# What inet_aton takes for an IPv4 address: 1 to 4 parts, each decimal, octal (0...) or hex (0x...).
_NUMERIC_HOST = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]*|[0-9]+)){0,3}$")


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet. An IPv6 address that embeds an IPv4 address
    (IPv4-mapped, IPv4-translated, 6to4, NAT64, IPv4-compatible) counts as that IPv4 address."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64 or ip in _IPV4_TRANSLATED or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def numeric_host(host: str) -> str | None:
    """The IP address a host written as an address means (`[::1]`, `10.0.0.1`, and the forms inet_aton
    reads: `2130706433`, `0x7f000001`, `017700000001`, `127.1`), else None (a name to resolve)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class Target:
    """A checked URL and the addresses its host resolved to (the first one is used)."""

    url: httpx.URL
    addresses: tuple[str, ...]


def parse_url(url: str, field: str = "url") -> httpx.URL:
    """An absolute http(s) URL with a host, else 400 naming `field`."""
    if len(url) > MAX_URL_LENGTH:
        raise BadRequest("Invalid URL", {field: f"at most {MAX_URL_LENGTH} characters"})
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise BadRequest("Invalid URL", {field: "must be an http:// or https:// URL"}) from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise BadRequest("Invalid URL", {field: "must be an http:// or https:// URL"})
    return parsed


async def _resolve(host: str, port: int) -> tuple[str, ...]:
    numeric = numeric_host(host)
    if numeric is not None:
        return (numeric,)
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
    )
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


async def check_target(url: str, *, allow_private: bool, field: str = "url") -> Target:
    """The URL with the addresses it resolves to; 400 naming `field` when it is malformed, does not
    resolve, or resolves to a non-public address (unless `allow_private`)."""
    parsed = parse_url(url, field)
    try:
        addresses = await _resolve(parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    except (OSError, TimeoutError, UnicodeError):
        raise BadRequest("Invalid URL", {field: f"the host {parsed.host} does not resolve"}) from None
    if not addresses:
        raise BadRequest("Invalid URL", {field: f"the host {parsed.host} does not resolve"})
    if not allow_private:
        blocked = [a for a in addresses if not is_public_address(a)]
        if blocked:
            raise BadRequest(
                "URL not allowed",
                {
                    field: f"{parsed.host} resolves to a loopback, private, link-local or otherwise "
                    f"non-public address ({blocked[0]}); such targets are refused"
                },
            )
    return Target(parsed, addresses)


# --- sending --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What a target answered (the body: its first MAX_RESPONSE_BODY bytes, decoded as UTF-8)."""

    status_code: int
    duration_ms: int
    body: str

    @property
    def ok(self) -> bool:
        """2xx only: redirects are not followed and count as failures."""
        return 200 <= self.status_code < 300


_ssl: list[ssl.SSLContext] = []
# Plain-http targets share one connection pool per event loop (connections are keyed by the checked
# address). https targets get a client per request: a pooled TLS connection is keyed by address too,
# and reusing it for another host name would skip that name's certificate check.
_pools: dict[int, httpx.AsyncClient] = {}


def _ssl_context() -> ssl.SSLContext:
    if not _ssl:  # built once: loading the CA bundle costs tens of milliseconds
        _ssl.append(httpx.create_ssl_context())
    return _ssl[0]


def _client(scheme: str, timeout: float) -> tuple[httpx.AsyncClient, bool]:
    """(client, whether the caller closes it)."""
    if scheme == "https":
        return httpx.AsyncClient(verify=_ssl_context(), timeout=timeout, trust_env=False), True
    loop = asyncio.get_running_loop()
    pool = _pools.get(id(loop))
    if pool is None or pool.is_closed:
        pool = _pools[id(loop)] = httpx.AsyncClient(
            timeout=timeout, trust_env=False, limits=httpx.Limits(max_connections=200)
        )
    return pool, False


async def _exchange(
    client: httpx.AsyncClient,
    url: httpx.URL,
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, str],
) -> tuple[int, bytes]:
    """POST and read the status and at most MAX_RESPONSE_BODY bytes of the body (raw: no decompression)."""
    async with client.stream("POST", url, content=body, headers=headers, extensions=extensions) as response:
        kept = b""
        async for chunk in response.aiter_raw():
            kept += chunk
            if len(kept) >= MAX_RESPONSE_BODY:
                break
        return response.status_code, kept[:MAX_RESPONSE_BODY]


async def post_signed(
    url: str,
    body: bytes,
    *,
    secret: str,
    message_id: str,
    event: str,
    timeout: float,
    allow_private: bool,
    delivery_id: str | None = None,
) -> Delivery:
    """POST a signed JSON body to `url` (checked again now; 400 when refused), redirects not followed,
    to the address just checked (the next one if it refuses the connection). The whole exchange is
    bounded by `timeout`; a network failure, a timeout or a malformed (e.g. oversized) answer is
    ServiceUnavailable. `delivery_id` is X-Vaimanasoft-Delivery (default: new for this attempt)."""
    target = await check_target(url, allow_private=allow_private)
    headers = signature_headers(secret, message_id, event, body, delivery_id=delivery_id)
    # Connect to the address just checked, not whatever the name resolves to a moment later.
    headers["Host"] = target.url.netloc.decode("ascii")
    headers["Accept-Encoding"] = "identity"
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    client, owned = _client(target.url.scheme, timeout)
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            for i, address in enumerate(target.addresses):
                try:
                    request_url = target.url.copy_with(host=address)
                    status, kept = await _exchange(client, request_url, body, headers, extensions)
                    break
                except httpx.ConnectError:
                    if i == len(target.addresses) - 1:
                        raise
    except (httpx.HTTPError, TimeoutError) as exc:
        kind = "Timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        raise ServiceUnavailable(f"Target unreachable: {kind} {exc}".strip()) from exc
    finally:
        if owned:
            await client.aclose()
    duration_ms = round((time.monotonic() - started) * 1000)
    return Delivery(status, duration_ms, kept.decode("utf-8", errors="replace"))


async def send_email(settings: Settings, message: EmailMessage) -> None:
    """Send one message through the configured SMTP server (10 s timeout; port 465 is implicit TLS, other
    ports use STARTTLS when SMTP_STARTTLS). ServiceUnavailable when SMTP is not configured or fails."""
    if not settings.SMTP_HOST:
        raise ServiceUnavailable("SMTP not configured")
    implicit_tls = settings.SMTP_PORT == 465
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.SMTP_HOST,
            port=settings.SMTP_PORT,
            username=settings.SMTP_USER or None,
            password=settings.SMTP_PASSWORD or None,
            use_tls=implicit_tls,
            start_tls=settings.SMTP_STARTTLS and not implicit_tls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise ServiceUnavailable(f"SMTP failed: {type(exc).__name__} {exc}".strip()) from exc
