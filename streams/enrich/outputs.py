"""The events derived from an enriched article: one ``entity.mention`` per entity, one ``stance`` per
stance. Plain functions on plain data, apart from the pipeline so that the worker's event loop side
builds them without importing spaCy and the model runtime (which only its enrichment process needs)."""

from __future__ import annotations

from streams.models import SCHEMA_MENTION, SCHEMA_STANCE, EnrichedArticle, EntityMention, PublishedStance

__all__ = ["mention_events", "stance_events"]


def mention_events(article: EnrichedArticle) -> list[EntityMention]:
    """One ``entity.mention`` event per canonical entity of an enriched article."""
    return [
        EntityMention(
            schema=SCHEMA_MENTION,
            article_id=article["article_id"],
            entity_id=entity["id"],
            name=entity["name"],
            type=entity["type"],
            count=len(entity["mentions"]),
            mentions=entity["mentions"],
            published=article["published"],
            source=article["source"],
            enriched_at=article["enriched_at"],
        )
        for entity in article["entities"]
    ]


def stance_events(article: EnrichedArticle) -> list[PublishedStance]:
    """One ``stance`` event per stance of an enriched article (key: ``holder|target``)."""
    return [
        PublishedStance(
            schema=SCHEMA_STANCE,
            article_id=article["article_id"],
            published=article["published"],
            enriched_at=article["enriched_at"],
            **stance,
        )
        for stance in article["stances"]
    ]
