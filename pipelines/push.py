"""FCM through the official client, firebase-admin, with an app's stored service account.

One firebase_admin App per (platform app, service account), kept for the process. A batch of up to 500
messages goes out with `messaging.send_each_async` (one HTTP request per message, concurrent, on the
library's own httpx client). FCM answers per message; a token it reports UNREGISTERED, or INVALID_ARGUMENT
about the registration token itself, is stale and returned for clearing.

FCM_API_BASE (a local stand-in, or a proxy): firebase-admin has no emulator switch for messaging. Its
`_MessagingService` builds each app's send URL from the class constant
`FCM_URL = 'https://fcm.googleapis.com/v1/projects/{0}/messages:send'` when the service is created; when
the setting is on, that constant becomes `{FCM_API_BASE}/v1/projects/{0}/messages:send` before any
service exists (tests pin the constant and the URL it yields, so an upgrade that moves it fails loudly).
The OAuth token comes from the service account's own `token_uri` (google-auth), so a service account
whose token_uri names the stand-in completes the whole exchange locally.
"""

from __future__ import annotations

import asyncio
import hashlib
import warnings
from dataclasses import dataclass, field
from typing import Any

import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
import orjson
from firebase_admin import credentials, exceptions, messaging

from core.errors import ServiceUnavailable
from core.settings import Settings

FCM_URL_PATH = "/v1/projects/{0}/messages:send"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
MAX_BATCH = 500  # send_each_async's limit, and one actor message
# firebase-admin's httpx client holds 100 connections; a larger burst queues in httpcore's pool, whose
# bookkeeping grows with the square of the waiting requests (measured: 500 at once is ~1.6x slower than
# 5 x 100, and batches sent side by side in one process stall its event loop). So each process sends one
# send_each_async call at a time, of at most IN_FLIGHT messages.
IN_FLIGHT = 100
_sending: dict[int, asyncio.Semaphore] = {}

_apps: dict[tuple[int, str], firebase_admin.App] = {}


@dataclass
class BatchResult:
    """Per batch: messages FCM accepted, refused, and the refused tokens that are stale."""

    sent: int = 0
    failed: int = 0
    stale: list[str] = field(default_factory=list)
    error: str | None = None  # the first refusal's reason, for the history


def use_api_base(settings: Settings) -> None:
    """Point firebase-admin's messaging at FCM_API_BASE (when set) for services created from now on."""
    if settings.FCM_API_BASE:
        messaging._MessagingService.FCM_URL = settings.FCM_API_BASE.rstrip("/") + FCM_URL_PATH


def _firebase_app(settings: Settings, app_id: int, account: dict[str, Any]) -> firebase_admin.App:
    fingerprint = hashlib.sha256(orjson.dumps(account, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    key = (app_id, fingerprint)
    app = _apps.get(key)
    if app is None:
        use_api_base(settings)
        certificate = credentials.Certificate({"token_uri": GOOGLE_TOKEN_URI, **account})
        app = _apps[key] = firebase_admin.initialize_app(
            certificate,
            {"projectId": account["project_id"], "httpTimeout": settings.FCM_TIMEOUT_SECONDS},
            name=f"vaimanasoft-{app_id}-{fingerprint}",
        )
    return app


def is_stale(error: Exception | None) -> bool:
    """Whether FCM said the token itself is no good (UNREGISTERED, or INVALID_ARGUMENT naming the token)."""
    if isinstance(error, messaging.UnregisteredError):
        return True
    return isinstance(error, exceptions.InvalidArgumentError) and "registration token" in str(error).lower()


async def send_batch(
    settings: Settings,
    app_id: int,
    account: dict[str, Any],
    tokens: list[str],
    title: str,
    body: str,
    data: dict[str, str],
) -> BatchResult:
    """Send one notification to up to MAX_BATCH tokens. ServiceUnavailable when FCM cannot be used at all
    (the service account's token request fails)."""
    app = _firebase_app(settings, app_id, account)
    credential = app.credential.get_credential()
    if not credential.valid:
        # google-auth refreshes synchronously: off the event loop (once an hour per account).
        try:
            await asyncio.to_thread(credential.refresh, google.auth.transport.requests.Request())
        except (google.auth.exceptions.GoogleAuthError, OSError) as exc:
            raise ServiceUnavailable(f"FCM authentication failed: {exc}") from exc
    notification = messaging.Notification(title=title, body=body)
    with warnings.catch_warnings():  # firebase-admin 7 flags `token` in favour of FIDs; FCM takes both
        warnings.simplefilter("ignore", DeprecationWarning)
        messages = [messaging.Message(token=t, notification=notification, data=data) for t in tokens]
    loop = asyncio.get_running_loop()
    sending = _sending.setdefault(id(loop), asyncio.Semaphore(1))
    outcomes: list[messaging.SendResponse] = []
    async with sending:
        for i in range(0, len(messages), IN_FLIGHT):
            try:
                response = await messaging.send_each_async(messages[i : i + IN_FLIGHT], app=app)
            except exceptions.FirebaseError as exc:
                raise ServiceUnavailable(f"FCM failed: {exc}") from exc
            outcomes += response.responses
    result = BatchResult()
    for token, outcome in zip(tokens, outcomes):
        if outcome.success:
            result.sent += 1
            continue
        result.failed += 1
        if result.error is None:
            result.error = f"FCM: {outcome.exception}"
        if is_stale(outcome.exception):
            result.stale.append(token)
    return result
