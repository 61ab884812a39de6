"""Devices and their events (the big table)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Device(Model):
    id = fields.BigIntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="devices", on_delete=fields.CASCADE)
    android_id = fields.CharField(max_length=128)
    brand = fields.CharField(max_length=255, null=True)
    model = fields.CharField(max_length=255, null=True)
    android_version = fields.CharField(max_length=255, null=True)
    app_version = fields.CharField(max_length=255, null=True)
    fcm_token = fields.TextField(null=True)
    country = fields.CharField(max_length=2, null=True)
    install_type = fields.CharField(max_length=16, null=True)
    user_segment = fields.CharField(max_length=16, default="new")
    sessions_count = fields.IntField(default=0)
    ad_watches = fields.IntField(default=0)
    purchases = fields.IntField(default=0)
    purchase_revenue = fields.DecimalField(max_digits=18, decimal_places=6, default=0)
    ad_revenue = fields.DecimalField(max_digits=18, decimal_places=8, default=0)
    # Rolling 30-day counters (from device_days), kept by ingest and the nightly reclassification,
    # so a profile read is one row.
    sessions_30d = fields.IntField(default=0)
    ad_watches_30d = fields.IntField(default=0)
    purchases_30d = fields.IntField(default=0)
    recent_purchases = fields.JSONField(default=list)  # newest first, at most 20
    first_seen_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now_add=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "devices"
        unique_together = (("app", "android_id"),)
        # No index on the counters: ingest updates them on every batch, and an unindexed change can be a
        # HOT update (with the table's fillfactor leaving room for it). last_seen_at is indexed with
        # app_id for the dashboard overview (migration 6): one index entry per device per flush.


class Event(Model):
    """One event; written by COPY in bulk, so no foreign keys (see the migration)."""

    id = fields.BigIntField(primary_key=True)
    app_id = fields.IntField()
    device_id = fields.BigIntField()
    event_type = fields.CharField(max_length=64)
    event_data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    received_at = fields.DatetimeField()
    event_id = fields.UUIDField()

    class Meta:
        table = "events"
        unique_together = (("app_id", "event_id"),)
        indexes = (
            Index(fields=("app_id", "created_at")),
            Index(fields=("device_id", "created_at")),
        )


class RevenueEvent(Model):
    """One ad impression's revenue (POST /sdk/revenue)."""

    id = fields.BigIntField(primary_key=True)
    app_id = fields.IntField()
    device_id = fields.BigIntField()
    ad_type = fields.CharField(max_length=16)
    ad_network = fields.CharField(max_length=255, null=True)
    revenue = fields.DecimalField(max_digits=18, decimal_places=8)
    ecpm = fields.DecimalField(max_digits=18, decimal_places=6, null=True)
    geo_tier = fields.CharField(max_length=8, null=True)
    country = fields.CharField(max_length=2, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "revenue_events"
        indexes = (Index(fields=("app_id", "created_at")), Index(fields=("device_id",)))
