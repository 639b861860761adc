"""Target-dependent sentiment: how a text speaks of one target span (negative / neutral / positive).

The trained model (:class:`streams.sentiment.model.TargetSentimentModel`) runs on onnxruntime with the
``tokenizers`` package, from the artifact shipped in ``streams/data/models/``; the VADER lexicon
(:class:`streams.sentiment.lexicon.VaderBaseline`) stays beside it as the baseline.

The pipeline no longer runs this model: per-entity and per-stance sentiment come from the joint
model's target head (:mod:`streams.stancemodel`). target-sentiment-v1 is kept, frozen, as the
baseline that ``stancewire eval sentiment`` and ``eval stances`` print beside it; the code that
trained it is in the history (commit df04532, ``streams/sentiment/train.py``).
"""

from __future__ import annotations

from streams.sentiment.base import POLARITIES, Polarity, SentimentScorer, TargetSentiment

__all__ = ["POLARITIES", "Polarity", "SentimentScorer", "TargetSentiment"]
