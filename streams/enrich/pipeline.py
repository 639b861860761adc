"""The enrichment pipeline: the one place that knows the order of the stages.

``Enricher.enrich_batch`` runs spaCy once over a batch (``nlp.pipe``), then the pure stages on each
doc — entities → quotes → stance candidates — then the target-sentiment model ONCE for the whole
batch (every stance target and entity mention that needs a score, deduplicated), then stances, entity
sentiment and tone. Build one Enricher per process and reuse it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from streams.clock import utc_now_iso
from streams.enrich.entities import EntityResolver
from streams.enrich.nlp import load_nlp, model_version
from streams.enrich.quotes import QuoteAttributor
from streams.enrich.stances import StanceCandidate, StanceExtractor
from streams.enrich.tone import article_tone, entity_items, vader_lexicon
from streams.enrich.topics import TopicCatalog
from streams.models import (
    SCHEMA_ENRICHED,
    SCHEMA_MENTION,
    SCHEMA_STANCE,
    EnrichedArticle,
    Entity,
    EntityMention,
    PublishedStance,
    Quote,
    RawArticle,
)
from streams.sentiment.base import SentimentScorer, TargetSentiment
from streams.settings import Settings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    article: RawArticle
    doc: Doc
    entities: list[Entity]
    quotes: list[Quote]
    candidates: list[StanceCandidate]
    entity_items: list[tuple[int, tuple[str, int, int]]]


class Enricher:
    def __init__(
        self,
        nlp: Language,
        *,
        resolver: EntityResolver | None = None,
        quotes: QuoteAttributor | None = None,
        stances: StanceExtractor | None = None,
        scorer: SentimentScorer | None = None,
        batch_size: int = 16,
    ) -> None:
        self.nlp = nlp
        self.resolver = resolver or EntityResolver()
        self.quotes = quotes or QuoteAttributor()
        self.stances = stances or StanceExtractor(TopicCatalog.from_paths(nlp))
        self.scorer = scorer
        self.batch_size = batch_size
        self.lexicon = vader_lexicon()
        self.models = {
            "spacy": model_version(nlp),
            "gazetteer": self.resolver.version,
            "topics": self.stances.topics.version,
        }
        if scorer is not None:
            self.models["sentiment"] = str(getattr(scorer, "version", getattr(scorer, "name", "unknown")))

    @classmethod
    def from_settings(cls, settings: Settings) -> Enricher:
        nlp = load_nlp(settings.spacy_model)
        scorer = load_scorer(settings)
        return cls(
            nlp,
            resolver=EntityResolver.from_settings(settings),
            stances=StanceExtractor(TopicCatalog.from_paths(nlp, settings.topics_extra)),
            scorer=scorer,
            batch_size=settings.batch_size,
        )

    def enrich_batch(self, articles: Sequence[RawArticle]) -> list[EnrichedArticle]:
        docs = self.nlp.pipe((article.body for article in articles), batch_size=self.batch_size)
        pending = [self._parse(article, doc) for article, doc in zip(articles, docs, strict=True)]
        scores = self._score(pending)
        return [self._finish(p, scores) for p in pending]

    def enrich_stream(self, articles: Iterable[RawArticle]) -> Iterator[EnrichedArticle]:
        """Enrich lazily, ``batch_size`` articles at a time, in order (the CLI's ``analyze``)."""
        source = iter(articles)
        while batch := list(islice(source, self.batch_size)):
            yield from self.enrich_batch(batch)

    def _parse(self, article: RawArticle, doc: Doc) -> _Pending:
        entities = self.resolver.resolve(doc, article.published)
        quotes = self.quotes.attribute(doc, entities)
        candidates = self.stances.candidates(doc, entities, quotes)
        return _Pending(article, doc, entities, quotes, candidates, entity_items(doc, entities))

    def _score(self, pending: list[_Pending]) -> dict[tuple[str, int, int], TargetSentiment]:
        if self.scorer is None:
            return {}
        unique = list(
            dict.fromkeys(
                [c.item for p in pending for c in p.candidates]
                + [item for p in pending for _, item in p.entity_items]
            )
        )
        if not unique:
            return {}
        return dict(zip(unique, self.scorer.predict(unique), strict=True))

    def _finish(self, p: _Pending, scores: dict[tuple[str, int, int], TargetSentiment]) -> EnrichedArticle:
        stances = self.stances.finalize(p.doc.text, p.candidates, [scores.get(c.item) for c in p.candidates])
        per_entity: dict[int, list[float]] = {}
        for position, item in p.entity_items:
            if item in scores:
                per_entity.setdefault(position, []).append(scores[item].score)
        for position, values in per_entity.items():
            p.entities[position]["sentiment"] = round(sum(values) / len(values), 4)
        article = p.article
        return EnrichedArticle(
            schema=SCHEMA_ENRICHED,
            article_id=article.article_id,
            published=article.published,
            authors=list(article.authors),
            title=article.title,
            body=article.body,
            url=article.url,
            source=article.source,
            ingested_at=article.ingested_at,
            enriched_at=utc_now_iso(),
            entities=p.entities,
            quotes=p.quotes,
            stances=stances,
            tone=article_tone(p.doc, self.lexicon),
            models=dict(self.models),
        )


def load_scorer(settings: Settings) -> SentimentScorer | None:
    """The trained target-sentiment model named by settings, or None when sentiment is turned off."""
    if not settings.sentiment_enabled:
        return None
    from streams.sentiment.model import DEFAULT_MODEL_DIR, shared_model

    folder = Path(settings.sentiment_model_dir) if settings.sentiment_model_dir else DEFAULT_MODEL_DIR
    if not (folder / "manifest.json").is_file():
        raise RuntimeError(
            f"no target-sentiment model at {folder}: train one with `stancewire train sentiment` "
            "or set STANCEWIRE_SENTIMENT_ENABLED=false"
        )
    return shared_model(folder, threads=settings.sentiment_threads or max(1, (os.cpu_count() or 2) // 2))


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
