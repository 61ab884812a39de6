"""Webhooks of an app (API.md section 9), their delivery attempts, and push notifications (section 5)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Webhook(Model):
    """A URL that receives the app's events, signed with the webhook's secret (pipelines.webhooks)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="webhooks", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=255)
    url = fields.CharField(max_length=2048)
    events = fields.JSONField(default=list)  # event names of API.md section 9, or ["*"]
    # The signing secret (`whsec_...`), Fernet-encrypted like FCM credentials (key derived from SECRET_KEY).
    secret = fields.TextField()
    is_active = fields.BooleanField(default=True)
    # Deliveries that failed for good (every scheduled attempt) since the last success; 20 disable it.
    failure_count = fields.IntField(default=0)
    disabled_reason = fields.TextField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    last_delivery_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks"


class WebhookDelivery(Model):
    """One attempt of one delivery (the same `delivery_id` on every attempt of it)."""

    id = fields.BigIntField(primary_key=True)
    webhook = fields.ForeignKeyField("models.Webhook", related_name="deliveries", on_delete=fields.CASCADE)
    delivery_id = fields.CharField(max_length=64)
    event = fields.CharField(max_length=64)
    attempt = fields.IntField()
    status = fields.CharField(max_length=16)  # delivered | retrying | failed
    status_code = fields.IntField(null=True)
    duration_ms = fields.IntField(null=True)
    error = fields.TextField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        indexes = (Index(fields=("webhook_id", "id")), Index(fields=("at",)))


class Notification(Model):
    """A push to some of the app's devices through FCM, now or at `send_at` (pipelines.notifications).
    Its batches of 500 devices live in `notification_batches` (hand-written SQL)."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="notifications", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=255)
    body = fields.TextField()
    data = fields.JSONField(default=dict)
    target = fields.CharField(max_length=16)  # device | segment | custom_segment | all
    segment = fields.CharField(max_length=16, null=True)  # built-in segment, for target=segment
    segment_id = fields.IntField(null=True)  # custom segment, for target=custom_segment (kept if deleted)
    device_id = fields.BigIntField(null=True)  # for target=device
    target_count = fields.IntField(default=0)
    status = fields.CharField(max_length=16)  # scheduled | sending | delivered | partial | failed | cancelled
    send_at = fields.DatetimeField(null=True)
    batches = fields.IntField(default=0)
    batches_done = fields.IntField(default=0)
    sent = fields.IntField(default=0)
    failed = fields.IntField(default=0)
    error = fields.TextField(null=True)
    created_by = fields.IntField(null=True)  # user id
    planned_at = fields.DatetimeField(null=True)  # when its batches were made
    sent_at = fields.DatetimeField(null=True)  # when sending started
    finished_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notifications"
        indexes = (Index(fields=("app_id", "id")), Index(fields=("status", "send_at")))
