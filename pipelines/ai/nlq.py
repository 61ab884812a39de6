"""The natural-language query (POST /dashboard/query): question -> one checked SELECT -> rows -> answer.

The model sees the documented views (pipelines.ai.views) and must answer through the one tool `run_sql`
(input: a string `sql`). The SQL is checked (pipelines.ai.sqlcheck: one SELECT over the views, no denied
function, LIMIT <= 1000), run as the restricted reader of this app (pipelines.ai.reader), and the model
then writes the answer from the rows. Model output is only ever parsed as SQL text, never executed as
code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field

from core.errors import BadRequest
from core.settings import Settings
from pipelines import apps
from pipelines.ai import client, prompts, reader, sqlcheck

FEATURE = "the natural-language query"
Question = Annotated[str, Field(min_length=1, max_length=1000, description="the question, in plain language")]

SQL_TOOL: dict[str, Any] = {
    "name": "run_sql",
    "description": "Run one read-only PostgreSQL SELECT over the documented views and get its rows.",
    "input_schema": {
        "type": "object",
        "properties": {"sql": {"type": "string", "description": "exactly one SELECT statement"}},
        "required": ["sql"],
    },
}


async def ready(settings: Settings) -> None:
    """ServiceUnavailable (with the reason) when the query cannot run here: no API key, or no reader role."""
    client.require_configured(settings, FEATURE)
    await reader.credentials()


def _sql_of(reply: client.Completion) -> str:
    call = next((c for c in reply.tool_calls if c.name == SQL_TOOL["name"]), None)
    sql = call.input.get("sql") if call else None
    if not isinstance(sql, str) or not sql.strip():
        raise BadRequest("The model did not answer with a SQL query; try rephrasing the question")
    return sql.strip()


async def answer(settings: Settings, org_id: int, app_id: int, question: str) -> dict[str, Any]:
    """`{answer, sql, data, columns, row_count, truncated}` for a question about one of the org's apps."""
    app = await apps.get_app(org_id, app_id)
    client.require_configured(settings, FEATURE)
    today = datetime.now(UTC).date().isoformat()
    system = prompts.nlq_system(app.name, app.package_name, today)
    asked: list[dict[str, Any]] = [{"role": "user", "content": question}]
    first = await client.complete(
        settings,
        org_id,
        system=system,
        messages=asked,
        tools=[SQL_TOOL],
        tool_choice={"type": "tool", "name": SQL_TOOL["name"]},
    )
    written = _sql_of(first)
    sql = sqlcheck.check(written) if settings.NLQ_SQL_CHECK else written
    result = await reader.run(
        settings, app_id, sql, settings.NLQ_STATEMENT_TIMEOUT_MS, max_rows=sqlcheck.MAX_ROWS
    )
    call = next(c for c in first.tool_calls if c.name == SQL_TOOL["name"])
    rows_text = prompts.rows_for_model(result.columns, result.rows, result.truncated)
    second = await client.complete(
        settings,
        org_id,
        system=system + "\n\n" + prompts.NLQ_ANSWER,
        messages=[
            *asked,
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": call.id, "content": rows_text}],
            },
        ],
        tools=[SQL_TOOL],
        tool_choice={"type": "none"},
    )
    return {
        "answer": second.text or "The model gave no answer for these rows.",
        "sql": sql,
        "data": result.rows,
        "columns": result.columns,
        "row_count": len(result.rows),
        "truncated": result.truncated,
    }
