"""Thin Faust agents: read a topic, call the pure core, write topics. No judgment lives here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

import faust

from streams.acks import acknowledged, send, until_acked
from streams.enrich_runner import runner_for
from streams.events import DeadLetterEvent, EnrichedArticleEvent, EntityMentionEvent, StanceEvent
from streams.ingest import InvalidArticle
from streams.metrics import (
    ARTICLES_DEADLETTERED,
    ARTICLES_DUPLICATE,
    ARTICLES_ENRICHED,
    ARTICLES_ID_CONFLICT,
    ARTICLES_IN,
    BATCH_SIZE,
    ENRICH_BUSY_SECONDS,
    ENRICHMENT_SECONDS,
    INGEST_TO_ENRICHED_SECONDS,
    MENTIONS_OUT,
    STANCES_OUT,
)
from streams.processing import BatchResult, IncomingMessage, dead_letter, seen_mark
from streams.settings import Settings

log = logging.getLogger(__name__)


def _seconds_since(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


def register_enrichment(app: faust.App, topics: Any, settings: Settings) -> Any:
    """Declare the dedup table and the enrichment agent on ``app``. Returns the agent."""
    # article_id → {"body_sha256", "enriched_at"} (older marks: the enriched_at string). Keyed like
    # articles.raw (by article_id) and partitioned by the producer's partitioner, so a worker's table
    # partitions line up with its raw partitions. The body hash tells a replay (same body: duplicate)
    # from an id conflict (different body: dead-lettered). Keys are the article id's UTF-8 bytes, as
    # on articles.raw: with str keys Faust wrote them JSON-quoted ('"id"'), which hashes to another
    # partition than the raw message's, so after a rebalance a worker often did not hold the mark of
    # an article it was re-reading and enriched it again.
    seen = app.Table(
        "articles-seen",
        default=None,
        key_type=bytes,
        partitions=settings.topic_partitions,
        use_partitioner=True,
        help="article_ids already enriched: replays of the same article are skipped.",
    )
    # spaCy is CPU-bound: it runs in a process of its own (or on a side thread), which keeps the event
    # loop (heartbeats, /healthz, producer flushes, stories, alerts) responsive while a batch is parsed.
    runner = runner_for(settings)

    async def process(messages: list[IncomingMessage], already_seen: Any) -> BatchResult:
        started = time.perf_counter()
        try:
            result = await runner.process(messages, already_seen)
        finally:
            elapsed = time.perf_counter() - started
            ENRICH_BUSY_SECONDS.inc(elapsed)
        for _ in result.enriched:  # timed here: the agent also waits for the batch before this one
            ENRICHMENT_SECONDS.observe(elapsed)
        return result

    # The models load as soon as the worker process starts. Faust starts app tasks only after the
    # first rebalance and table recovery, so a worker restarted after a crash used to wait out the
    # broker's session timeout for its partitions and only then load the models before its first
    # batch: one after the other, where they can run side by side (docs/ingestion.md, "What a
    # consumer sees after a worker crash"). A worker run without Faust's worker command (no
    # on_worker_init) loads them on its first batch.
    @app.on_worker_init.connect
    def warm_up(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        runner.start()  # Faust sends the signal more than once: start() loads once

    @app.on_before_shutdown.connect
    async def stop_runner(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        runner.close()  # the child ends after its batch; the interpreter's exit waits for it

    async def publish(result: BatchResult) -> None:
        # 1. Hand every output to the producer, remembering which article each one belongs to.
        pending: list[tuple[str, str, Awaitable[Any]]] = []
        for article in result.enriched:
            sent = await send(
                topics.enriched, key=article["article_id"], value=EnrichedArticleEvent.from_core(article)
            )
            pending.append((article["article_id"], topics.enriched.get_topic_name(), sent))
        for mention in result.mentions:
            sent = await send(
                topics.mentions, key=mention["entity_id"], value=EntityMentionEvent.from_core(mention)
            )
            pending.append((mention["article_id"], topics.mentions.get_topic_name(), sent))
        for stance in result.stances:
            key = f"{stance['holder']}|{stance['target']}"
            sent = await send(topics.stances, key=key, value=StanceEvent.from_core(stance))
            pending.append((stance["article_id"], topics.stances.get_topic_name(), sent))
        # 2. Wait for the broker's acknowledgement of each (retrieving every failure: none is left
        # to "exception was never retrieved").
        failures = await acknowledged(pending)
        # 3. Only now the dedup marks: an id is marked once its outputs are on the broker. An article
        # with an output refused is dead-lettered with the reason and not marked (a replay retries it).
        dead = list(result.dead)
        enriched = 0
        for article in result.enriched:
            article_id = article["article_id"]
            if article_id in failures:
                message = result.sources[article_id]
                error = InvalidArticle(
                    "publish_failed",
                    f"enriched, but Kafka refused an output event: {failures[article_id]}",
                    article_id=article_id,
                )
                dead.append(
                    (
                        message,
                        dead_letter(message, error, max_payload_bytes=settings.deadletter_payload_max_bytes),
                    )
                )
                continue
            seen[article_id.encode()] = seen_mark(article, result.body_hashes[article_id])
            enriched += 1
            latency = _seconds_since(article["ingested_at"])
            if latency is not None:
                INGEST_TO_ENRICHED_SECONDS.observe(latency)
        letters: list[tuple[int, str, Awaitable[Any]]] = []
        for index, (message, letter) in enumerate(dead):
            log.warning(
                "dead-lettered %s[%s]@%s: %s",
                message.topic,
                message.partition,
                message.offset,
                letter["error"],
            )
            sent = await send(topics.deadletter, key=message.key, value=DeadLetterEvent.from_core(letter))
            letters.append((index, topics.deadletter.get_topic_name(), sent))
        for index in await acknowledged(letters):  # the rare refused one: again until it is taken
            message, letter = dead[index]
            await until_acked(topics.deadletter, key=message.key, value=DeadLetterEvent.from_core(letter))
        for _, letter in dead:
            ARTICLES_DEADLETTERED.labels(letter["reason"]).inc()
            if letter["reason"] == "id_conflict":
                ARTICLES_ID_CONFLICT.inc()
        ARTICLES_ENRICHED.inc(enriched)
        ARTICLES_DUPLICATE.inc(len(result.duplicates))
        MENTIONS_OUT.inc(len(result.mentions))
        STANCES_OUT.inc(len(result.stances))

    @app.agent(topics.raw, name="enrich-articles")
    async def enrich_articles(stream: Any) -> None:
        # Two batches in flight: batch N is parsed on the enrich thread while the event loop hands
        # batch N-1's outputs to the broker and waits for their acknowledgements, so the enrich thread
        # does not sit idle through every round trip (docs/performance.md, "Pipelined batches").
        # Faust acknowledges a taken batch as soon as this loop moves on to the next; each message
        # therefore carries a reference of ours, released only once its batch is published, so that
        # an offset is never committed over an article whose outputs are not on the broker.
        # article_id → body hash of the articles parsed and not yet marked in ``seen``: batch N's
        # dedup reads them, since batch N-1's marks are written while N is already being parsed.
        unmarked: dict[str, str] = {}
        publishing: asyncio.Future[None] | None = None

        def already_seen(article_id: str) -> Any:
            body = unmarked.get(article_id)
            return {"body_sha256": body} if body is not None else seen.get(article_id.encode())

        async def publish_then_ack(result: BatchResult, events: list[Any]) -> None:
            # Not acknowledged when publishing fails: the messages are read again after the next
            # rebalance (the health watchdog asks for one when a partition stops committing).
            await publish(result)
            for article in result.enriched:
                unmarked.pop(article["article_id"], None)
            for event in events:
                # Our reference is the last (Faust dropped its own when the loop moved on): this
                # ack is the one the commit counts.
                if event.ack():
                    app.sensors.on_message_out(event.message.tp, event.message.offset, event.message)

        async for events in stream.take_events(settings.batch_size, within=settings.batch_within_s):
            for event in events:
                event.message.incref()
            messages = [
                IncomingMessage(
                    value=event.value,
                    key=event.key,
                    topic=event.message.topic,
                    partition=event.message.partition,
                    offset=event.message.offset,
                )
                for event in events
            ]
            ARTICLES_IN.inc(len(messages))
            BATCH_SIZE.observe(len(messages))
            parsing = asyncio.ensure_future(process(messages, already_seen))
            if publishing is not None:
                await publishing  # batch N-1 goes out while batch N is parsed; its failure stops here
            result = await parsing
            unmarked.update({a["article_id"]: result.body_hashes[a["article_id"]] for a in result.enriched})
            publishing = asyncio.ensure_future(publish_then_ack(result, list(events)))

    return enrich_articles
