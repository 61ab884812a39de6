"""Metric alerts and custom dashboards of an app (API.md section 4)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AlertRule(Model):
    """A condition on one of the app's metrics, evaluated by a schedule (pipelines.alerts)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="alert_rules", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    metric = fields.CharField(
        max_length=16
    )  # dau | new_users | events | ad_watches | purchases | crash_rate | churn_rate
    condition = fields.CharField(max_length=16)  # drops_by | increases_by | below | above
    threshold = fields.FloatField()
    compare_window = fields.CharField(max_length=8, default="day")  # day | week
    channel = fields.CharField(max_length=16, default="dashboard")  # email | webhook | dashboard
    channel_config = fields.JSONField(default=dict)
    is_active = fields.BooleanField(default=True)
    last_evaluated_at = fields.DatetimeField(null=True)
    last_value = fields.FloatField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "alert_rules"


class AlertFired(Model):
    """One firing of a rule: at most one per rule and window (unique), notified once."""

    id = fields.BigIntField(primary_key=True)
    rule = fields.ForeignKeyField("models.AlertRule", related_name="history", on_delete=fields.CASCADE)
    app = fields.ForeignKeyField("models.App", related_name="alert_history", on_delete=fields.CASCADE)
    window_start = fields.DateField()
    window_end = fields.DateField()  # exclusive
    value = fields.FloatField()
    previous_value = fields.FloatField(null=True)
    message = fields.TextField()
    channel = fields.CharField(max_length=16)
    notified_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    error = fields.TextField(null=True)
    fired_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_history"
        unique_together = (("rule", "window_start", "window_end"),)


class Dashboard(Model):
    """A named list of widgets, each computed by the dashboard pipelines (pipelines.customdashboards)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="dashboards", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    widgets = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "dashboards"
