"""Parsing evaluation data with ``nlp.pipe`` while keeping each parse beside its source record and
timing spaCy apart from the stages under test (the eval commands report where the time went)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from spacy.language import Language
from spacy.tokens import Doc

T = TypeVar("T")


def timed_pipe(
    nlp: Language, items: Iterable[T], text_of: Callable[[T], str], *, batch_size: int = 16
) -> Iterator[tuple[T, Doc, float]]:
    """``(item, doc, seconds spaCy took to hand this doc over)`` in input order, batched.

    Items are read lazily (a generator of articles is never held in memory whole); the seconds are
    those spent inside ``nlp.pipe`` before this doc came out, so a batch's cost lands on its first doc.
    """
    pending: deque[T] = deque()

    def texts() -> Iterator[str]:
        for item in items:
            pending.append(item)
            yield text_of(item)

    docs = iter(nlp.pipe(texts(), batch_size=batch_size))
    while True:
        started = time.perf_counter()
        doc = next(docs, None)
        seconds = time.perf_counter() - started
        if doc is None:
            return
        yield pending.popleft(), doc, seconds
