"""Apps: one Android package of an organisation, with its SDK key."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class App(Model):
    id = fields.IntField(primary_key=True)
    org = fields.ForeignKeyField("models.Org", related_name="apps", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    package_name = fields.CharField(max_length=255)
    sdk_key = fields.CharField(max_length=24, unique=True)
    # Firebase service-account JSON, Fernet-encrypted (key derived from SECRET_KEY).
    fcm_credentials = fields.TextField(null=True)
    fcm_project_id = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "apps"
        unique_together = (("org", "package_name"),)


class AdStrategy(Model):
    """An app's ad configuration for one profile segment (overrides of the shipped defaults)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="ad_strategies", on_delete=fields.CASCADE)
    segment = fields.CharField(max_length=32)
    strategy = fields.JSONField(default=dict)
    config_version = fields.IntField(default=1)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ad_strategies"
        unique_together = (("app", "segment"),)
