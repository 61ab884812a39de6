"""Encryption at rest for stored third-party credentials (Fernet, key derived from SECRET_KEY)."""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigurationError


@lru_cache(maxsize=8)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"vaimanasoft", info=purpose.encode()).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret_key: str, purpose: str, plaintext: str) -> str:
    """Encrypt `plaintext` with a key derived from SECRET_KEY for `purpose`."""
    return _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, purpose: str, token: str) -> str:
    """Decrypt; fails clearly when SECRET_KEY changed since the value was stored."""
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ConfigurationError(
            f"Stored {purpose} cannot be decrypted: SECRET_KEY changed since they were saved; upload them again"
        ) from None
