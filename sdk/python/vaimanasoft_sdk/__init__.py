"""Vaimanasoft SDK for Python: the Android SDK's calls (events, flags with ETag, profile, ad strategy,
registration, FCM token, cross-promotion) for servers, scripts and tests, sync and async."""

from vaimanasoft_sdk._core import DEFAULT_BASE_URL, VERSION, APIError, Device, FlushResult
from vaimanasoft_sdk.aio import AsyncVaimanasoft
from vaimanasoft_sdk.client import Vaimanasoft
from vaimanasoft_sdk.flags import bucket, crc32, evaluate_flag, variant_pick

__all__ = [
    "DEFAULT_BASE_URL",
    "VERSION",
    "APIError",
    "AsyncVaimanasoft",
    "Device",
    "FlushResult",
    "Vaimanasoft",
    "bucket",
    "crc32",
    "evaluate_flag",
    "variant_pick",
]
__version__ = VERSION
