"""Events to rows, pure: an ``article.enriched.v1`` or ``alert.v1`` dict in, plain row dicts out.

Row ids are derived from the event's content, never from when or how often it arrived: that is what
lets the writer upsert and a replay land on the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from streams.store.timefmt import day_of, event_time, normalize

TOPIC_PREFIX = "topic:"


def row_id(*parts: object) -> str:
    """32 hex characters of SHA-256 over the parts (unit-separator joined, so parts cannot run together)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def stance_id(article_id: str, holder: str, target: str) -> str:
    return row_id("stance", article_id, holder, target)


def quote_id(article_id: str, start: int, end: int) -> str:
    return row_id("quote", article_id, start, end)


def target_kind(target: str) -> str:
    return "topic" if target.startswith(TOPIC_PREFIX) else "entity"


@dataclass(slots=True)
class ArticleRows:
    article: dict[str, Any]
    entities: list[dict[str, Any]] = field(default_factory=list)
    article_entities: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    stances: list[dict[str, Any]] = field(default_factory=list)


def _unique(rows: list[dict[str, Any]], *key: str) -> list[dict[str, Any]]:
    # A key twice in one insert would be refused (primary key) or, in PostgreSQL's upsert, an error
    # ("cannot affect row a second time"): the last one wins, as a later event would.
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        out[tuple(row[k] for k in key)] = row
    return list(out.values())


def article_rows(event: Mapping[str, Any]) -> ArticleRows:
    article_id = event["article_id"]
    at = event_time(event.get("published"), event.get("enriched_at"))
    day = day_of(at)
    rows = ArticleRows(
        article={
            "article_id": article_id,
            "event_id": event.get("event_id"),
            "title": event.get("title"),
            "url": event.get("url"),
            "source": event.get("source"),
            "published": event.get("published"),
            "at": at,
            "day": day,
            "authors": list(event.get("authors") or []),
            "body": event["body"],
            "enriched_at": event.get("enriched_at"),
        }
    )
    for entity in event.get("entities") or []:
        spans = entity.get("mentions") or []
        rows.entities.append(
            {
                "id": entity["id"],
                "name": entity["name"],
                "name_lc": entity["name"].lower(),
                "type": entity["type"],
                "wikidata": entity.get("wikidata"),
            }
        )
        sentiment = entity.get("sentiment")
        rows.article_entities.append(
            {
                "article_id": article_id,
                "entity_id": entity["id"],
                "name": entity["name"],
                "type": entity["type"],
                "sentiment": float(sentiment) if isinstance(sentiment, int | float) else None,
                "mentions": len(spans),
                "at": at,
                "day": day,
            }
        )
        for span in spans:
            rows.mentions.append(
                {
                    "article_id": article_id,
                    "entity_id": entity["id"],
                    "start": span["start"],
                    "end": span["end"],
                    "text": span["text"],
                    "text_lc": span["text"].lower(),
                }
            )
    for quote in event.get("quotes") or []:
        rows.quotes.append(
            {
                "id": quote_id(article_id, quote["start"], quote["end"]),
                "article_id": article_id,
                "at": at,
                "text": quote["text"],
                "start": quote["start"],
                "end": quote["end"],
                "speaker": quote.get("speaker"),
                "speaker_name": quote.get("speaker_name"),
                "kind": quote["kind"],
                "cue": quote.get("cue"),
                "found_by": quote.get("found_by"),
                "confidence": quote.get("confidence"),
            }
        )
    for stance in event.get("stances") or []:
        evidence = stance["evidence"]
        rows.stances.append(
            {
                "id": stance_id(article_id, stance["holder"], stance["target"]),
                "article_id": article_id,
                "at": at,
                "holder": stance["holder"],
                "holder_name": stance.get("holder_name"),
                "target": stance["target"],
                "target_name": stance["target_name"],
                "target_name_lc": stance["target_name"].lower(),
                "target_kind": target_kind(stance["target"]),
                "polarity": stance["polarity"],
                "sentiment": float(stance["sentiment"]),
                "confidence": float(stance["confidence"]),
                "cue": stance.get("cue"),
                "evidence_start": evidence["start"],
                "evidence_end": evidence["end"],
                "evidence_text": evidence["text"],
            }
        )
    rows.entities = _unique(rows.entities, "id")
    rows.article_entities = _unique(rows.article_entities, "entity_id")
    rows.mentions = _unique(rows.mentions, "entity_id", "start")
    rows.quotes = _unique(rows.quotes, "id")
    rows.stances = _unique(rows.stances, "id")
    return rows


def alert_row(event: Mapping[str, Any]) -> dict[str, Any]:
    article = event.get("article") or {}
    return {
        "fingerprint": event["fingerprint"],
        "kind": event["kind"],
        "subscription_id": event["subscription_id"],
        "subscription_name": event.get("subscription_name"),
        "article_id": event["article_id"],
        "article_title": article.get("title"),
        "created_at": normalize(event.get("created_at")) or "1970-01-01T00:00:00Z",
        "event": dict(event),
    }
