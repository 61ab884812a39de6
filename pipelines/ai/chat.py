"""The assistant (POST /ai/chat): conversations kept per user, read-only tools scoped to the user's org.

A turn sends the conversation's history (trimmed to AI_CHAT_HISTORY_TOKENS, whole turns, newest kept) and
the new message; the model may call tools (pipelines.ai.tools) up to MAX_TOOL_ROUNDS times, and its final
text is the reply. The turn is stored only once it is complete, in one transaction with its activity
entry, so a failure (the model unreachable, rate limited) leaves the conversation as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from tortoise.transactions import in_transaction

from core.clock import iso
from core.errors import NotFound
from core.models import App, Conversation, ConversationMessage, Org, User
from core.settings import Settings
from pipelines import activity
from pipelines.ai import client, prompts, tools

FEATURE = "the assistant chat"
MAX_TOOL_ROUNDS = 5
MAX_TOOL_RESULT_CHARS = 12_000


def estimate_tokens(content: Any) -> int:
    """About four characters a token: enough to keep a history under a budget."""
    return len(orjson.dumps(content)) // 4 + 1


async def conversation_of(org_id: int, user_id: int, conversation_id: int) -> Conversation:
    """One of the user's own conversations (another user's, or another org's, is not found)."""
    found = await Conversation.get_or_none(id=conversation_id, org_id=org_id, user_id=user_id)
    if found is None:
        raise NotFound("Conversation not found")
    return found


def _is_user_text(message: ConversationMessage) -> bool:
    return message.role == "user" and any(b.get("type") == "text" for b in message.content)


def trim(history: list[ConversationMessage], budget: int) -> list[dict[str, Any]]:
    """The newest whole turns (a user's message and all that answered it) that fit in `budget` tokens."""
    turns: list[list[ConversationMessage]] = []
    for message in history:
        if _is_user_text(message) or not turns:
            turns.append([])
        turns[-1].append(message)
    kept: list[list[ConversationMessage]] = []
    spent = 0
    for turn in reversed(turns):
        cost = sum(m.tokens for m in turn)
        if spent + cost > budget:
            break
        kept.insert(0, turn)
        spent += cost
    return [{"role": m.role, "content": m.content} for turn in kept for m in turn]


def _result_text(result: Any) -> str:
    text = orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= MAX_TOOL_RESULT_CHARS else text[:MAX_TOOL_RESULT_CHARS] + " ...(cut)"


async def _system(org_id: int, user_id: int) -> str:
    org = await Org.get(id=org_id)
    user_name = (await User.get(id=user_id)).name  # the name, not the email: the provider needs no address
    listed = await App.filter(org_id=org_id).order_by("id").values("id", "name", "package_name")
    apps = (
        "\n".join(f"- app_id {a['id']}: {a['name']} ({a['package_name']})" for a in listed) or "- (none yet)"
    )
    today = datetime.now(UTC).date().isoformat()
    return prompts.CHAT_SYSTEM.format(user_name=user_name, org_name=org.name, apps=apps, today=today)


async def chat(
    settings: Settings, org_id: int, user_id: int, message: str, conversation_id: int | None
) -> dict[str, Any]:
    """One turn of the user's conversation (a new one without `conversation_id`): the reply and its sources."""
    conversation = await conversation_of(org_id, user_id, conversation_id) if conversation_id else None
    client.require_configured(settings, FEATURE)
    history: list[dict[str, Any]] = []
    if conversation is not None:
        stored = await ConversationMessage.filter(conversation_id=conversation.id).order_by("id")
        history = trim(stored, settings.AI_CHAT_HISTORY_TOKENS)
    system = await _system(org_id, user_id)
    turn: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": message}]}]
    sources: list[dict[str, Any]] = []
    definitions = tools.definitions()
    reply = None
    for round_ in range(MAX_TOOL_ROUNDS + 1):
        last = round_ == MAX_TOOL_ROUNDS
        reply = await client.complete(
            settings,
            org_id,
            system=system,
            messages=history + turn,
            tools=definitions,
            tool_choice={"type": "none"} if last else {"type": "auto"},
        )
        turn.append({"role": "assistant", "content": reply.content or [{"type": "text", "text": "…"}]})
        if not reply.tool_calls or last:
            break
        results = []
        for call in reply.tool_calls:
            result, is_error = await tools.run(settings, org_id, call.name, call.input)
            sources.append({"tool": call.name, "input": call.input, "result": result, "is_error": is_error})
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": call.id,
                "content": _result_text(result),
            }
            if is_error:
                block["is_error"] = True
            results.append(block)
        turn.append({"role": "user", "content": results})
    assert reply is not None
    text = reply.text or "I could not find an answer to that."
    async with in_transaction() as conn:
        if conversation is None:
            conversation = await Conversation.create(
                org_id=org_id, user_id=user_id, title=message[:80], using_db=conn
            )
        for entry in turn:
            await ConversationMessage.create(
                conversation_id=conversation.id,
                role=entry["role"],
                content=entry["content"],
                tokens=estimate_tokens(entry["content"]),
                using_db=conn,
            )
        conversation.updated_at = datetime.now(UTC)
        await conversation.save(update_fields=["updated_at"], using_db=conn)
        await activity.record_change(
            conn, conversation.id, {"conversation_id": conversation.id, "tools": [s["tool"] for s in sources]}
        )
    return {"conversation_id": conversation.id, "reply": text, "sources": sources}


async def list_conversations(org_id: int, user_id: int) -> list[dict[str, Any]]:
    """The user's conversations, most recently active first."""
    rows = await Conversation.filter(org_id=org_id, user_id=user_id).order_by("-updated_at", "-id").limit(100)
    return [
        {"id": c.id, "title": c.title, "created_at": iso(c.created_at), "updated_at": iso(c.updated_at)}
        for c in rows
    ]


async def conversation_body(org_id: int, user_id: int, conversation_id: int) -> dict[str, Any]:
    """One of the user's conversations with its messages (text, tool calls and results)."""
    conversation = await conversation_of(org_id, user_id, conversation_id)
    messages = await ConversationMessage.filter(conversation_id=conversation.id).order_by("id")
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
        "messages": [
            {"role": m.role, "content": m.content, "created_at": iso(m.created_at)} for m in messages
        ],
    }
