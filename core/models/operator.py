"""What the platform operator's console keeps: blog posts, code-agent runs and their findings."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class BlogPost(Model):
    """A post of the platform's blog: Markdown as written, and the sanitised HTML rendered from it."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=255)
    slug = fields.CharField(max_length=120, unique=True)
    excerpt = fields.TextField(default="")
    body = fields.TextField()
    html = fields.TextField()
    status = fields.CharField(max_length=16, default="draft")  # draft | published
    published_at = fields.DatetimeField(null=True)
    author_id = fields.IntField(null=True)  # the operator's user id; null when created with the admin token
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "blog_posts"
        indexes = (Index(fields=("status", "published_at")),)


class CodeAgentRun(Model):
    """One lint or security-scan job of the code agent, and what it found."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # lint | security
    job_id = fields.CharField(max_length=64, null=True, unique=True)
    status = fields.CharField(max_length=16, default="running")  # running | done | failed
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    open_count = fields.IntField(default=0)
    new_count = fields.IntField(default=0)
    fixed_count = fields.IntField(default=0)
    summary = fields.JSONField(default=dict)  # findings per tool and severity, tool versions, warnings
    error = fields.TextField(null=True)

    class Meta:
        table = "codeagent_runs"
        indexes = (Index(fields=("kind", "id")),)


class CodeFinding(Model):
    """A problem a tool reported, known across runs by its fingerprint (rule, path, normalised code)."""

    id = fields.BigIntField(primary_key=True)
    fingerprint = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)  # lint | security: the run kind that reports it
    tool = fields.CharField(max_length=16)  # ruff | bandit | headers
    rule = fields.CharField(max_length=64)
    severity = fields.CharField(max_length=16)
    path = fields.CharField(max_length=512)
    line = fields.IntField(default=0)
    message = fields.TextField()
    snippet = fields.TextField(default="")
    status = fields.CharField(max_length=8, default="open")  # open | fixed
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    fixed_at = fields.DatetimeField(null=True)
    first_run_id = fields.IntField()
    last_run_id = fields.IntField()
    fixed_run_id = fields.IntField(null=True)

    class Meta:
        table = "codeagent_findings"
        indexes = (Index(fields=("kind", "status")),)
