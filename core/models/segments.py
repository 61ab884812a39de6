"""Custom segments of an app (API.md section 4) and their stored membership."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CustomSegment(Model):
    """Rules over device attributes and 30-day activity; members stored by each calculation
    (custom_segment_members, written by hand-written SQL in pipelines.customsegments)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="custom_segments", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    description = fields.TextField(null=True)
    logic = fields.CharField(max_length=3, default="AND")  # AND | OR
    color = fields.CharField(max_length=7, null=True)
    rules = fields.JSONField(default=list)  # [{field, operator, value}]
    is_active = fields.BooleanField(default=True)  # recalculated nightly while active
    device_count = fields.IntField(default=0)
    last_calculated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "custom_segments"
