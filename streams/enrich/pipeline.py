"""The enrichment pipeline: the one place that knows the order of the stages.

``Enricher.enrich_batch`` runs spaCy once over a batch (``nlp.pipe``) and then each pure stage over
each doc: entities → quotes (→ stances, issue 4). Build one Enricher per process and reuse it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from streams.clock import utc_now_iso
from streams.enrich.entities import EntityResolver
from streams.enrich.nlp import load_nlp, model_version
from streams.enrich.quotes import QuoteAttributor
from streams.models import SCHEMA_ENRICHED, SCHEMA_MENTION, EnrichedArticle, EntityMention, RawArticle
from streams.settings import Settings


class Enricher:
    def __init__(
        self,
        nlp: Language,
        *,
        resolver: EntityResolver | None = None,
        quotes: QuoteAttributor | None = None,
        batch_size: int = 16,
    ) -> None:
        self.nlp = nlp
        self.resolver = resolver or EntityResolver()
        self.quotes = quotes or QuoteAttributor()
        self.batch_size = batch_size
        self.models = {"spacy": model_version(nlp)}

    @classmethod
    def from_settings(cls, settings: Settings) -> Enricher:
        return cls(load_nlp(settings.spacy_model), batch_size=settings.batch_size)

    def enrich_doc(self, article: RawArticle, doc: Doc) -> EnrichedArticle:
        entities = self.resolver.resolve(doc)
        quotes = self.quotes.attribute(doc, entities)
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
            entities=entities,
            quotes=quotes,
            stances=[],
            models=dict(self.models),
        )

    def enrich_stream(self, articles: Iterable[RawArticle]) -> Iterator[EnrichedArticle]:
        """Enrich lazily, in order; spaCy batches internally (for the CLI's ``analyze``)."""
        pending: deque[RawArticle] = deque()
        source = iter(articles)

        def feed() -> Iterator[str]:
            for article in source:
                pending.append(article)
                yield article.body

        for doc in self.nlp.pipe(feed(), batch_size=self.batch_size):
            yield self.enrich_doc(pending.popleft(), doc)

    def enrich_batch(self, articles: Sequence[RawArticle]) -> list[EnrichedArticle]:
        docs = self.nlp.pipe((article.body for article in articles), batch_size=self.batch_size)
        return [self.enrich_doc(article, doc) for article, doc in zip(articles, docs, strict=True)]


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
