"""Tortoise models; every table of the platform is declared here."""

from core.models.apps import App
from core.models.devices import Device, Event
from core.models.orgs import ROLE_RANK, Org, Role, User

__all__ = ["App", "Device", "Event", "Org", "ROLE_RANK", "Role", "User"]
