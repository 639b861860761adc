"""Stance quality on Park et al.'s directed-sentiment valid split, as plain functions.

Two levels, both scored as macro-F1 over the 5 classes (none, p → q positive, q → p positive,
p → q negative, q → p negative), with per-class F1 and the confusion matrix:

* **Classifier**: the joint model given the annotated spans of p and q (the rest of the sentence's
  entities marked as at run time, found by spaCy), exactly as the pair is read inside the pipeline.
* **End to end**: the bare sentence (brackets removed) through the whole enrichment — spaCy, the
  entity resolver, quotes, the stance stage — and the stances it publishes mapped back to a class:
  a stance whose holder has a mention overlapping p and whose target has one overlapping q is
  "p → q" (support → positive, oppose → negative; neutral → none), and the other way round "q → p";
  no such stance, or p / q not found as entities, is "none".

The rules-only stance stage that stancewire shipped before the model (clause rules, else the sign of
the target-sentiment model ``target-sentiment-v1``) is scored end to end the same way, as the baseline.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from streams.evaluation.directed import SHORT_LABELS, DirectedItem
from streams.evaluation.sentiment import SentimentReport, score
from streams.models import EnrichedArticle, Entity, RawArticle, Stance


def score_directed(gold: Sequence[int], predicted: Sequence[int]) -> SentimentReport:
    """Figures over the 5 directed classes (labels named as in :data:`SHORT_LABELS`)."""
    return score([SHORT_LABELS[g] for g in gold], [SHORT_LABELS[p] for p in predicted], labels=SHORT_LABELS)


@dataclass(slots=True)
class LevelResult:
    name: str
    report: SentimentReport
    seconds: float
    predicted: list[int]


def classify_gold_spans(model: Any, items: Sequence[DirectedItem], nlp: Any) -> list[int]:
    """The model's class for each (sentence, p, q) with the annotated spans (see the module doc)."""
    from streams.stancemodel.data import directed_groups
    from streams.stancemodel.model import SentenceRequest

    groups = directed_groups(items)
    groups.add_extra_entities(nlp)
    requests = [
        SentenceRequest(
            text=groups.texts[g],
            spans=tuple(groups.spans[g]),
            pairs=tuple((i, j) for i, j, _ in groups.pairs[g]),
        )
        for g in range(len(groups.texts))
    ]
    results = model.analyze(requests)
    by_item: dict[tuple[str, tuple[int, int], tuple[int, int]], int] = {}
    for g, result in enumerate(results):
        spans = groups.spans[g]
        for (i, j, _), label in zip(groups.pairs[g], result.pair_classes, strict=True):
            by_item[(groups.texts[g], spans[i], spans[j])] = label or 0
    return [by_item.get((item.text, item.p, item.q), 0) for item in items]


def article_for(item: DirectedItem, index: int) -> RawArticle:
    digest = hashlib.sha256(f"{index}:{item.text}".encode()).hexdigest()[:16]
    return RawArticle(
        article_id=f"directed-valid-{digest}", body=item.text, source="directed-sentiment/valid"
    )


def label_of(item: DirectedItem, entities: Sequence[Entity], stances: Sequence[Stance]) -> int:
    """The class the published stances give the pair (see the module doc)."""

    def overlapping(span: tuple[int, int]) -> set[str]:
        return {
            e["id"]
            for e in entities
            if any(m["start"] < span[1] and span[0] < m["end"] for m in e["mentions"])
        }

    p_ids, q_ids = overlapping(item.p), overlapping(item.q)
    best: tuple[float, int] = (-1.0, 0)
    for stance in stances:
        if stance["polarity"] == "neutral":
            continue
        positive = stance["polarity"] == "support"
        if stance["holder"] in p_ids and stance["target"] in q_ids:
            label = 1 if positive else 3
        elif stance["holder"] in q_ids and stance["target"] in p_ids:
            label = 2 if positive else 4
        else:
            continue
        if stance["confidence"] > best[0]:
            best = (stance["confidence"], label)
    return best[1]


def end_to_end(
    enrich: Callable[[list[RawArticle]], list[EnrichedArticle]],
    items: Sequence[DirectedItem],
    batch_size: int = 32,
) -> list[int]:
    """Each bare sentence through ``enrich`` (a whole enrichment of a batch), mapped to a class."""
    predicted: list[int] = []
    for first in range(0, len(items), batch_size):
        chunk = items[first : first + batch_size]
        enriched = enrich([article_for(item, first + k) for k, item in enumerate(chunk)])
        for item, article in zip(chunk, enriched, strict=True):
            predicted.append(label_of(item, article["entities"], article["stances"]))
    return predicted


def timed(name: str, gold: Sequence[int], run: Callable[[], list[int]]) -> LevelResult:
    began = time.perf_counter()
    predicted = run()
    seconds = time.perf_counter() - began
    return LevelResult(name, score_directed(gold, predicted), seconds, predicted)


def rules_only_enricher(nlp: Any, settings: Any) -> Callable[[list[RawArticle]], list[EnrichedArticle]]:
    """The stance stage as it shipped before the model: clause rules, else the sign of
    ``target-sentiment-v1`` (kept in streams/data/models for this baseline), over the quotes of the
    attribution frames alone (the learned cue model came later)."""
    from streams.enrich.entities import EntityResolver
    from streams.enrich.quotes import QuoteAttributor
    from streams.enrich.stance_rules import RuleStanceExtractor
    from streams.enrich.topics import TopicCatalog
    from streams.sentiment.model import shared_model

    resolver = EntityResolver.from_settings(settings)
    attributor = QuoteAttributor(learned=False)
    extractor = RuleStanceExtractor(TopicCatalog.from_paths(nlp))
    scorer = shared_model(threads=1)

    def enrich(articles: list[RawArticle]) -> list[EnrichedArticle]:
        out: list[EnrichedArticle] = []
        for article, doc in zip(articles, nlp.pipe(a.body for a in articles), strict=True):
            entities = resolver.resolve(doc, article.published)
            quotes = attributor.attribute(doc, entities)
            candidates = extractor.candidates(doc, entities, quotes)
            sentiments = scorer.predict([c.item for c in candidates]) if candidates else []
            stances = extractor.finalize(doc.text, candidates, sentiments)
            out.append({"entities": entities, "stances": stances})  # type: ignore[typeddict-item]
        return out

    return enrich
