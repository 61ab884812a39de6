"""An app's Firebase service-account credentials: validated, stored encrypted, never shown."""

from __future__ import annotations

import re
from typing import Any

import orjson
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from core import crypto
from core.errors import BadRequest
from core.models import App
from pipelines.apps import get_app

PURPOSE = "fcm-credentials"
REQUIRED = ("type", "project_id", "private_key", "client_email")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_service_account(data: dict[str, Any]) -> dict[str, Any]:
    """Check the JSON is a Google service account with a usable private key (BadRequest otherwise)."""
    details = {key: "required" for key in REQUIRED if not isinstance(data.get(key), str) or not data.get(key)}
    if details:
        raise BadRequest("Not a Firebase service-account JSON", details)
    if data["type"] != "service_account":
        raise BadRequest("Not a Firebase service-account JSON", {"type": "must be service_account"})
    if not EMAIL.match(data["client_email"]):
        raise BadRequest("Not a Firebase service-account JSON", {"client_email": "must be an email address"})
    try:
        key = load_pem_private_key(data["private_key"].encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise BadRequest(
            "Not a Firebase service-account JSON", {"private_key": "not a PEM private key"}
        ) from None
    # Google signs service-account tokens with RS256: any other key type could never send a push.
    if not isinstance(key, RSAPrivateKey):
        raise BadRequest("Not a Firebase service-account JSON", {"private_key": "must be an RSA private key"})
    return data


async def set_fcm_credentials(secret_key: str, org_id: int, app_id: int, data: dict[str, Any]) -> App:
    """Store the app's service account, encrypted."""
    app = await get_app(org_id, app_id)
    account = validate_service_account(data)
    app.fcm_credentials = crypto.encrypt(secret_key, PURPOSE, orjson.dumps(account).decode())
    app.fcm_project_id = account["project_id"]
    await app.save(update_fields=["fcm_credentials", "fcm_project_id", "updated_at"])
    return app


async def delete_fcm_credentials(org_id: int, app_id: int) -> App:
    """Forget the app's service account."""
    app = await get_app(org_id, app_id)
    app.fcm_credentials = None
    app.fcm_project_id = None
    await app.save(update_fields=["fcm_credentials", "fcm_project_id", "updated_at"])
    return app


def fcm_service_account(secret_key: str, app: App) -> dict[str, Any] | None:
    """The decrypted service account of an app (for sending pushes), or None."""
    if not app.fcm_credentials:
        return None
    return orjson.loads(crypto.decrypt(secret_key, PURPOSE, app.fcm_credentials))
