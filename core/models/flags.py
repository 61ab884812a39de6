"""Feature flags and A/B experiments of an app (API.md section 6)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class FeatureFlag(Model):
    """A flag; evaluated by pipelines.flags.evaluate, served from the in-process cache of api.flagcache."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="flags", on_delete=fields.CASCADE)
    flag_key = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    description = fields.TextField(null=True)
    flag_type = fields.CharField(max_length=16)  # boolean | multivariate
    is_enabled = fields.BooleanField(default=False)
    rollout_pct = fields.IntField(default=100)
    variants = fields.JSONField(default=list)  # [{key, value, weight}] in declared order
    # Targeting (all optional; every given one must match): built-in segments (lower-case names),
    # custom segment ids, countries (ISO alpha-2, upper-case), least app version.
    segments = fields.JSONField(default=list)
    custom_segment_ids = fields.JSONField(default=list)
    countries = fields.JSONField(default=list)
    min_app_version = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "feature_flags"
        unique_together = (("app", "flag_key"),)


class Experiment(Model):
    """An A/B experiment: draft -> running <-> paused -> completed."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="experiments", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    description = fields.TextField(null=True)
    variants = fields.JSONField(default=list)  # [{key, name, weight}]; the first is the control
    target_metric = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="draft")
    started_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "experiments"


class ExperimentExposure(Model):
    """A device's first exposure to an experiment (one row per device, the variant it was assigned)."""

    id = fields.BigIntField(primary_key=True)
    experiment = fields.ForeignKeyField(
        "models.Experiment", related_name="exposures", on_delete=fields.CASCADE
    )
    device_id = fields.BigIntField()
    variant = fields.CharField(max_length=64)
    exposed_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "experiment_exposures"
        unique_together = (("experiment", "device_id"),)
