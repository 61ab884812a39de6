"""Dramatiq actors: thin shims that load ids and call pipelines.

Importing this package configures the broker from settings and declares every actor;
`dramatiq actors` (what `vaimanasoft worker` runs) imports it.
"""

# The broker is configured before any actor is declared: keep this order (ruff I001 off here).
from actors.broker import broker
from actors import (  # noqa: F401  (declares the actors)
    ai,
    alerts,
    analytics,
    billing,
    ingest,
    notifications,
    operator,
    segments,
    system,
    webhooks,
)

__all__ = ["broker"]
