"""What alerting needs of an enriched article, and the article's time. Pure.

The matching stage never sees the body: ``project_article`` keeps ids, names, up to a few mention
spans per entity with the sentence around each (the evidence an alert carries) and the stances. That
keeps the internal alerting topic small whatever the article's length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

MAX_MENTIONS = 3
CONTEXT_CHARS = 240


class NotAnArticle(ValueError):
    """The event on articles.enriched is not something alerting can use (no article_id, not an object)."""


def parse_time(value: Any) -> datetime | None:
    """An ISO date or date-time as an aware UTC datetime (dates are midnight UTC); None if unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sentence_around(body: str, start: int, end: int, limit: int = CONTEXT_CHARS) -> dict[str, Any] | None:
    """The sentence holding ``body[start:end]``, cut to ``limit`` characters on either side."""
    if not body or not 0 <= start <= end <= len(body):
        return None
    left = max(0, start - limit)
    for i in range(start - 1, left - 1, -1):
        char = body[i]
        if char == "\n" or (char in ".!?" and i + 1 < len(body) and body[i + 1].isspace()):
            left = i + 1
            break
    right = min(len(body), end + limit)
    for j in range(end, right):
        char = body[j]
        if char == "\n":
            right = j
            break
        if char in ".!?" and (j + 1 == len(body) or body[j + 1].isspace()):
            right = j + 1
            break
    while left < start and body[left].isspace():
        left += 1
    while right > end and body[right - 1].isspace():
        right -= 1
    return {"start": left, "end": right, "text": body[left:right]}


def _span(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    start, end, text = value.get("start"), value.get("end"), value.get("text")
    if not isinstance(start, int) or not isinstance(end, int) or not isinstance(text, str):
        return None
    return {"start": start, "end": end, "text": text}


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if low <= value <= high else None


def _stance(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    holder, target = value.get("holder"), value.get("target")
    polarity = value.get("polarity")
    sentiment = _number(value.get("sentiment"), -1, 1)
    confidence = _number(value.get("confidence"), 0, 1)
    evidence = _span(value.get("evidence"))
    if not (isinstance(holder, str) and holder and isinstance(target, str) and target):
        return None
    if polarity not in ("support", "oppose", "neutral") or sentiment is None or confidence is None:
        return None
    return {
        "holder": holder,
        "holder_name": value.get("holder_name") if isinstance(value.get("holder_name"), str) else None,
        "target": target,
        "target_name": value.get("target_name") if isinstance(value.get("target_name"), str) else None,
        "polarity": polarity,
        "sentiment": sentiment,
        "confidence": confidence,
        "evidence": evidence or {"start": 0, "end": 0, "text": ""},
        "cue": value.get("cue") if isinstance(value.get("cue"), str) else None,
    }


def project_article(enriched: Mapping[str, Any]) -> dict[str, Any]:
    """An ``article.enriched.v1`` event → the compact article the rules read (see module doc)."""
    if not isinstance(enriched, Mapping):
        raise NotAnArticle(f"expected a JSON object, got {type(enriched).__name__}")
    article_id = enriched.get("article_id")
    if not isinstance(article_id, str) or not article_id:
        raise NotAnArticle("the event has no article_id")
    raw_body = enriched.get("body")
    body = raw_body if isinstance(raw_body, str) else ""
    entities = []
    for entity in enriched.get("entities") or []:
        if not isinstance(entity, Mapping) or not isinstance(entity.get("id"), str) or not entity["id"]:
            continue
        spans = [s for s in (_span(m) for m in entity.get("mentions") or []) if s is not None]
        mentions = []
        for span in spans[:MAX_MENTIONS]:
            mentions.append({**span, "context": sentence_around(body, span["start"], span["end"])})
        entities.append(
            {
                "id": entity["id"],
                "name": entity.get("name") if isinstance(entity.get("name"), str) else None,
                "type": entity.get("type") if isinstance(entity.get("type"), str) else None,
                "wikidata": entity.get("wikidata") if isinstance(entity.get("wikidata"), str) else None,
                "count": max(len(spans), 1),
                "mentions": mentions,
            }
        )
    stances = [s for s in (_stance(v) for v in enriched.get("stances") or []) if s is not None]
    when = parse_time(enriched.get("published")) or parse_time(enriched.get("enriched_at"))

    def text(name: str) -> str | None:
        value = enriched.get(name)
        return value if isinstance(value, str) else None

    return {
        "article_id": article_id,
        "title": text("title"),
        "url": text("url"),
        "published": text("published"),
        "source": text("source"),
        "time": iso(when) if when else None,
        "entities": entities,
        "stances": stances,
    }


def article_header(article: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an article every alert repeats."""
    return {
        "article_id": article["article_id"],
        "title": article.get("title"),
        "url": article.get("url"),
        "published": article.get("published"),
        "source": article.get("source"),
    }


def routing_dead_letter(
    message: Mapping[str, Any],
    *,
    error: str,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    max_payload_bytes: int,
) -> dict[str, Any]:
    """A ``deadletter.v1`` event (reason ``alert_routing_failed``, for alerts.deadletter) for an
    enriched article whose copy for matching Kafka refused: the copy itself (no body) is the payload."""
    payload = orjson.dumps(message)
    article = message.get("article")
    article_id = article.get("article_id") if isinstance(article, Mapping) else None
    return {
        "schema": "deadletter.v1",
        "reason": "alert_routing_failed",
        "error": f"the article was enriched but could not be handed to alert matching: {error}",
        "payload": payload[:max_payload_bytes].decode("utf-8", errors="ignore"),
        "payload_encoding": "utf-8",
        "payload_bytes": len(payload),
        "payload_truncated": len(payload) > max_payload_bytes,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "article_id": article_id if isinstance(article_id, str) else None,
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "received_at": iso(datetime.now(UTC)),
    }
