"""The result type and the scorer protocol shared by the trained model and the lexicon baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Polarity = Literal["negative", "neutral", "positive"]
#: Class order of the model's output and of every table.
POLARITIES: tuple[Polarity, Polarity, Polarity] = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class TargetSentiment:
    """Sentiment of a text toward one target span.

    ``score`` is in [-1, 1]: p(positive) - p(negative) for the trained model, the VADER compound for
    the lexicon baseline. ``probabilities`` maps each polarity to its probability (for the lexicon:
    VADER's neg/neu/pos proportions).
    """

    polarity: Polarity
    score: float
    probabilities: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"polarity": self.polarity, "score": round(self.score, 4)}


class SentimentScorer(Protocol):
    """Anything that scores (text, start, end) items in a batch, keeping their order."""

    name: str

    def predict(self, items: Sequence[tuple[str, int, int]]) -> list[TargetSentiment]: ...


def check_span(text: str, start: int, end: int) -> None:
    """Raise ``ValueError`` unless ``text[start:end]`` is a non-empty span of ``text``."""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if (
        isinstance(start, bool)
        or isinstance(end, bool)
        or not isinstance(start, int)
        or not isinstance(end, int)
    ):
        raise ValueError("start and end must be integers")
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span [{start}, {end}) is not inside a text of {len(text)} characters")
