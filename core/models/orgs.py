"""Organisations and their users."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Role(str, Enum):
    owner = "owner"
    admin = "admin"
    viewer = "viewer"


ROLE_RANK = {Role.viewer: 0, Role.admin: 1, Role.owner: 2}


class Org(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=255)
    plan = fields.CharField(max_length=16, default="free")
    api_key = fields.CharField(max_length=40, unique=True)
    # Devices of all the org's apps; kept by the device paths so quota checks never count rows.
    device_count = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "orgs"


class OrgUsage(Model):
    """Events stored per organisation per calendar month (UTC), kept by the ingest path."""

    id = fields.BigIntField(primary_key=True)
    org = fields.ForeignKeyField("models.Org", related_name="usage", on_delete=fields.CASCADE)
    month = fields.DateField()
    events = fields.BigIntField(default=0)

    class Meta:
        table = "org_usage"
        unique_together = (("org", "month"),)


class User(Model):
    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "models.Org", related_name="users", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=255)
    email = fields.CharField(max_length=255, unique=True)
    password_hash = fields.CharField(max_length=255, null=True)  # null until an invite is accepted
    role = fields.CharEnumField(Role, max_length=16, default=Role.viewer)
    status = fields.CharField(max_length=16, default="active")  # active | invited
    is_platform_admin = fields.BooleanField(default=False)
    invite_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    invite_expires_at = fields.DatetimeField(null=True)
    invited_by_id = fields.IntField(null=True)
    theme = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class ActivityEntry(Model):
    """One mutating request of an organisation (the activity log; never edited through the API)."""

    id = fields.BigIntField(primary_key=True)
    org = fields.ForeignKeyField("models.Org", related_name="activity", on_delete=fields.CASCADE)
    user_id = fields.IntField(null=True)
    user_email = fields.CharField(max_length=255, null=True)
    action = fields.CharField(max_length=64)
    resource_type = fields.CharField(max_length=32)
    resource_id = fields.CharField(max_length=64, null=True)
    ip = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=512, null=True)
    details = fields.JSONField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity_log"
        indexes = (Index(fields=("org_id", "at")), Index(fields=("org_id", "action", "at")))
