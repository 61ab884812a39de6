"""Tortoise models; every table of the platform is declared here."""

from core.models.apps import App
from core.models.devices import Device, Event
from core.models.orgs import ROLE_RANK, ActivityEntry, Org, OrgUsage, Role, User

__all__ = ["ActivityEntry", "App", "Device", "Event", "Org", "OrgUsage", "ROLE_RANK", "Role", "User"]
