"""Local stand-ins for the outside services (FCM, Stripe, Anthropic, Play Store, Telegram, ...).

Each module here is a small HTTP server speaking the real service's wire protocol, so the official
client library, pointed at it through its base-URL setting, works end to end without an account.
The tests start them; a person trying a feature runs one with `vaimanasoft standin NAME`.

A module `standins/<name>.py` provides `main(argv: list[str]) -> None`, which parses its own options
(at least `--host` and `--port`), prints how to point the platform at it, and serves until stopped.
"""

from __future__ import annotations

import importlib
import pkgutil


def available() -> list[str]:
    """The stand-ins this install ships."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def run(name: str, argv: list[str]) -> None:
    """Run stand-in `name` with its own command-line options."""
    if name not in available():
        raise SystemExit(f"unknown stand-in {name!r}; available: {', '.join(available()) or 'none'}")
    importlib.import_module(f"standins.{name}").main(argv)
