"""The wire types: one Faust Record per topic schema, serialized with orjson.

The core builds plain TypedDicts (``streams.models``); these Records are the thin layer that puts them
on Kafka. ``include_metadata=False`` keeps Faust's ``__faust`` key out of the JSON, so what outside
consumers read is exactly what ``schemas/*.json`` describe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
import orjson
from faust.serializers import codecs


class OrjsonCodec(codecs.Codec):
    """orjson on every path: several times faster than the stdlib json Faust uses by default."""

    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def _loads(self, s: bytes) -> Any:
        return orjson.loads(s)


codecs.register("orjson", OrjsonCodec())


class Event(faust.Record, abstract=True, serializer="orjson", include_metadata=False):
    @classmethod
    def from_core(cls, data: Mapping[str, Any]) -> Event:
        return cls(**data)


class EnrichedArticleEvent(Event):
    schema: str
    article_id: str
    published: str | None
    authors: list[str]
    title: str | None
    body: str
    url: str | None
    source: str | None
    ingested_at: str | None
    enriched_at: str
    entities: list[dict[str, Any]]
    quotes: list[dict[str, Any]]
    stances: list[dict[str, Any]]
    tone: dict[str, float]
    models: dict[str, str]
    event_id: str | None = None


class EntityMentionEvent(Event):
    schema: str
    article_id: str
    entity_id: str
    name: str
    type: str
    count: int
    mentions: list[dict[str, Any]]
    published: str | None
    source: str | None
    enriched_at: str
    event_id: str | None = None


class StanceEvent(Event):
    schema: str
    article_id: str
    holder: str
    holder_name: str | None
    target: str
    target_name: str
    polarity: str
    sentiment: float
    confidence: float
    cue: str | None
    evidence: dict[str, Any]
    published: str | None
    enriched_at: str
    event_id: str | None = None


class DeadLetterEvent(Event):
    schema: str
    reason: str
    error: str
    payload: str
    payload_encoding: str
    payload_bytes: int
    payload_truncated: bool
    payload_sha256: str
    article_id: str | None
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    received_at: str
    language: dict[str, Any] | None = None
    event_id: str | None = None
