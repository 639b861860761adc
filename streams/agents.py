"""Thin Faust agents: read a topic, call the pure core, write topics. No judgment lives here."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import faust

from streams.enrich.pipeline import Enricher
from streams.events import DeadLetterEvent, EnrichedArticleEvent, EntityMentionEvent, StanceEvent
from streams.ingest import RawArticleDecoder
from streams.metrics import (
    ARTICLES_DEADLETTERED,
    ARTICLES_DUPLICATE,
    ARTICLES_ENRICHED,
    ARTICLES_IN,
    BATCH_SIZE,
    ENRICHMENT_SECONDS,
    INGEST_TO_ENRICHED_SECONDS,
    MENTIONS_OUT,
    STANCES_OUT,
)
from streams.processing import BatchProcessor, BatchResult, IncomingMessage
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


def build_processor(settings: Settings, enricher: Enricher | None = None) -> BatchProcessor:
    decoder = RawArticleDecoder.from_settings(settings)
    return BatchProcessor(
        decoder,
        enricher or Enricher.from_settings(settings),
        max_payload_bytes=settings.deadletter_payload_max_bytes,
    )


def register_enrichment(app: faust.App, topics: Any, settings: Settings) -> Any:
    """Declare the dedup table and the enrichment agent on ``app``. Returns the agent."""
    # article_id → when it was enriched. Keyed like articles.raw (by article_id) and partitioned by
    # the producer's partitioner, so a worker's table partitions line up with its raw partitions.
    seen = app.Table(
        "articles-seen",
        default=None,
        key_type=str,
        value_type=str,
        partitions=settings.topic_partitions,
        use_partitioner=True,
        help="article_ids already enriched: replays of the same article are skipped.",
    )
    # spaCy is CPU-bound; running it on one side thread keeps the event loop (heartbeats, /healthz,
    # producer flushes) responsive while a batch is parsed.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich")
    state: dict[str, BatchProcessor] = {}

    def processor() -> BatchProcessor:
        if "processor" not in state:  # load the model once per worker, on first use
            state["processor"] = build_processor(settings)
        return state["processor"]

    @app.task
    async def warm_up() -> None:
        await asyncio.get_running_loop().run_in_executor(executor, processor)
        log.info("enrichment model loaded: %s", processor().enricher.models)

    async def publish(result: BatchResult) -> None:
        for article in result.enriched:
            await topics.enriched.send(
                key=article["article_id"], value=EnrichedArticleEvent.from_core(article)
            )
            seen[article["article_id"]] = article["enriched_at"]
            latency = _seconds_since(article["ingested_at"])
            if latency is not None:
                INGEST_TO_ENRICHED_SECONDS.observe(latency)
        for mention in result.mentions:
            await topics.mentions.send(key=mention["entity_id"], value=EntityMentionEvent.from_core(mention))
        for stance in result.stances:
            key = f"{stance['holder']}|{stance['target']}"
            await topics.stances.send(key=key, value=StanceEvent.from_core(stance))
        for message, dead in result.dead:
            log.warning(
                "dead-lettered %s[%s]@%s: %s", message.topic, message.partition, message.offset, dead["error"]
            )
            await topics.deadletter.send(key=message.key, value=DeadLetterEvent.from_core(dead))
            ARTICLES_DEADLETTERED.labels(dead["reason"]).inc()
        ARTICLES_ENRICHED.inc(len(result.enriched))
        ARTICLES_DUPLICATE.inc(len(result.duplicates))
        MENTIONS_OUT.inc(len(result.mentions))
        STANCES_OUT.inc(len(result.stances))

    @app.agent(topics.raw, name="enrich-articles")
    async def enrich_articles(stream: AsyncIterable[Any]) -> None:
        loop = asyncio.get_running_loop()
        async for events in stream.take_events(settings.batch_size, within=settings.batch_within_s):  # type: ignore[attr-defined]
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
            started = time.perf_counter()
            result = await loop.run_in_executor(
                executor, processor().process, messages, lambda article_id: seen.get(article_id) is not None
            )
            elapsed = time.perf_counter() - started
            for _ in result.enriched:
                ENRICHMENT_SECONDS.observe(elapsed)
            await publish(result)

    return enrich_articles
