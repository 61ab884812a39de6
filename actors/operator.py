"""Operator jobs: the code agent's lint and security scan, and the deploy command."""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import CurrentMessage

from actors.base import actor
from actors.middleware import runtime
from pipelines import blog, codeagent, devops

# Ops jobs run for minutes at most; a queue of their own keeps them from holding the default one's threads.
QUEUE = "ops"
# Both tools can each take CODEAGENT_TIMEOUT_SECONDS (at most 1,800 s): the limit only stops a runaway.
CODEAGENT_LIMIT_MS = 2 * 1800 * 1000 + 120_000
DEPLOY_LIMIT_MS = 3600 * 1000 + 120_000  # DEPLOY_TIMEOUT_SECONDS is at most 3,600 s


def _job_id() -> str | None:
    message = CurrentMessage.get_current_message()
    return message.options.get("job_id") if message else None


# No retries: a failed scan or deploy is reported, and the operator decides whether to run it again.
@actor(queue_name=QUEUE, max_retries=0, time_limit_ms=CODEAGENT_LIMIT_MS)
async def codeagent_lint() -> dict[str, Any]:
    """ruff over the platform's own source; findings stored by fingerprint."""
    assert runtime.settings is not None
    return await codeagent.run_lint(runtime.settings, _job_id())


@actor(queue_name=QUEUE, max_retries=0, time_limit_ms=CODEAGENT_LIMIT_MS)
async def codeagent_security_scan(base_url: str) -> dict[str, Any]:
    """bandit over the platform's own source, and the response headers of the API at `base_url`."""
    assert runtime.settings is not None
    return await codeagent.run_security_scan(runtime.settings, _job_id(), base_url)


@actor(queue_name=QUEUE, max_retries=0, time_limit_ms=DEPLOY_LIMIT_MS)
async def devops_deploy(target: str) -> dict[str, Any]:
    """Run DEPLOY_COMMAND (this worker's setting) for `target`: exit code and output."""
    assert runtime.settings is not None and runtime.redis is not None
    return await devops.deploy(runtime.redis, runtime.settings, target)


@actor(queue_name=QUEUE, max_retries=0, time_limit_ms=300_000)
async def blog_generate(topic: str, keywords: list[str], author_id: int | None) -> dict[str, Any]:
    """Draft a blog post with the model (POST /blog/generate): the stored draft."""
    assert runtime.settings is not None
    return blog.post_body(await blog.generate_draft(runtime.settings, topic, keywords, author_id))
