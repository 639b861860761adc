"""Scoring named entities against CoNLL-2003 (English, Reuters 1996), as plain functions.

The data is read in place from ``../shared/data/conll2003-dev/valid.txt`` (never copied into the
repository). Each ``-DOCSTART-`` document becomes one article body: its sentences joined by newlines,
the tokens of a sentence joined by single spaces, with the character offsets of every token recorded,
so each gold entity is a character span of that body.

What is run is what ``stancewire analyze`` runs: the ingestion decoder (its language check included:
a refused document predicts nothing), spaCy, then the entity resolver. Every mention of a resolved
entity is a prediction with the entity's type mapped to CoNLL's:

=========================  ======
stancewire / spaCy type    CoNLL
=========================  ======
``PERSON``                 ``PER``
``GPE``, ``LOC``           ``LOC``
``ORG``                    ``ORG``
anything else              ignored (``NORP``, ``FAC``, ``EVENT``, ... ; CoNLL's ``MISC`` is not scored)
=========================  ======

Two kinds of resolver mention are not names and are ignored as well: demonyms that link to a place
("British" → United Kingdom, which CoNLL tags MISC) and role mentions that link to a person ("the
prime minister"), i.e. mentions that start with a lower-case letter.

A prediction is correct when its span (exact characters) and its CoNLL type equal a gold entity's;
precision, recall and F1 are micro-averaged over PER + LOC + ORG and also given per type. The plain
spaCy baseline maps ``doc.ents`` the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from streams.enrich.entities import EntityResolver
from streams.enrich.gazetteer import Gazetteer, fold
from streams.evaluation.parsing import timed_pipe
from streams.evaluation.quotes import Counts
from streams.ingest.errors import InvalidArticle
from streams.ingest.raw import RawArticleDecoder
from streams.models import Entity

REPO_ROOT = Path(__file__).resolve().parents[2]
SCORED_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG")
TYPE_MAP: dict[str, str] = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "ORG": "ORG"}

GoldSpan = tuple[int, int, str]  # start, end (exclusive), CoNLL type


class ConllMissing(FileNotFoundError):
    """The CoNLL-2003 folder is not there (it is never shipped: it lives in ``../shared/data``)."""


def default_data_dir() -> Path:
    """``../shared/data/conll2003-dev`` beside the repository root."""
    return (REPO_ROOT / ".." / "shared" / "data" / "conll2003-dev").resolve()


def data_file_or_raise(data_dir: Path | None = None) -> Path:
    path = data_dir if data_dir is not None else default_data_dir()
    target = path / "valid.txt"
    if not target.is_file():
        raise ConllMissing(
            f"CoNLL-2003 dev not found at {target}; skipping the entity evaluation. "
            "Pass --data-dir to point at the folder holding valid.txt."
        )
    return target


@dataclass(slots=True)
class ConllDocument:
    """One ``-DOCSTART-`` document: its rebuilt text, token offsets and gold entity spans."""

    number: int
    text: str
    tokens: list[tuple[int, int]] = field(default_factory=list)
    gold: list[GoldSpan] = field(default_factory=list)


def _build(number: int, sentences: list[list[tuple[str, str]]]) -> ConllDocument:
    parts: list[str] = []
    doc = ConllDocument(number=number, text="")
    cursor = 0
    for s, sentence in enumerate(sentences):
        if s:
            parts.append("\n")
            cursor += 1
        open_span: tuple[int, str] | None = None
        last_end = cursor
        for t, (token, tag) in enumerate(sentence):
            if t:
                parts.append(" ")
                cursor += 1
            start, end = cursor, cursor + len(token)
            parts.append(token)
            cursor = end
            doc.tokens.append((start, end))
            kind = tag[2:] if tag[:2] in ("B-", "I-") else None
            continues = open_span is not None and tag.startswith("I-") and kind == open_span[1]
            if open_span is not None and not continues:
                doc.gold.append((open_span[0], last_end, open_span[1]))
                open_span = None
            if kind is not None and open_span is None:
                open_span = (start, kind)
            last_end = end
        if open_span is not None:
            doc.gold.append((open_span[0], last_end, open_span[1]))
    doc.text = "".join(parts)
    return doc


def parse_conll(lines: Iterable[str]) -> list[ConllDocument]:
    """CoNLL columns ``token POS chunk NER`` (IOB1 or IOB2), documents split at ``-DOCSTART-``."""
    documents: list[ConllDocument] = []
    sentences: list[list[tuple[str, str]]] = []
    sentence: list[tuple[str, str]] = []

    def close_document() -> None:
        if sentence:
            sentences.append(list(sentence))
            sentence.clear()
        if sentences:
            documents.append(_build(len(documents), list(sentences)))
            sentences.clear()

    for line in lines:
        cells = line.split()
        if not cells:
            if sentence:
                sentences.append(list(sentence))
                sentence.clear()
            continue
        if cells[0] == "-DOCSTART-":
            close_document()
            continue
        sentence.append((cells[0], cells[-1]))
    close_document()
    return documents


def load_documents(path: Path, limit: int | None = None) -> list[ConllDocument]:
    with path.open(encoding="utf-8") as handle:
        documents = parse_conll(handle)
    return documents[:limit] if limit is not None else documents


def entity_spans(entities: Iterable[Entity], gazetteer: Gazetteer) -> set[GoldSpan]:
    """The resolver's mentions as CoNLL spans (mapping and exclusions in the module docstring)."""
    out: set[GoldSpan] = set()
    for entity in entities:
        kind = TYPE_MAP.get(entity["type"])
        if kind is None:
            continue
        for mention in entity["mentions"]:
            text = mention["text"]
            if not text or (not text[0].isupper() and not text[0].isdigit()):
                continue  # a role ("the prime minister"), not a name
            hit = gazetteer.names.get(fold(text))
            if hit is not None and hit.demonym:
                continue  # "British": CoNLL's MISC
            out.add((mention["start"], mention["end"], kind))
    return out


def spacy_spans(doc: Doc) -> set[GoldSpan]:
    """Plain spaCy's entities as CoNLL spans (the baseline)."""
    out: set[GoldSpan] = set()
    for ent in doc.ents:
        kind = TYPE_MAP.get(ent.label_)
        if kind is not None:
            out.add((ent.start_char, ent.end_char, kind))
    return out


@dataclass(slots=True)
class TypedCounts:
    """Micro counts over the scored types and per type."""

    by_type: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in SCORED_TYPES})

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.by_type.values():
            total.add(counts)
        return total

    def add_document(self, predicted: set[GoldSpan], gold: Iterable[GoldSpan]) -> None:
        gold_set = {g for g in gold if g[2] in SCORED_TYPES}
        for kind in SCORED_TYPES:
            p = {s for s in predicted if s[2] == kind}
            g = {s for s in gold_set if s[2] == kind}
            counts = self.by_type[kind]
            counts.tp += len(p & g)
            counts.predicted += len(p)
            counts.gold += len(g)

    def rows(self) -> list[tuple[str, Counts]]:
        return [("PER+LOC+ORG", self.total), *self.by_type.items()]

    def as_dict(self) -> dict[str, Any]:
        return {name: counts.as_dict() for name, counts in self.rows()}


@dataclass(slots=True)
class EntityEvalRun:
    """Resolver and spaCy-baseline scores, refused documents (with reasons), timings."""

    resolver: TypedCounts = field(default_factory=TypedCounts)
    spacy: TypedCounts = field(default_factory=TypedCounts)
    documents: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (document number, reason sentence)
    seconds_nlp: float = 0.0
    seconds_entities: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "refused": len(self.refused),
            "refused_documents": [{"document": n, "reason": r} for n, r in self.refused],
            "resolver": self.resolver.as_dict(),
            "spacy": self.spacy.as_dict(),
            "seconds_nlp": round(self.seconds_nlp, 3),
            "seconds_entities": round(self.seconds_entities, 3),
        }


def evaluate(
    documents: Sequence[ConllDocument],
    nlp: Language,
    *,
    decoder: RawArticleDecoder | None = None,
    resolver: EntityResolver | None = None,
    batch_size: int = 16,
    on_document: Callable[[ConllDocument, Doc, list[Entity], set[GoldSpan]], None] | None = None,
) -> EntityEvalRun:
    """Decode (language check), parse and resolve every document; score against the gold spans.

    A refused document still counts its gold entities (the pipeline would have produced nothing),
    for the resolver and, to compare like with like, not for the spaCy baseline, which sees every
    document."""
    resolver = resolver or EntityResolver()
    run = EntityEvalRun(documents=len(documents))
    accepted: set[int] = set()
    for document in documents:
        if decoder is None:
            accepted.add(document.number)
            continue
        try:
            decoder.from_document({"id": f"conll-{document.number}", "body": document.text})
        except InvalidArticle as exc:
            run.refused.append((document.number, str(exc)))
            continue
        accepted.add(document.number)
    for document, doc, seconds in timed_pipe(nlp, documents, lambda d: d.text, batch_size=batch_size):
        run.seconds_nlp += seconds
        t1 = time.perf_counter()
        run.spacy.add_document(spacy_spans(doc), document.gold)
        if document.number not in accepted:
            run.resolver.add_document(set(), document.gold)
            continue
        entities = resolver.resolve(doc)
        run.seconds_entities += time.perf_counter() - t1
        predicted = entity_spans(entities, resolver.gazetteer)
        run.resolver.add_document(predicted, document.gold)
        if on_document is not None:
            on_document(document, doc, entities, predicted)
    return run
