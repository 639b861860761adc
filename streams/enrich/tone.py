"""Article tone and per-entity sentiment.

Tone follows GDELT's definitions over the body's words: ``positive`` and ``negative`` are the
percentages of words that a sentiment lexicon scores positive / negative, ``tone`` = positive −
negative, ``polarity`` = positive + negative (how emotionally charged the text is either way). The
lexicon is VADER's (a list of ~7,500 rated words), read once per process.

Per-entity sentiment is not here: the stance stage reads it from the joint model's target head in
the same encoder pass as the stances (``streams.enrich.stances``).
"""

from __future__ import annotations

from functools import cache

from spacy.tokens import Doc


@cache
def vader_lexicon() -> dict[str, float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def article_tone(doc: Doc, lexicon: dict[str, float]) -> dict[str, float]:
    words = positive = negative = 0
    for token in doc:
        if not token.is_alpha:
            continue
        words += 1
        valence = lexicon.get(token.lower_)
        if valence is None:
            continue
        if valence > 0:
            positive += 1
        elif valence < 0:
            negative += 1
    if words == 0:
        return {"tone": 0.0, "positive": 0.0, "negative": 0.0, "polarity": 0.0, "words": 0}
    pos, neg = 100.0 * positive / words, 100.0 * negative / words
    return {
        "tone": round(pos - neg, 3),
        "positive": round(pos, 3),
        "negative": round(neg, 3),
        "polarity": round(pos + neg, 3),
        "words": words,
    }
