"""One batch of raw messages → enriched articles, entity mentions and dead letters. Pure.

The Faust agent hands in plain ``IncomingMessage``s and writes what comes back; everything that
decides (validation, dedup within and across batches, enrichment, fallbacks) is here and testable
without Kafka. Invariant: every message in ends up in exactly one of enriched, duplicates, dead.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from streams.clock import utc_now_iso
from streams.enrich.pipeline import Enricher, mention_events, stance_events
from streams.ingest import InvalidArticle, RawArticleDecoder
from streams.models import (
    SCHEMA_DEADLETTER,
    DeadLetter,
    EnrichedArticle,
    EntityMention,
    PublishedStance,
    RawArticle,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    value: bytes | None
    key: bytes | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(slots=True)
class BatchResult:
    enriched: list[EnrichedArticle] = field(default_factory=list)
    mentions: list[EntityMention] = field(default_factory=list)
    stances: list[PublishedStance] = field(default_factory=list)
    dead: list[tuple[IncomingMessage, DeadLetter]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.enriched) + len(self.dead) + len(self.duplicates)


def dead_letter(message: IncomingMessage, error: InvalidArticle, *, max_payload_bytes: int) -> DeadLetter:
    payload = message.value or b""
    kept = payload[:max_payload_bytes]
    try:
        text, encoding = kept.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Cutting may split a multi-byte character; only call it binary if the whole payload is.
        try:
            payload.decode("utf-8")
            text, encoding = kept.decode("utf-8", errors="ignore"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(kept).decode("ascii"), "base64"
    dead = DeadLetter(
        schema=SCHEMA_DEADLETTER,
        reason=error.reason,
        error=error.message,
        payload=text,
        payload_encoding=encoding,  # type: ignore[typeddict-item]
        payload_bytes=len(payload),
        payload_truncated=len(payload) > max_payload_bytes,
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        article_id=error.article_id,
        source_topic=message.topic,
        source_partition=message.partition,
        source_offset=message.offset,
        received_at=utc_now_iso(),
    )
    if error.language is not None:
        dead["language"] = error.language
    return dead


class BatchProcessor:
    """Built once per worker: holds the decoder (compiled schema) and the enricher (loaded model)."""

    def __init__(
        self, decoder: RawArticleDecoder, enricher: Enricher, *, max_payload_bytes: int = 65536
    ) -> None:
        self.decoder = decoder
        self.enricher = enricher
        self.max_payload_bytes = max_payload_bytes

    def process(
        self, messages: Sequence[IncomingMessage], already_seen: Callable[[str], bool]
    ) -> BatchResult:
        result = BatchResult()
        articles: list[RawArticle] = []
        sources: list[IncomingMessage] = []
        batch_ids: set[str] = set()
        for message in messages:
            try:
                article = self.decoder.decode(message.value)
            except InvalidArticle as error:
                result.dead.append(
                    (message, dead_letter(message, error, max_payload_bytes=self.max_payload_bytes))
                )
                continue
            if article.article_id in batch_ids or already_seen(article.article_id):
                result.duplicates.append(article.article_id)
                continue
            batch_ids.add(article.article_id)
            articles.append(article)
            sources.append(message)
        for enriched in self._enrich(articles, sources, result):
            result.enriched.append(enriched)
            result.mentions.extend(mention_events(enriched))
            result.stances.extend(stance_events(enriched))
        return result

    def _enrich(
        self, articles: list[RawArticle], sources: list[IncomingMessage], result: BatchResult
    ) -> list[EnrichedArticle]:
        if not articles:
            return []
        try:
            return self.enricher.enrich_batch(articles)
        except Exception:
            log.exception("batch enrichment failed; retrying the %d articles one by one", len(articles))
        enriched: list[EnrichedArticle] = []
        for article, message in zip(articles, sources, strict=True):
            try:
                enriched.extend(self.enricher.enrich_batch([article]))
            except Exception as exc:  # one poisonous article must not take the worker down
                log.exception("enrichment failed for article %s", article.article_id)
                error = InvalidArticle(
                    "enrichment_failed",
                    f"enrichment raised {type(exc).__name__}: {exc}",
                    article_id=article.article_id,
                )
                result.dead.append(
                    (message, dead_letter(message, error, max_payload_bytes=self.max_payload_bytes))
                )
        return enriched
