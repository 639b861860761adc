"""The store's tables (SQLAlchemy Core): one code path for SQLite and PostgreSQL.

Keys are what makes the store idempotent: an article by its ``article_id``, a stance by a hash of
article, holder and target (the enricher keeps one stance per pair per article), a quote by article and
offsets, a mention by article, entity and offset, an alert by its ``fingerprint``. Times are text in
one fixed-width UTC form (streams/store/timefmt.py), so indexes on them order correctly everywhere.

``*_lc`` columns hold the lower-cased text that searches match against: SQLite's ``lower()`` folds
ASCII only, Python's folds every script, and both databases then compare plain strings.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("article_id", String(200), primary_key=True),
    Column("event_id", String(64)),
    Column("title", Text),
    Column("url", Text),
    Column("source", Text),
    Column("published", Text),
    Column("at", String(20), nullable=False),
    Column("day", String(10), nullable=False),
    Column("authors", JSON, nullable=False),
    Column("body", Text, nullable=False),
    Column("enriched_at", Text),
    Index("ix_articles_at", "at", "article_id"),
)

# The latest name, type and Wikidata id each entity was seen with (names are canonical per id; the
# latest wins when the gazetteer renames one).
entities = Table(
    "entities",
    metadata,
    Column("id", String(300), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_lc", Text, nullable=False),
    Column("type", String(40), nullable=False),
    Column("wikidata", String(40)),
)

# One row per entity per article: what the entity page's counts and timeline aggregate.
article_entities = Table(
    "article_entities",
    metadata,
    Column("article_id", String(200), primary_key=True),
    Column("entity_id", String(300), primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", String(40), nullable=False),
    Column("sentiment", Float),
    Column("mentions", Integer, nullable=False),
    Column("at", String(20), nullable=False),
    Column("day", String(10), nullable=False),
    Index("ix_article_entities_entity", "entity_id", "at"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("article_id", String(200), primary_key=True),
    Column("entity_id", String(300), primary_key=True),
    Column("start", Integer, primary_key=True),
    Column("end", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("text_lc", Text, nullable=False),
    Index("ix_mentions_entity", "entity_id", "text_lc"),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("article_id", String(200), nullable=False),
    Column("at", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("speaker", String(300)),
    Column("speaker_name", Text),
    Column("kind", String(20), nullable=False),
    Column("cue", Text),
    Column("found_by", String(20)),  # frames | cue-model; null for events written before 2026-12-07
    Column("confidence", Float),  # the cue model's probability; null for the frames'
    Index("ix_quotes_at", "at", "id"),
    Index("ix_quotes_speaker", "speaker", "at", "id"),
    Index("ix_quotes_article", "article_id"),
)

stances = Table(
    "stances",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("article_id", String(200), nullable=False),
    Column("at", String(20), nullable=False),
    Column("holder", String(300), nullable=False),
    Column("holder_name", Text),
    Column("target", String(300), nullable=False),
    Column("target_name", Text, nullable=False),
    Column("target_name_lc", Text, nullable=False),
    Column("target_kind", String(10), nullable=False),  # "entity" | "topic"
    Column("polarity", String(10), nullable=False),
    Column("sentiment", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("cue", Text),
    Column("evidence_start", Integer, nullable=False),
    Column("evidence_end", Integer, nullable=False),
    Column("evidence_text", Text, nullable=False),
    # Every list is newest first, (at, id) descending: each filter has an index that ends in that order,
    # so a page is an index range scan however many stances are stored (bench/store_query.py).
    Index("ix_stances_at", "at", "id"),
    Index("ix_stances_holder", "holder", "at", "id"),
    Index("ix_stances_target", "target", "at", "id"),
    Index("ix_stances_kind", "target_kind", "at", "id"),
    Index("ix_stances_article", "article_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("fingerprint", String(32), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("subscription_id", String(300), nullable=False),
    Column("subscription_name", Text),
    Column("article_id", String(200), nullable=False),
    Column("article_title", Text),
    Column("created_at", String(20), nullable=False),
    Column("event", JSON, nullable=False),  # the whole alert.v1 event, as the topic carried it
    Index("ix_alerts_created", "created_at", "fingerprint"),
    Index("ix_alerts_subscription", "subscription_id", "created_at", "fingerprint"),
    Index("ix_alerts_article", "article_id"),
)

#: The tables an article's re-enrichment replaces (everything keyed by article_id but the article).
ARTICLE_CHILDREN = (article_entities, mentions, quotes, stances)
