"""Stances: holder → target, support / oppose / neutral, read by the learned model, with the evidence.

Three sources, all over the parsed doc, the resolved entities and the attributed quotes:

* **Entity pairs** (the main one). Every sentence that names two or more holder / target entities
  (PERSON, ORG, GPE, NORP) is read once by the joint model (:mod:`streams.stancemodel`) with all of
  them marked; for each pair of different entities it gives the 5 directed classes of Park et al.
  (none, i → j positive, j → i positive, i → j negative, j → i negative). The most probable class
  decides; its calibrated probability is the stance's ``confidence``.
* **Quotes.** A resolved speaker holds a stance toward an entity inside the quote that the sentence
  does not name together with the speaker (the model's pair reading needs both in one sentence):
  its polarity is the sign of the sentiment toward the target in that sentence, when that sentiment
  is clearly positive or negative.
* **Clause rules** (:mod:`streams.enrich.stance_rules`) where they earn their place: stances toward
  *topics* (no training data has topic targets) and, measured on valid, what docs/quality.md lists.

``sentiment`` is the directed strength p(holder → target positive) − p(holder → target negative)
for a pair stance (on the decision's scale, see :mod:`streams.stancemodel.decision`), the target
sentiment score otherwise; it never contradicts the polarity in sign.

Work is split in two so that the model runs once per batch of articles, not per article: ``plan()``
(pure parse logic) gives the sentences to read with their spans and pairs; ``finalize()`` turns the
model's readings into stances, one per (holder, target) per article, the strongest evidence kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from spacy.tokens import Doc

from streams.enrich.stance_rules import (
    HOLDER_TYPES,
    INSTITUTION_NOUNS,
    TARGET_TYPES,
    MentionIndex,
    RuleStanceExtractor,
    StanceCandidate,
    add_entity,
    institution_around,
    make_stance,
    slug,
)
from streams.enrich.topics import TopicCatalog
from streams.models import Entity, Quote, Stance
from streams.models import Span as TextSpan
from streams.stancemodel.model import SentenceRequest, SentenceResult

#: At most this many marked spans in one sentence (the longest lists are tables of names, not prose).
MAX_SPANS_PER_SENTENCE = 16
#: Sentences per entity whose mentions make its ``sentiment`` (the first ones it appears in).
SENTIMENT_SENTENCES_PER_ENTITY = 2

EntityRules = Literal["off", "on"]
_INSTITUTION_WORDS = re.compile(r"\b(?:" + "|".join(sorted(INSTITUTION_NOUNS)) + r")s?\b", re.IGNORECASE)


@dataclass(slots=True)
class SentencePlan:
    """One sentence to read: span offsets into the doc, what each span is, and the pairs to read."""

    start: int
    end: int
    spans: list[tuple[int, int]] = field(default_factory=list)
    span_ids: list[str] = field(default_factory=list)
    span_names: list[str] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    #: Whether ``finalize`` reads the sentiment toward a span of it (a quote's or clause rule's
    #: target, an entity's first sentences). A sentence read only for its pairs skips the sentiment
    #: model when there are two models (``streams.stancemodel.model.PairAndTargetModels``).
    sentiment: bool = False

    def span_index(self, start: int, end: int) -> int | None:
        try:
            return self.spans.index((start, end))
        except ValueError:
            return None


@dataclass(slots=True)
class StancePlan:
    """Everything ``finalize`` needs of one article besides the model's readings."""

    sentences: list[SentencePlan]
    rule_candidates: list[StanceCandidate]
    quote_candidates: list[StanceCandidate]
    #: (entity position in the entity list, sentence index, span index) for entity sentiment.
    entity_spans: list[tuple[int, int, int]]

    def requests(self, text: str) -> list[SentenceRequest]:
        return [
            SentenceRequest(
                text=text[s.start : s.end],
                spans=tuple((a - s.start, b - s.start) for a, b in s.spans),
                pairs=tuple(s.pairs),
                sentiment=s.sentiment,
            )
            for s in self.sentences
        ]


class StanceExtractor:
    """Built once per worker: the topic catalog, the clause rules and the thresholds live here."""

    def __init__(
        self,
        topics: TopicCatalog,
        *,
        entity_rules: EntityRules = "off",
        quote_threshold: float = 0.3,
    ) -> None:
        self.topics = topics
        self.rules = RuleStanceExtractor(topics)
        self.entity_rules = entity_rules
        self.quote_threshold = quote_threshold

    # -- phase 1: what to read -----------------------------------------------------------------------
    def plan(self, doc: Doc, entities: list[Entity], quotes: list[Quote]) -> StancePlan:
        index = MentionIndex(doc, entities)
        institutions = _institution_spans(doc, index, entities)
        if institutions:
            index = MentionIndex(doc, entities)
        topic_refs = self.rules.topic_refs(doc)
        from_quotes = self.rules.quote_candidates(doc, index, topic_refs, entities, quotes)
        rule_candidates = [
            c
            for c in self.rules.verb_candidates(doc, index, topic_refs, entities) + from_quotes
            if c.rule is not None and (c.target.id.startswith("topic:") or self.entity_rules == "on")
        ]
        quote_candidates = [c for c in from_quotes if not c.target.id.startswith("topic:")]
        types = {e["id"]: e["type"] for e in entities}
        names = {e["id"]: e["name"] for e in entities}
        sentences: dict[int, SentencePlan] = {}
        wanted: set[int] = set()  # sentences that must be read

        def sentence_of(start: int) -> SentencePlan | None:
            span = doc.char_span(start, start + 1, alignment_mode="expand")
            if span is None or len(span) == 0:
                return None
            sent = span.sent
            if sent.start not in sentences:
                sentences[sent.start] = SentencePlan(sent.start_char, sent.end_char)
            return sentences[sent.start]

        # Every candidate-type mention, longest first so that a span never overlaps another.
        mentions = sorted(
            (
                (m["start"], m["end"], e["id"])
                for e in entities
                if e["type"] in HOLDER_TYPES | TARGET_TYPES
                for m in e["mentions"]
            ),
            key=lambda m: (-(m[1] - m[0]), m[0]),
        )
        for start, end, entity_id in mentions:
            plan = sentence_of(start)
            if plan is None or end > plan.end or len(plan.spans) >= MAX_SPANS_PER_SENTENCE:
                continue
            if any(start < b and a < end for a, b in plan.spans):
                continue
            plan.spans.append((start, end))
            plan.span_ids.append(entity_id)
            plan.span_names.append(names[entity_id])
        for candidate in rule_candidates + quote_candidates:
            target = candidate.target
            plan = sentence_of(target.start)
            if plan is None:
                continue
            if plan.span_index(target.start, target.end) is None and not any(
                target.start < b and a < target.end for a, b in plan.spans
            ):
                plan.spans.append((target.start, target.end))
                plan.span_ids.append(target.id)
                plan.span_names.append(target.name)
            plan.sentiment = True
            wanted.add(plan.start)
        for plan in sentences.values():
            for i in range(len(plan.spans)):
                for j in range(i + 1, len(plan.spans)):
                    a, b = plan.span_ids[i], plan.span_ids[j]
                    if a != b and types.get(a) and types.get(b):
                        plan.pairs.append((i, j))
            if plan.pairs:
                wanted.add(plan.start)
        # Only sentences that hold a candidate are read (the encoder is most of the cost). An entity's
        # sentiment comes from its mentions in the first of those sentences that name it.
        ordered = [sentences[k] for k in sorted(sentences) if sentences[k].start in wanted]
        position = {e["id"]: n for n, e in enumerate(entities)}
        sentences_of: dict[str, set[int]] = {}
        entity_spans = []
        for s_index, plan in enumerate(ordered):
            for k, entity_id in enumerate(plan.span_ids):
                seen = sentences_of.setdefault(entity_id, set())
                if entity_id not in position or (
                    s_index not in seen and len(seen) >= SENTIMENT_SENTENCES_PER_ENTITY
                ):
                    continue
                seen.add(s_index)
                entity_spans.append((position[entity_id], s_index, k))
                plan.sentiment = True
        return StancePlan(ordered, rule_candidates, quote_candidates, entity_spans)

    # -- phase 2: stances ------------------------------------------------------------------------------
    def finalize(
        self,
        text: str,
        plan: StancePlan,
        results: Sequence[SentenceResult] | None,
        entities: list[Entity] | None = None,
    ) -> list[Stance]:
        """Stances from the model's readings (``None``: no model, clause rules only); also writes each
        entity's ``sentiment`` when ``entities`` is given."""
        types = {e["id"]: e["type"] for e in entities or []}
        best: dict[tuple[str, str], Stance] = {}

        def keep(stance: Stance) -> None:
            key = (stance["holder"], stance["target"])
            if key not in best or stance["confidence"] > best[key]["confidence"]:
                best[key] = stance

        def span_sentiment(start: int, end: int) -> np.ndarray | None:
            if results is None:
                return None
            for s_index, sentence in enumerate(plan.sentences):
                if sentence.start <= start < sentence.end:
                    k = sentence.span_index(start, end)
                    return results[s_index].span_scores[k] if k is not None else None
            return None

        if results is not None:
            for sentence, result in zip(plan.sentences, results, strict=True):
                evidence = TextSpan(
                    start=sentence.start, end=sentence.end, text=text[sentence.start : sentence.end]
                )
                for n, ((i, j), probs, label) in enumerate(
                    zip(sentence.pairs, result.pair_scores, result.pair_classes, strict=True)
                ):
                    if probs is None or not label:
                        continue
                    holder, target = (i, j) if label in (1, 3) else (j, i)
                    if types and (
                        types.get(sentence.span_ids[holder]) not in HOLDER_TYPES
                        or types.get(sentence.span_ids[target]) not in TARGET_TYPES
                    ):
                        continue
                    # Directed strength on the decision's scale (the biased log-probabilities, see
                    # streams.stancemodel.decision), so that its sign always agrees with the class.
                    decided = result.pair_decision[n] if result.pair_decision else None
                    if decided is None:
                        decided = probs
                    positive, negative = (
                        (decided[1], decided[3]) if label in (1, 3) else (decided[2], decided[4])
                    )
                    keep(
                        Stance(
                            holder=sentence.span_ids[holder],
                            holder_name=sentence.span_names[holder],
                            target=sentence.span_ids[target],
                            target_name=sentence.span_names[target],
                            polarity="support" if label in (1, 2) else "oppose",
                            sentiment=round(float(np.clip(positive - negative, -1.0, 1.0)), 4),
                            confidence=round(float(probs[label]), 4),
                            evidence=evidence,
                            cue=None,
                        )
                    )
            pair_read = {
                frozenset((s.span_ids[i], s.span_ids[j])) for s in plan.sentences for i, j in s.pairs
            }
            for candidate in plan.quote_candidates:
                if frozenset((candidate.holder, candidate.target.id)) in pair_read:
                    continue  # the pair model read the two together: its reading decides
                probs = span_sentiment(candidate.target.start, candidate.target.end)
                if probs is None:
                    continue
                score = float(probs[2] - probs[0])
                label = int(np.argmax(probs))
                if label == 1 or abs(score) < self.quote_threshold:
                    continue  # "mentioned" is not a stance
                keep(
                    make_stance(
                        text, candidate, "support" if label == 2 else "oppose", score, float(probs[label])
                    )
                )
        for candidate in plan.rule_candidates:
            assert candidate.rule is not None
            probs = span_sentiment(candidate.target.start, candidate.target.end)
            score = float(probs[2] - probs[0]) if probs is not None else 0.0
            polarity = candidate.rule
            if (
                (polarity == "support" and score < 0)
                or (polarity == "oppose" and score > 0)
                or polarity == "neutral"
            ):
                score = 0.0  # the clause decides; a sentiment of the other sign would contradict it
            keep(make_stance(text, candidate, polarity, score, candidate.confidence))
        if entities is not None and results is not None:
            per_entity: dict[int, list[float]] = {}
            for position, s_index, k in plan.entity_spans:
                probs = results[s_index].span_scores[k]
                if probs is not None:
                    per_entity.setdefault(position, []).append(float(probs[2] - probs[0]))
            for position, values in per_entity.items():
                entities[position]["sentiment"] = round(sum(values) / len(values), 4)
        return list(best.values())


def _institution_spans(doc: Doc, index: MentionIndex, entities: list[Entity]) -> bool:
    """ "the Trump administration" is a holder of its own: add it as an ORG entity (its span covers
    the name and the noun, so the model reads it marked as one). True when one was added."""
    added = False
    text = doc.text  # Doc.text joins every token on each access: read it once
    for match in _INSTITUTION_WORDS.finditer(text):  # cheaper than visiting every token
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is None or len(span) != 1:
            continue
        found = institution_around(span[0], index)
        if found is None:
            continue
        _entity, start, end = found
        add_entity(entities, f"org:{slug(text[start:end])}", text[start:end], start, end, text)
        added = True
    return added
