"""Scoring quote attribution against gold attributions (PolNeAR or hand-made), as plain functions.

Matching rules (also in ``docs/quality.md``):

- **units**: a gold attribution is one PolNeAR relation (its Content pieces together); a predicted
  attribution is the set of emitted Quotes that share a cue and a ``speaker_span`` (the attributor
  emits an interrupted quotation "“A,” he said. “B.”" as one Quote per piece, with the same cue and
  speaker span); counts of predictions are counts of these attributions;
- **content**: a predicted and a gold attribution match when the characters their pieces share
  are at least half of the shorter of the two;
- **speaker**: additionally, the predicted ``speaker_span`` overlaps a gold Source piece, or the
  predicted speaker entity has a mention overlapping a gold Source piece; a gold attribution without
  a Source matches only a prediction without a speaker span;
- matching is one-to-one: candidate pairs are taken greedily by decreasing shared characters;
- **direct** figures restrict both sides: predicted attributions of kind ``direct`` against gold
  attributions whose content is quoted (:func:`streams.evaluation.polnear.is_quoted`); **all**
  figures use every prediction and every gold attribution.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from streams.enrich.entities import EntityResolver
from streams.enrich.quotes import QuoteAttributor
from streams.evaluation.parsing import timed_pipe
from streams.evaluation.polnear import GoldAttribution, Piece, PolnearArticle
from streams.models import Entity, Quote

MIN_OVERLAP = 0.5


@dataclass(slots=True)
class Counts:
    tp: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.predicted += other.predicted
        self.gold += other.gold

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "predicted": self.predicted,
            "gold": self.gold,
        }


@dataclass(slots=True)
class QuoteScores:
    """Totals over a set of articles: (direct | all) x (speaker + content | content only)."""

    direct_speaker: Counts = field(default_factory=Counts)
    direct_content: Counts = field(default_factory=Counts)
    all_speaker: Counts = field(default_factory=Counts)
    all_content: Counts = field(default_factory=Counts)
    articles: int = 0

    def add(self, other: QuoteScores) -> None:
        self.direct_speaker.add(other.direct_speaker)
        self.direct_content.add(other.direct_content)
        self.all_speaker.add(other.all_speaker)
        self.all_content.add(other.all_content)
        self.articles += other.articles

    def rows(self) -> list[tuple[str, Counts]]:
        return [
            ("direct: speaker + content", self.direct_speaker),
            ("direct: content only", self.direct_content),
            ("all: speaker + content", self.all_speaker),
            ("all: content only", self.all_content),
        ]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            name: asdict(c) | c.as_dict()
            for name, c in (
                ("direct_speaker", self.direct_speaker),
                ("direct_content", self.direct_content),
                ("all_speaker", self.all_speaker),
                ("all_content", self.all_content),
            )
        }
        out["articles"] = self.articles
        return out


def shared(a: Sequence[Piece], b: Sequence[Piece]) -> int:
    """Characters two sets of pieces have in common."""
    return sum(max(0, min(e1, e2) - max(s1, s2)) for s1, e1 in a for s2, e2 in b)


def length(pieces: Sequence[Piece]) -> int:
    return sum(e - s for s, e in pieces)


def content_overlap(pred: Sequence[Piece], gold: Sequence[Piece], min_overlap: float = MIN_OVERLAP) -> int:
    """Shared characters when they are at least ``min_overlap`` of the shorter side, else 0."""
    common = shared(pred, gold)
    shorter = min(length(pred), length(gold))
    return common if shorter > 0 and common >= min_overlap * shorter else 0


@dataclass(slots=True)
class Predicted:
    """One predicted attribution: the pieces of the Quotes that share a cue and a speaker span."""

    pieces: list[Piece]
    speaker: str | None
    speaker_span: Piece | None
    direct: bool


def group_quotes(quotes: Iterable[Quote]) -> list[Predicted]:
    """Quotes with the same cue and speaker span are one attribution (a Quote without a span is alone)."""
    groups: dict[tuple[Any, ...], Predicted] = {}
    for n, quote in enumerate(quotes):
        span = quote["speaker_span"]
        piece = (quote["start"], quote["end"])
        if span is None:
            groups[("alone", n)] = Predicted([piece], quote["speaker"], None, quote["kind"] == "direct")
            continue
        key = (quote["cue"], span["start"], span["end"])
        found = groups.get(key)
        if found is None:
            groups[key] = Predicted(
                [piece], quote["speaker"], (span["start"], span["end"]), quote["kind"] == "direct"
            )
        else:
            found.pieces.append(piece)
            found.direct = found.direct and quote["kind"] == "direct"
    return list(groups.values())


def speaker_matches(pred: Predicted, gold: GoldAttribution, entities_by_id: dict[str, Entity]) -> bool:
    if not gold.source:
        return pred.speaker_span is None
    if pred.speaker_span is not None and shared([pred.speaker_span], gold.source) > 0:
        return True
    entity = entities_by_id.get(pred.speaker or "")
    if entity is None:
        return False
    mentions = [(m["start"], m["end"]) for m in entity["mentions"]]
    return shared(mentions, gold.source) > 0


def match_count(
    preds: Sequence[Predicted],
    golds: Sequence[GoldAttribution],
    entities: Iterable[Entity] = (),
    *,
    speaker: bool,
    min_overlap: float = MIN_OVERLAP,
) -> int:
    """How many one-to-one (prediction, gold) pairs match (greedy by shared characters)."""
    by_id = {e["id"]: e for e in entities}
    pairs: list[tuple[int, int, int]] = []
    for i, pred in enumerate(preds):
        for j, gold in enumerate(golds):
            common = content_overlap(pred.pieces, gold.content, min_overlap)
            if common and (not speaker or speaker_matches(pred, gold, by_id)):
                pairs.append((common, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
    return len(used_p)


def score_article(
    quotes: Sequence[Quote],
    golds: Sequence[GoldAttribution],
    entities: Iterable[Entity] = (),
    *,
    min_overlap: float = MIN_OVERLAP,
) -> QuoteScores:
    entities = list(entities)
    preds = group_quotes(quotes)
    direct_q = [p for p in preds if p.direct]
    direct_g = [g for g in golds if g.direct]
    scores = QuoteScores(articles=1)
    for counts, qs, gs, need in (
        (scores.direct_speaker, direct_q, direct_g, True),
        (scores.direct_content, direct_q, direct_g, False),
        (scores.all_speaker, preds, golds, True),
        (scores.all_content, preds, golds, False),
    ):
        counts.tp = match_count(qs, gs, entities, speaker=need, min_overlap=min_overlap)
        counts.predicted = len(qs)
        counts.gold = len(gs)
    return scores


@dataclass(slots=True)
class EvalRun:
    """Scores plus where the time went: spaCy (``nlp.pipe``), entity resolution, quote attribution."""

    scores: QuoteScores
    baseline: QuoteScores | None = None  # the same documents through the baseline attributor
    words: int = 0
    seconds_nlp: float = 0.0
    seconds_entities: float = 0.0
    seconds_quotes: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.scores.as_dict(),
            **({"baseline": self.baseline.as_dict()} if self.baseline is not None else {}),
            "words": self.words,
            "seconds_nlp": round(self.seconds_nlp, 3),
            "seconds_entities": round(self.seconds_entities, 3),
            "seconds_quotes": round(self.seconds_quotes, 3),
        }


def evaluate(
    articles: Iterable[PolnearArticle],
    nlp: Language,
    *,
    attributor: QuoteAttributor | None = None,
    resolver: EntityResolver | None = None,
    batch_size: int = 16,
    baseline: QuoteAttributor | None = None,
    on_article: Callable[[PolnearArticle, Doc, list[Entity], list[Quote], QuoteScores], None] | None = None,
) -> EvalRun:
    """Parse the articles with ``nlp.pipe`` (batched), attribute quotes, score them against the gold;
    with ``baseline``, score that attributor on the same parses too (``run.baseline``)."""
    attributor = attributor or QuoteAttributor()
    resolver = resolver or EntityResolver()
    run = EvalRun(QuoteScores(), QuoteScores() if baseline is not None else None)
    for article, doc, seconds in timed_pipe(nlp, articles, lambda a: a.text, batch_size=batch_size):
        run.seconds_nlp += seconds
        t1 = time.perf_counter()
        entities = resolver.resolve(doc)
        t2 = time.perf_counter()
        quotes = attributor.attribute(doc, entities)
        run.seconds_entities += t2 - t1
        run.seconds_quotes += time.perf_counter() - t2
        run.words += sum(1 for t in doc if not (t.is_punct or t.is_space))
        scores = score_article(quotes, article.attributions, entities)
        run.scores.add(scores)
        if baseline is not None and run.baseline is not None:
            run.baseline.add(score_article(baseline.attribute(doc, entities), article.attributions, entities))
        if on_article is not None:
            on_article(article, doc, entities, quotes, scores)
    return run
