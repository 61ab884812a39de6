"""Shared kernel: settings, models, database, Redis, errors, CLI."""

__version__ = "4.0.0"
