"""The learned cue model: which candidate clause (:mod:`streams.enrich.quotes.clauses`) is the content
of an attribution.

A logistic regression over sparse binary features, trained on PolNeAR's dev part by
``stancewire train quotes`` (:mod:`streams.quotemodel.train`). At run time it is a dictionary of
weights: the score of a candidate is the sigmoid of its features' summed weights, so nothing but the
JSON file is loaded (once per worker) and a document costs a few dictionary lookups per candidate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "data" / "models" / "quote-cues-v1"


class CueModel:
    """Weights of the features, a bias, and the decision threshold selected on cross-validation."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float, version: str) -> None:
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.version = version

    @classmethod
    def load(cls, directory: Path = SHIPPED_MODEL) -> CueModel:
        data: dict[str, Any] = orjson.loads((directory / "model.json").read_bytes())
        return cls(data["weights"], data["bias"], data["threshold"], data["version"])

    def probability(self, features: Iterable[str]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) for f in features)
        if z < -30.0:  # exp overflows far before a probability becomes anything but 0
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


@lru_cache(maxsize=1)
def shipped_model() -> CueModel:
    """The model in streams/data/models/quote-cues-v1, read once per process."""
    return CueModel.load()
