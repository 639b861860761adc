"""The training and evaluation data of the joint model as encoded sentences, shared by training and
``stancewire eval stances`` so that both see sentences marked the same way as the run time does.

A sentence is marked once with every span known in it: the annotated ones (Park et al.'s p and q,
NewsMTSC's targets) and the PERSON / ORG / GPE / NORP entities spaCy finds, because at run time every
candidate entity of a sentence is marked. Annotations of the same sentence share one encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.evaluation import directed
from streams.sentiment.base import POLARITIES
from streams.stancemodel.encoding import SpanMarker

EXTRA_ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP"})


@dataclass(slots=True)
class Example:
    """One encoded sentence and what is known about it."""

    ids: list[int]
    positions: list[int | None]
    pairs: list[tuple[int, int, int]] = field(default_factory=list)  # (span i, span j, 5-way label)
    targets: list[tuple[int, int]] = field(default_factory=list)  # (span i, polarity index)


class SentenceGroups:
    """Sentences with their spans; an item whose span overlaps a different span of the same sentence
    starts a second copy of the sentence (markers cannot nest)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.spans: list[list[tuple[int, int]]] = []
        self.pairs: list[list[tuple[int, int, int]]] = []
        self.targets: list[list[tuple[int, int]]] = []
        self._by_text: dict[str, list[int]] = {}

    def _slot(self, text: str, wanted: Sequence[tuple[int, int]]) -> tuple[int, list[int]]:
        for group in self._by_text.get(text, []):
            spans = self.spans[group]
            if all(w in spans or not any(w[0] < s[1] and s[0] < w[1] for s in spans) for w in wanted):
                return group, [self._index(group, w) for w in wanted]
        group = len(self.texts)
        self.texts.append(text)
        self.spans.append([])
        self.pairs.append([])
        self.targets.append([])
        self._by_text.setdefault(text, []).append(group)
        return group, [self._index(group, w) for w in wanted]

    def _index(self, group: int, span: tuple[int, int]) -> int:
        spans = self.spans[group]
        if span not in spans:
            spans.append(span)
        return spans.index(span)

    def add_pair(self, text: str, p: tuple[int, int], q: tuple[int, int], label: int) -> None:
        group, (i, j) = self._slot(text, [p, q])
        self.pairs[group].append((i, j, label))

    def add_target(self, text: str, span: tuple[int, int], polarity: int) -> None:
        group, (i,) = self._slot(text, [span])
        self.targets[group].append((i, polarity))

    def add_extra_entities(self, nlp: Any) -> None:
        """Mark what spaCy finds as well (not scored: it only makes inputs look like the run time's)."""
        docs = nlp.pipe(self.texts, batch_size=256)
        for group, doc in enumerate(docs):
            spans = self.spans[group]
            for ent in doc.ents:
                if ent.label_ not in EXTRA_ENTITY_TYPES:
                    continue
                span = (ent.start_char, ent.end_char)
                if not any(span[0] < s[1] and s[0] < span[1] for s in spans):
                    spans.append(span)

    def examples(self, marker: SpanMarker) -> list[Example]:
        encoded = marker.encode(list(zip(self.texts, self.spans, strict=True)))
        out = []
        for group, sentence in enumerate(encoded):
            ok = sentence.positions
            out.append(
                Example(
                    ids=sentence.ids,
                    positions=sentence.positions,
                    pairs=[
                        (i, j, y) for i, j, y in self.pairs[group] if ok[i] is not None and ok[j] is not None
                    ],
                    targets=[(i, y) for i, y in self.targets[group] if ok[i] is not None],
                )
            )
        return out


def directed_groups(items: Sequence[directed.DirectedItem]) -> SentenceGroups:
    groups = SentenceGroups()
    for item in items:
        groups.add_pair(item.text, item.p, item.q, item.label)
    return groups


def sentiment_groups(items: Sequence[Any]) -> SentenceGroups:
    index = {label: i for i, label in enumerate(POLARITIES)}
    groups = SentenceGroups()
    for item in items:
        groups.add_target(item.text, (item.start, item.end), index[item.label])
    return groups


def load_ner() -> Any:
    """spaCy with only what its NER needs (the shipped model named by settings)."""
    import spacy

    from streams.settings import Settings

    nlp = spacy.load(Settings().spacy_model)
    keep = {"tok2vec", "ner"}
    for name in list(nlp.pipe_names):
        if name not in keep:
            nlp.disable_pipe(name)
    return nlp
