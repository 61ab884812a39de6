"""The AI layer's tables: token usage, cached insights, chat conversations, generated reports."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class AiUsage(Model):
    """Tokens spent per organisation, UTC day and model (pipelines.ai.client counts every call)."""

    id = fields.BigIntField(primary_key=True)
    org = fields.ForeignKeyField("models.Org", related_name="ai_usage", on_delete=fields.CASCADE)
    day = fields.DateField()
    model = fields.CharField(max_length=128)
    requests = fields.IntField(default=0)
    input_tokens = fields.BigIntField(default=0)
    output_tokens = fields.BigIntField(default=0)

    class Meta:
        table = "ai_usage"
        unique_together = (("org", "day", "model"),)


class AiInsight(Model):
    """An app's latest insights (anomalies, daily summary, weekly report), computed daily or on demand."""

    id = fields.IntField(primary_key=True)
    app = fields.OneToOneField("models.App", related_name="ai_insight", on_delete=fields.CASCADE)
    day = fields.DateField()  # the last complete UTC day the insights cover
    payload = fields.JSONField()
    computed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ai_insights"


class Conversation(Model):
    """A chat with the assistant; each belongs to one user of one organisation."""

    id = fields.IntField(primary_key=True)
    org = fields.ForeignKeyField("models.Org", related_name="ai_conversations", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="ai_conversations", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "ai_conversations"
        indexes = (Index(fields=("user_id", "updated_at")),)


class ConversationMessage(Model):
    """One Messages-API message of a conversation: role and content blocks, as sent to the model."""

    id = fields.BigIntField(primary_key=True)
    conversation = fields.ForeignKeyField(
        "models.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    role = fields.CharField(max_length=16)  # user | assistant
    content = fields.JSONField()  # list of content blocks (text, tool_use, tool_result)
    tokens = fields.IntField(default=0)  # estimated, for trimming the history to a budget
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ai_messages"
        indexes = (Index(fields=("conversation_id", "id")),)


class Report(Model):
    """A generated report of an app (POST /ai/reports), kept and listed."""

    id = fields.IntField(primary_key=True)
    app = fields.ForeignKeyField("models.App", related_name="ai_reports", on_delete=fields.CASCADE)
    type = fields.CharField(max_length=16)  # daily_summary | weekly | competitor | revenue | review
    title = fields.CharField(max_length=255)
    content = fields.TextField()  # the narrative (model or template)
    data = fields.JSONField()  # the computed figures the narrative is written from
    narrative_source = fields.CharField(max_length=16)  # model | template
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ai_reports"
        indexes = (Index(fields=("app_id", "created_at")),)
