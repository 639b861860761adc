"""The VADER lexicon baseline: the compound score of the whole text, thresholds ±0.05.

It ignores the target (it scores the text, so pass the sentence), which is exactly why it is a
baseline and never the answer: it says how the sentence sounds, not how it speaks of the target.
"""

from __future__ import annotations

from collections.abc import Sequence

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from streams.sentiment.base import Polarity, TargetSentiment, check_span

THRESHOLD = 0.05


def polarity_of_compound(compound: float, threshold: float = THRESHOLD) -> Polarity:
    if compound >= threshold:
        return "positive"
    if compound <= -threshold:
        return "negative"
    return "neutral"


class VaderBaseline:
    """Same API as :class:`streams.sentiment.model.TargetSentimentModel`; ``score`` is VADER's compound."""

    name = "vader"

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.analyzer = SentimentIntensityAnalyzer()

    def predict(self, items: Sequence[tuple[str, int, int]]) -> list[TargetSentiment]:
        results: list[TargetSentiment] = []
        for index, (text, start, end) in enumerate(items):
            try:
                check_span(text, start, end)
            except ValueError as exc:
                raise ValueError(f"item {index}: {exc}") from None
            scores = self.analyzer.polarity_scores(text)
            compound = float(scores["compound"])
            results.append(
                TargetSentiment(
                    polarity=polarity_of_compound(compound, self.threshold),
                    score=max(-1.0, min(1.0, compound)),
                    probabilities={
                        "negative": float(scores["neg"]),
                        "neutral": float(scores["neu"]),
                        "positive": float(scores["pos"]),
                    },
                )
            )
        return results
