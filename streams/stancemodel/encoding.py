"""A sentence with every candidate entity marked, as model input ids: ``[E] … [/E]`` around each span.

Training and the runtime share this code, so what the model saw when it learned is exactly what it
sees at run time. Only the ``tokenizers`` package is used (no transformers, no torch).

Why one input per sentence with *all* candidates marked (as ATLOP does for document relations): the
encoder then runs once per sentence, however many holder → target pairs and sentiment targets the
sentence holds; the heads read the state of each span's ``[E]`` marker. A sentence of n candidates
costs one encoder pass instead of n(n−1)/2 pair passes plus n target passes.

The text is cut at the span boundaries, the pieces encoded in one batch and joined as
``[CLS] a [E] span [/E] b [E] span [/E] c [SEP]``. A sentence longer than ``max_length`` tokens keeps
the window that holds the most marked spans; a span outside the window has no position (``None``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from streams.inference import MarkerTokenizer

SPAN_START = "[E]"
SPAN_END = "[/E]"


@dataclass(frozen=True, slots=True)
class MarkedSentence:
    """Input ids of one sentence and, per span (in the caller's order), the index of its ``[E]``."""

    ids: list[int]
    positions: list[int | None]


def check_spans(text: str, spans: Sequence[tuple[int, int]]) -> None:
    """``ValueError`` unless every span is a non-empty piece of ``text`` and no two overlap."""
    ordered = sorted(spans)
    for start, end in ordered:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span [{start}, {end}) is not inside a text of {len(text)} characters")
    for (_, end), (start, _) in itertools.pairwise(ordered):
        if start < end:
            raise ValueError("spans overlap")


class SpanMarker(MarkerTokenizer):
    """Encodes (text, spans) to ids of at most ``max_length`` tokens with marker positions."""

    markers = (SPAN_START, SPAN_END)

    def encode(self, sentences: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[MarkedSentence]:
        """One :class:`MarkedSentence` per (text, spans); spans must not overlap (``ValueError``)."""
        pieces: list[str] = []
        layout: list[tuple[list[int], int]] = []  # per sentence: span order by start, first piece index
        for text, spans in sentences:
            check_spans(text, spans)
            order = sorted(range(len(spans)), key=lambda k: spans[k][0])
            layout.append((order, len(pieces)))
            cursor = 0
            for k in order:
                start, end = spans[k]
                pieces.append(text[cursor:start])
                pieces.append(text[start:end])
                cursor = end
            pieces.append(text[cursor:])
        encoded = self.tokenizer.encode_batch(pieces, add_special_tokens=False) if pieces else []
        out: list[MarkedSentence] = []
        for (order, first), (_text, spans) in zip(layout, sentences, strict=True):
            ids: list[int] = []
            starts: dict[int, int] = {}
            for n, k in enumerate(order):
                ids.extend(encoded[first + 2 * n].ids)
                starts[k] = len(ids)
                ids.append(self.start_id)
                ids.extend(encoded[first + 2 * n + 1].ids)
                ids.append(self.end_id)
            ids.extend(encoded[first + 2 * len(order)].ids)
            out.append(self._window(ids, [starts[k] for k in range(len(spans))]))
        return out

    def _window(self, body: list[int], starts: list[int]) -> MarkedSentence:
        room = self.max_length - 2  # [CLS] … [SEP]
        if len(body) <= room:
            return MarkedSentence([self.cls_id, *body, self.sep_id], [s + 1 for s in starts])
        # The window of ``room`` tokens that holds the most whole spans (a span needs its [E] … [/E]).
        ends = [self._span_end(body, s) for s in starts]
        best, best_count = 0, -1
        for first in sorted({0, *(max(0, min(s, len(body) - room)) for s in starts)}):
            count = sum(1 for s, e in zip(starts, ends, strict=True) if s >= first and e < first + room)
            if count > best_count:
                best, best_count = first, count
        window = body[best : best + room]
        positions: list[int | None] = [
            s - best + 1 if s >= best and e < best + room else None for s, e in zip(starts, ends, strict=True)
        ]
        return MarkedSentence([self.cls_id, *window, self.sep_id], positions)

    def _span_end(self, body: list[int], start: int) -> int:
        for i in range(start + 1, len(body)):
            if body[i] == self.end_id:
                return i
        return len(body) - 1
