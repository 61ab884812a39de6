"""Review sentiment (POST /ai/sentiment): positive | neutral | negative with a score -1..1 per review.

With ANTHROPIC_API_KEY: the fast model (AI_FAST_MODEL) classifies AI_SENTIMENT_BATCH reviews per call
through the tool `record_sentiments`; a review it leaves out (or a batch it cannot do) falls back to VADER.
Without a key: the VADER lexicon (`vaderSentiment`), compound score, positive >= 0.05, negative <= -0.05.
A package's reviews come from its Play Store snapshots (pipelines.ai.market.reviews_for).
"""

from __future__ import annotations

import functools
import statistics
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from core.errors import BadRequest, RateLimited, ServiceUnavailable
from core.logging import get_logger
from core.settings import Settings
from pipelines.ai import client, market, prompts

log = get_logger(__name__)

LABELS = ("positive", "neutral", "negative")
ReviewText = Annotated[str, Field(min_length=1, max_length=5000)]


class ReviewIn(BaseModel):
    """A review with its star rating, when known."""

    model_config = ConfigDict(strict=True, extra="ignore")
    text: ReviewText
    rating: int | None = Field(None, ge=1, le=5)


SENTIMENT_TOOL: dict[str, Any] = {
    "name": "record_sentiments",
    "description": "Record the sentiment of each review.",
    "input_schema": {
        "type": "object",
        "properties": {
            "sentiments": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer", "description": "the review's index as given"},
                        "label": {"type": "string", "enum": list(LABELS)},
                        "score": {"type": "number", "minimum": -1, "maximum": 1},
                    },
                    "required": ["index", "label", "score"],
                },
            }
        },
        "required": ["sentiments"],
    },
}


@functools.cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def vader(text: str) -> tuple[str, float]:
    """(label, compound score) from the VADER lexicon."""
    compound = float(_vader().polarity_scores(text)["compound"])
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return label, round(compound, 4)


async def _model_batch(settings: Settings, org_id: int, texts: list[str]) -> dict[int, tuple[str, float]]:
    """Labels the fast model gave, by index within `texts` (only well-formed entries)."""
    listing = "\n".join(f"[{i}] {text}" for i, text in enumerate(texts))
    reply = await client.complete(
        settings,
        org_id,
        system=prompts.SENTIMENT_SYSTEM,
        messages=[{"role": "user", "content": listing}],
        model=settings.AI_FAST_MODEL,
        tools=[SENTIMENT_TOOL],
        tool_choice={"type": "tool", "name": SENTIMENT_TOOL["name"]},
        max_tokens=min(8192, 64 + 40 * len(texts)),
    )
    found: dict[int, tuple[str, float]] = {}
    for call in reply.tool_calls:
        entries = call.input.get("sentiments") if call.name == SENTIMENT_TOOL["name"] else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            index, label, score = entry.get("index"), entry.get("label"), entry.get("score")
            valid_index = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(texts)
            valid_score = isinstance(score, int | float) and not isinstance(score, bool) and -1 <= score <= 1
            if valid_index and label in LABELS and valid_score:
                found[index] = (label, round(float(score), 4))
    return found


def _summary_text(results: list[dict[str, Any]], counts: dict[str, int]) -> str:
    if not results:
        return "No reviews to analyse."
    mean = statistics.mean(r["score"] for r in results)
    parts = [
        f"{len(results)} review{'s' if len(results) != 1 else ''}: {counts['positive']} positive, "
        f"{counts['neutral']} neutral, {counts['negative']} negative (mean score {mean:+.2f})."
    ]
    worst, best = min(results, key=lambda r: r["score"]), max(results, key=lambda r: r["score"])
    if worst["label"] == "negative":
        parts.append(f'Most negative: "{worst["text"][:140]}".')
    if best["label"] == "positive":
        parts.append(f'Most positive: "{best["text"][:140]}".')
    return " ".join(parts)


def check_input(package_name: str | None, reviews: list[Any] | None) -> None:
    """BadRequest unless exactly one of a package and a list of reviews is given."""
    if (package_name is None) == (reviews is None):
        raise BadRequest(
            "Give either package_name or reviews", {"body": "exactly one of package_name, reviews"}
        )


async def analyze(
    settings: Settings, org_id: int, package_name: str | None, reviews: list[str | ReviewIn] | None
) -> dict[str, Any]:
    """Each review's label and score, the counts and a summary (model-written when configured)."""
    check_input(package_name, reviews)
    note = None
    if package_name is not None:
        fetched = await market.reviews_for(org_id, package_name)
        items = [
            ReviewIn(text=str(r.get("text") or "")[:5000] or "-", rating=r.get("rating")) for r in fetched
        ]
        if not fetched:
            note = f"Play Store reviews of {package_name}: {market.PLAYSTORE_MISSING}"
    else:
        items = [r if isinstance(r, ReviewIn) else ReviewIn(text=r) for r in reviews or []]
    texts = [r.text for r in items]
    labelled: dict[int, tuple[str, float]] = {}
    source = "vader"
    if client.configured(settings) and texts:
        source = "model"
        try:
            size = settings.AI_SENTIMENT_BATCH
            for start in range(0, len(texts), size):
                batch = await _model_batch(settings, org_id, texts[start : start + size])
                labelled.update({start + i: value for i, value in batch.items()})
        except (ServiceUnavailable, RateLimited) as exc:
            log.warning("ai.sentiment_model_unavailable", error=exc.message)
            note = f"The model was unavailable ({exc.message}); VADER scored the rest."
    results = []
    for i, item in enumerate(items):
        label, score = labelled.get(i) or vader(item.text)
        results.append(
            {"index": i, "text": item.text, "rating": item.rating, "label": label, "score": score,
             "source": "model" if i in labelled else "vader"}
        )  # fmt: skip
    counts = {label: sum(1 for r in results if r["label"] == label) for label in LABELS}
    summary = _summary_text(results, counts)
    summary_source = "template"
    if source == "model" and results and labelled:
        try:
            reply = await client.complete(
                settings,
                org_id,
                system=prompts.SENTIMENT_SUMMARY,
                messages=[{"role": "user", "content": prompts.as_json([{k: r[k] for k in ("text", "label", "score")} for r in results[:200]])}],
                model=settings.AI_FAST_MODEL,
            )  # fmt: skip
            if reply.text:
                summary, summary_source = reply.text, "model"
        except (ServiceUnavailable, RateLimited) as exc:
            log.warning("ai.sentiment_summary_unavailable", error=exc.message)
    out: dict[str, Any] = {
        "package_name": package_name,
        "source": source if labelled else "vader",
        "results": results,
        "counts": counts,
        "summary": summary,
        "summary_source": summary_source,
    }
    if note:
        out["note"] = note
    if package_name is not None:
        out["playstore"] = "available" if items else market.PLAYSTORE_MISSING
    return out
