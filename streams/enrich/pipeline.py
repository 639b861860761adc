"""The enrichment pipeline: the one place that knows the order of the stages.

``Enricher.enrich_batch`` runs spaCy once over a batch (``nlp.pipe``), then the pure stages on each
doc — entities → quotes → stance plan (which sentences to read, their spans and pairs) — then the
joint stance + sentiment model ONCE for the whole batch (one encoder pass per planned sentence), then
stances, entity sentiment and tone. Build one Enricher per process and reuse it.
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
from streams.enrich.stances import StanceExtractor, StancePlan
from streams.enrich.tone import article_tone, vader_lexicon
from streams.enrich.topics import TopicCatalog
from streams.models import (
    SCHEMA_ENRICHED,
    EnrichedArticle,
    Entity,
    Quote,
    RawArticle,
)
from streams.settings import Settings
from streams.stancemodel.model import PairAndTargetModels, SentenceResult, StanceSentimentModel

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Pending:
    article: RawArticle
    doc: Doc
    entities: list[Entity]
    quotes: list[Quote]
    plan: StancePlan


class Enricher:
    def __init__(
        self,
        nlp: Language,
        *,
        resolver: EntityResolver | None = None,
        quotes: QuoteAttributor | None = None,
        stances: StanceExtractor | None = None,
        model: StanceSentimentModel | PairAndTargetModels | None = None,
        batch_size: int = 16,
    ) -> None:
        self.nlp = nlp
        self.resolver = resolver or EntityResolver()
        self.quotes = quotes or QuoteAttributor()
        self.stances = stances or StanceExtractor(TopicCatalog.from_paths(nlp))
        self.model = model
        self.batch_size = batch_size
        self.lexicon = vader_lexicon()
        self.models = {
            "spacy": model_version(nlp),
            "gazetteer": self.resolver.version,
            "topics": self.stances.topics.version,
        }
        if model is not None:
            self.models["stance"] = model.version
        if self.quotes.cue_model is not None:
            self.models["quotes"] = self.quotes.cue_model.version

    @classmethod
    def from_settings(cls, settings: Settings) -> Enricher:
        nlp = load_nlp(settings.spacy_model, settings.spacy_remember_rules)
        return cls(
            nlp,
            resolver=EntityResolver.from_settings(settings),
            quotes=QuoteAttributor(learned=settings.quote_model_enabled),
            stances=StanceExtractor(TopicCatalog.from_paths(nlp, settings.topics_extra)),
            model=load_model(settings),
            batch_size=settings.batch_size,
        )

    def enrich_batch(self, articles: Sequence[RawArticle]) -> list[EnrichedArticle]:
        docs = self.nlp.pipe((article.body for article in articles), batch_size=self.batch_size)
        pending = [self._parse(article, doc) for article, doc in zip(articles, docs, strict=True)]
        readings = self._score(pending)
        return [self._finish(p, r) for p, r in zip(pending, readings, strict=True)]

    def enrich_stream(self, articles: Iterable[RawArticle]) -> Iterator[EnrichedArticle]:
        """Enrich lazily, ``batch_size`` articles at a time, in order (the CLI's ``analyze``)."""
        source = iter(articles)
        while batch := list(islice(source, self.batch_size)):
            yield from self.enrich_batch(batch)

    def _parse(self, article: RawArticle, doc: Doc) -> _Pending:
        entities = self.resolver.resolve(doc, article.published, article.body)
        quotes = self.quotes.attribute(doc, entities, article.body)
        return _Pending(article, doc, entities, quotes, self.stances.plan(doc, entities, quotes))

    def _score(self, pending: list[_Pending]) -> list[list[SentenceResult] | None]:
        """The model's readings of every planned sentence of the batch, in one call, per article."""
        if self.model is None:
            return [None] * len(pending)
        requests = [p.plan.requests(p.article.body) for p in pending]  # the doc's text
        results = self.model.analyze([r for rs in requests for r in rs])
        out: list[list[SentenceResult] | None] = []
        first = 0
        for rs in requests:
            out.append(results[first : first + len(rs)])
            first += len(rs)
        return out

    def _finish(self, p: _Pending, results: list[SentenceResult] | None) -> EnrichedArticle:
        stances = self.stances.finalize(p.article.body, p.plan, results, p.entities)
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


def load_model(settings: Settings) -> StanceSentimentModel | PairAndTargetModels | None:
    """The stance + sentiment model(s) named by settings, or None when turned off."""
    if not settings.stance_model_enabled:
        return None
    from streams.stancemodel.model import DEFAULT_MODEL_DIR, DEFAULT_PAIR_MODEL_DIR, shared_model

    threads = settings.model_threads or max(1, (os.cpu_count() or 2) // 2)
    folder = Path(settings.stance_model_dir) if settings.stance_model_dir else DEFAULT_MODEL_DIR
    if not (folder / "manifest.json").is_file():
        raise RuntimeError(
            f"no stance model at {folder}: train one with `make train-stances` "
            "or set STANCEWIRE_STANCE_MODEL_ENABLED=false"
        )
    joint = shared_model(folder, threads=threads)
    named = settings.stance_pair_model_dir
    if named is not None and named.strip().lower() in ("", "none"):
        return joint
    pair_folder = Path(named) if named else DEFAULT_PAIR_MODEL_DIR
    if not (pair_folder / "manifest.json").is_file():
        if named:
            raise RuntimeError(f"no stance pair model at {pair_folder} (STANCEWIRE_STANCE_PAIR_MODEL_DIR)")
        return joint
    return PairAndTargetModels(
        shared_model(pair_folder, threads=threads), joint, skip_none=settings.stance_pair_skip_none
    )
