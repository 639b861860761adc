"""One batch of raw messages → enriched articles, entity mentions and dead letters. Pure.

The Faust agent hands in plain ``IncomingMessage``s and writes what comes back; everything that
decides (validation, dedup within and across batches, enrichment, fallbacks) is here and testable
without Kafka. Invariant: every message in ends up in exactly one of enriched, duplicates, dead.

Ids decide, bodies check: the dedup table holds, per ``article_id``, the hash of the body that was
enriched under it (``seen_mark``). The same id with the same body again is a duplicate (skipped
silently); the same id with a *different* body is a conflict, dead-lettered as ``id_conflict`` (the
first body keeps the id). Every output event carries an ``event_id`` derived only from the input
(article id, body hash, and the entity / stance / source position it is about), so an article
processed twice (a crash between the outputs and the offset commit) yields events with the same ids.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from streams.clock import utc_now_iso
from streams.enrich.outputs import mention_events, stance_events
from streams.ingest import InvalidArticle, RawArticleDecoder
from streams.ingest.ids import normalize_for_id
from streams.models import (
    SCHEMA_DEADLETTER,
    SCHEMA_ENRICHED,
    SCHEMA_MENTION,
    SCHEMA_STANCE,
    DeadLetter,
    EnrichedArticle,
    EntityMention,
    PublishedStance,
    RawArticle,
)

if TYPE_CHECKING:
    from streams.enrich.pipeline import Enricher

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
    # article_id → the message it came from (to dead-letter it if publishing its outputs fails)
    sources: dict[str, IncomingMessage] = field(default_factory=dict)
    # article_id → the hash of the body enriched under it (what the dedup mark keeps)
    body_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def conflicts(self) -> int:
        return sum(1 for _, dead in self.dead if dead["reason"] == "id_conflict")

    @property
    def count(self) -> int:
        return len(self.enriched) + len(self.dead) + len(self.duplicates)

    def extend(self, other: BatchResult) -> None:
        """Add ``other``'s outcomes (a batch processed in parts: each message is in one part)."""
        self.enriched += other.enriched
        self.mentions += other.mentions
        self.stances += other.stances
        self.dead += other.dead
        self.duplicates += other.duplicates
        self.sources.update(other.sources)
        self.body_hashes.update(other.body_hashes)


def body_sha256(body: str) -> str:
    """The hash that tells two bodies under one id apart (normalized like article ids: whitespace and
    case differences between two copies of one story are the same body)."""
    return hashlib.sha256(normalize_for_id(body).encode("utf-8")).hexdigest()


def event_id(*parts: object) -> str:
    """A deterministic id for an output event: the same input always gives the same id."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def seen_mark(article: EnrichedArticle, body_hash: str) -> dict[str, str]:
    """What the dedup table keeps for an enriched article id."""
    return {"body_sha256": body_hash, "enriched_at": article["enriched_at"]}


def known_body(mark: Any) -> str | None:
    """The body hash of a dedup mark; None for marks that predate hashes (or a plain "seen")."""
    if isinstance(mark, dict):
        value = mark.get("body_sha256")
        return value if isinstance(value, str) else None
    return None


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
        event_id=event_id(SCHEMA_DEADLETTER, message.topic, message.partition, message.offset, error.reason),
    )
    if error.language is not None:
        dead["language"] = error.language
    return dead


class BatchProcessor:
    """Built once per worker: holds the decoder (compiled schema) and the enricher (loaded model)."""

    def __init__(
        self,
        decoder: RawArticleDecoder,
        enricher: Enricher,
        *,
        max_payload_bytes: int = 65536,
        chunk_chars: int = 50_000,
    ) -> None:
        self.decoder = decoder
        self.enricher = enricher
        self.max_payload_bytes = max_payload_bytes
        self.chunk_chars = chunk_chars

    def process(self, messages: Sequence[IncomingMessage], already_seen: Callable[[str], Any]) -> BatchResult:
        """``already_seen(article_id)`` returns the dedup mark of the id (``seen_mark``), or something
        falsy when the id is new; a truthy mark without a body hash counts as the same body."""
        result = BatchResult()
        articles: list[RawArticle] = []
        sources: list[IncomingMessage] = []
        batch_bodies: dict[str, str] = {}
        for message in messages:
            try:
                article = self.decoder.decode(message.value)
            except InvalidArticle as error:
                result.dead.append(
                    (message, dead_letter(message, error, max_payload_bytes=self.max_payload_bytes))
                )
                continue
            digest = body_sha256(article.body)
            mark = batch_bodies.get(article.article_id)
            if mark is None:
                seen = already_seen(article.article_id)
                mark = (known_body(seen) or "?") if seen else None
            if mark is not None:
                if mark in (digest, "?"):
                    result.duplicates.append(article.article_id)
                else:
                    conflict = InvalidArticle(
                        "id_conflict",
                        f"article_id {article.article_id!r} was already enriched with a different body "
                        f"(sha256 {mark[:16]}…, this one {digest[:16]}…); the first body keeps the id: "
                        "send a changed article under a new id",
                        article_id=article.article_id,
                    )
                    result.dead.append(
                        (message, dead_letter(message, conflict, max_payload_bytes=self.max_payload_bytes))
                    )
                continue
            batch_bodies[article.article_id] = digest
            result.body_hashes[article.article_id] = digest
            articles.append(article)
            sources.append(message)
            result.sources[article.article_id] = message
        for enriched in self._enrich(articles, sources, result):
            digest = result.body_hashes[enriched["article_id"]]
            enriched["event_id"] = event_id(SCHEMA_ENRICHED, enriched["article_id"], digest)
            result.enriched.append(enriched)
            for mention in mention_events(enriched):
                mention["event_id"] = event_id(
                    SCHEMA_MENTION, mention["article_id"], digest, mention["entity_id"]
                )
                result.mentions.append(mention)
            for index, stance in enumerate(stance_events(enriched)):
                stance["event_id"] = event_id(SCHEMA_STANCE, stance["article_id"], digest, index)
                result.stances.append(stance)
        return result

    def _enrich(
        self, articles: list[RawArticle], sources: list[IncomingMessage], result: BatchResult
    ) -> list[EnrichedArticle]:
        """Articles in, in order; long ones (over ``chunk_chars``) enriched part by part."""
        done: dict[str, EnrichedArticle] = {}
        short = [(a, m) for a, m in zip(articles, sources, strict=True) if len(a.body) <= self.chunk_chars]
        for enriched in self._enrich_short([a for a, _ in short], [m for _, m in short], result):
            done[enriched["article_id"]] = enriched
        for article, message in zip(articles, sources, strict=True):
            if len(article.body) <= self.chunk_chars:
                continue
            try:
                done[article.article_id] = self._enrich_long(article)
            except Exception as exc:
                log.exception("enrichment failed for article %s", article.article_id)
                self._failed(article, message, exc, result)
        return [done[a.article_id] for a in articles if a.article_id in done]

    def _enrich_long(self, article: RawArticle) -> EnrichedArticle:
        """One part at a time, so that the parse of a 1 MB body never sits in memory whole (a single
        parse of 990 KB took the worker over 3 GB); the parts are merged back onto the whole body."""
        parts = []
        for start, text in split_body(article.body, self.chunk_chars):
            part = replace(article, body=text)
            (enriched,) = self.enricher.enrich_batch([part])
            parts.append((start, enriched))
        return merge_parts(article, parts)

    def _enrich_short(
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
                self._failed(article, message, exc, result)
        return enriched

    def _failed(
        self, article: RawArticle, message: IncomingMessage, exc: Exception, result: BatchResult
    ) -> None:
        error = InvalidArticle(
            "enrichment_failed",
            f"enrichment raised {type(exc).__name__}: {exc}",
            article_id=article.article_id,
        )
        result.dead.append((message, dead_letter(message, error, max_payload_bytes=self.max_payload_bytes)))


def split_body(body: str, max_chars: int) -> list[tuple[int, str]]:
    """``body`` cut into parts of at most ``max_chars`` (start offset, text), each ending at a paragraph
    break if there is one in the second half of the part, else at a sentence end, else at a space."""
    parts: list[tuple[int, str]] = []
    start = 0
    while len(body) - start > max_chars:
        limit = start + max_chars
        half = start + max_chars // 2
        cut = -1
        for mark, keep in (("\n\n", 2), ("\n", 1), (". ", 2), ("? ", 2), ("! ", 2), (" ", 1)):
            found = body.rfind(mark, half, limit - keep + 1)
            if found != -1:
                cut = found + keep
                break
        if cut == -1:
            cut = limit
        parts.append((start, body[start:cut]))
        start = cut
    parts.append((start, body[start:]))
    return parts


def _shift(span: Any, by: int) -> Any:
    if isinstance(span, dict) and isinstance(span.get("start"), int) and isinstance(span.get("end"), int):
        return {**span, "start": span["start"] + by, "end": span["end"] + by}
    return span


def merge_parts(article: RawArticle, parts: list[tuple[int, EnrichedArticle]]) -> EnrichedArticle:
    """The enrichments of a body's parts as one enrichment of the whole body: offsets shifted onto it,
    an entity found in several parts merged into one (its first part's name, type and sentiment), tone
    recomputed from the parts' word counts. What no part can see — a surname in one part linked to the
    full name in another — stays as each part resolved it."""
    first = parts[0][1]
    entities: dict[str, Any] = {}
    quotes: list[Any] = []
    stances: list[Any] = []
    words = positive = negative = 0.0
    for start, part in parts:
        for entity in part["entities"]:
            mentions = [_shift(m, start) for m in entity["mentions"]]
            if entity["id"] in entities:
                entities[entity["id"]]["mentions"].extend(mentions)
            else:
                entities[entity["id"]] = {**entity, "mentions": mentions}
        for quote in part["quotes"]:
            quote = _shift(quote, start)
            quotes.append({**quote, "speaker_span": _shift(quote.get("speaker_span"), start)})
        for stance in part["stances"]:
            stances.append({**stance, "evidence": _shift(stance["evidence"], start)})
        count = float(part["tone"].get("words", 0))
        words += count
        positive += part["tone"].get("positive", 0.0) * count / 100
        negative += part["tone"].get("negative", 0.0) * count / 100
    pos = 100.0 * positive / words if words else 0.0
    neg = 100.0 * negative / words if words else 0.0
    merged: EnrichedArticle = {
        **first,
        "body": article.body,
        "enriched_at": parts[-1][1]["enriched_at"],
        "entities": list(entities.values()),
        "quotes": quotes,
        "stances": stances,
        "tone": {
            "tone": round(pos - neg, 3),
            "positive": round(pos, 3),
            "negative": round(neg, 3),
            "polarity": round(pos + neg, 3),
            "words": int(words),
        },
    }
    return merged
