"""Tortoise models; every table of the platform is declared here."""

from core.models.ai import AiInsight, AiUsage, Conversation, ConversationMessage, Report
from core.models.analytics import AlertFired, AlertRule, Dashboard
from core.models.apps import AdStrategy, App
from core.models.billing import StripeEvent, Subscription
from core.models.devices import Device, Event, RevenueEvent
from core.models.flags import Experiment, ExperimentExposure, FeatureFlag
from core.models.operator import BlogPost, CodeAgentRun, CodeFinding
from core.models.orgs import ROLE_RANK, ActivityEntry, Org, OrgUsage, Role, User
from core.models.segments import CustomSegment
from core.models.webhooks import Notification, Webhook, WebhookDelivery

__all__ = [
    "AiInsight",
    "AiUsage",
    "Conversation",
    "ConversationMessage",
    "Report",
    "ActivityEntry",
    "AdStrategy",
    "AlertFired",
    "AlertRule",
    "App",
    "BlogPost",
    "CodeAgentRun",
    "CodeFinding",
    "Dashboard",
    "CustomSegment",
    "Experiment",
    "ExperimentExposure",
    "FeatureFlag",
    "Notification",
    "RevenueEvent",
    "StripeEvent",
    "Subscription",
    "Device",
    "Event",
    "Org",
    "OrgUsage",
    "ROLE_RANK",
    "Role",
    "User",
    "Webhook",
    "WebhookDelivery",
]
