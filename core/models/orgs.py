"""Organisations and their users."""

from __future__ import annotations

from enum import Enum

from tortoise import fields
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
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "orgs"


class User(Model):
    id = fields.IntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField("models.Org", related_name="users", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    email = fields.CharField(max_length=255, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.viewer)
    is_platform_admin = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
