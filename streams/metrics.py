"""Prometheus metrics of the worker, served at ``/metrics``. Defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ARTICLES_IN = Counter("stancewire_articles_in_total", "Messages read from the raw articles topic.")
ARTICLES_ENRICHED = Counter("stancewire_articles_enriched_total", "Articles enriched and published.")
ARTICLES_DUPLICATE = Counter(
    "stancewire_articles_duplicate_total", "Articles skipped because their article_id was already enriched."
)
ARTICLES_DEADLETTERED = Counter(
    "stancewire_articles_deadlettered_total", "Messages sent to the dead-letter topic.", ["reason"]
)
ARTICLES_ID_CONFLICT = Counter(
    "stancewire_articles_id_conflict_total",
    "Messages whose article_id was already enriched with a different body (dead-lettered as id_conflict,"
    " so also counted in stancewire_articles_deadlettered_total).",
)
STANCES_OUT = Counter("stancewire_stances_total", "stance events published.")
MENTIONS_OUT = Counter("stancewire_entity_mentions_total", "entity.mention events published.")
ENRICHMENT_SECONDS = Histogram(
    "stancewire_enrichment_latency_seconds",
    "Time to enrich one batch, observed once per article in it (the time each article waited on the model).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INGEST_TO_ENRICHED_SECONDS = Histogram(
    "stancewire_ingest_to_enriched_seconds",
    "From an article's ingested_at to its enriched event being sent.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
ENRICH_BUSY_SECONDS = Counter(
    "stancewire_enrich_busy_seconds",
    "Wall time the enrich thread spent on batches. Its rate is the thread's utilization: near 1 with a "
    "backlog means the NLP is the limit; well under 1 with a backlog, the work around it is.",
)
BATCH_SIZE = Histogram(
    "stancewire_batch_size", "Messages per processed batch.", buckets=(1, 2, 4, 8, 16, 32, 64, 128)
)
