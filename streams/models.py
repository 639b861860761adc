"""Plain data that flows through the core. No Faust, no Kafka: the edges convert these to events.

Field names are the public contract of ``schemas/*.json``; the TypedDicts here are what the core
builds and what ``streams.events`` wraps into Faust Records for the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

SCHEMA_RAW = "article.raw.v1"
SCHEMA_ENRICHED = "article.enriched.v1"
SCHEMA_MENTION = "entity.mention.v1"
SCHEMA_STANCE = "stance.v1"
SCHEMA_DEADLETTER = "deadletter.v1"


@dataclass(slots=True)
class RawArticle:
    """An article as it enters the pipeline: text plus what its source told us about it."""

    article_id: str
    body: str
    title: str | None = None
    published: str | None = None  # ISO date or date-time, as the source gave it
    authors: list[str] = field(default_factory=list)
    url: str | None = None
    source: str = "replay"  # http | feed:<url> | file:<path> | replay
    ingested_at: str | None = None  # ISO-8601 UTC, set by whoever first produced it to articles.raw

    def to_event(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_RAW,
            "article_id": self.article_id,
            "title": self.title,
            "published": self.published,
            "authors": list(self.authors),
            "url": self.url,
            "source": self.source,
            "ingested_at": self.ingested_at,
            "body": self.body,
        }


class Span(TypedDict):
    start: int
    end: int
    text: str


class OffsetSpan(TypedDict):
    start: int
    end: int


class Entity(TypedDict):
    id: str
    name: str
    type: str
    mentions: list[Span]
    # Optional extras a stage may add (gazetteer link, aliases seen, per-entity sentiment, ...).
    wikidata: NotRequired[str | None]
    sentiment: NotRequired[float]  # mean target sentiment of its first mentions, [-1, 1]


class Quote(TypedDict):
    text: str
    start: int
    end: int
    speaker: str | None
    speaker_name: str | None
    speaker_span: OffsetSpan | None
    cue: str | None
    kind: Literal["direct", "indirect"]
    venue: NotRequired[str | None]
    found_by: NotRequired[Literal["frames", "cue-model"]]
    confidence: NotRequired[float | None]


class Stance(TypedDict):
    holder: str
    holder_name: str | None
    target: str
    target_name: str
    polarity: Literal["support", "oppose", "neutral"]
    sentiment: float
    confidence: float
    evidence: Span
    cue: str | None


class PublishedStance(Stance):
    schema: str
    article_id: str
    published: str | None
    enriched_at: str
    event_id: NotRequired[str]  # deterministic: the same input gives the same id (streams.processing)


class EnrichedArticle(TypedDict):
    schema: str
    article_id: str
    published: str | None
    authors: list[str]
    title: str | None
    body: str
    url: str | None
    source: str
    ingested_at: str | None
    enriched_at: str
    entities: list[Entity]
    quotes: list[Quote]
    stances: list[Stance]
    tone: dict[str, float]
    models: dict[str, str]
    event_id: NotRequired[str]  # deterministic: the same input gives the same id (streams.processing)


class EntityMention(TypedDict):
    schema: str
    article_id: str
    entity_id: str
    name: str
    type: str
    count: int
    mentions: list[Span]
    published: str | None
    source: str
    enriched_at: str
    event_id: NotRequired[str]  # deterministic: the same input gives the same id (streams.processing)


class DeadLetter(TypedDict):
    schema: str
    reason: str  # a stable machine-readable code, e.g. "invalid_json"
    error: str  # a sentence a human can act on
    payload: str
    payload_encoding: Literal["utf-8", "base64"]
    payload_bytes: int
    payload_truncated: bool
    payload_sha256: str
    article_id: str | None
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    received_at: str
    # not_english only: the language the body was detected in, {"code", "name", "confidence"}.
    language: NotRequired[dict[str, Any]]
    # deterministic: source topic, partition, offset and reason (the same message, the same id)
    event_id: NotRequired[str]
