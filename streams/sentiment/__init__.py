"""Target-dependent sentiment: how a text speaks of one target span (negative / neutral / positive).

The trained model (:class:`streams.sentiment.model.TargetSentimentModel`) runs on onnxruntime with the
``tokenizers`` package, from the artifact shipped in ``streams/data/models/``; the VADER lexicon
(:class:`streams.sentiment.lexicon.VaderBaseline`) stays beside it as the baseline. Training
(:mod:`streams.sentiment.train`) is the only part that needs torch and transformers.
"""

from __future__ import annotations

from streams.sentiment.base import POLARITIES, Polarity, SentimentScorer, TargetSentiment

__all__ = ["POLARITIES", "Polarity", "SentimentScorer", "TargetSentiment"]
