"""Article tone and per-entity sentiment.

Tone follows GDELT's definitions over the body's words: ``positive`` and ``negative`` are the
percentages of words that a sentiment lexicon scores positive / negative, ``tone`` = positive −
negative, ``polarity`` = positive + negative (how emotionally charged the text is either way). The
lexicon is VADER's (a list of ~7,500 rated words), read once per process.

Per-entity sentiment is the learned target-sentiment model's mean score over an entity's first
mentions (one per sentence, at most ``per_entity`` of them), so it costs a bounded number of model
calls per entity.
"""

from __future__ import annotations

from functools import cache

from spacy.tokens import Doc

from streams.models import Entity

ENTITY_TYPES = frozenset({"PERSON", "ORG", "GPE", "NORP"})


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


def entity_items(
    doc: Doc, entities: list[Entity], per_entity: int = 2
) -> list[tuple[int, tuple[str, int, int]]]:
    """(entity index, (sentence, start, end)) for the mentions whose sentiment makes the entity's."""
    items = []
    for position, entity in enumerate(entities):
        if entity["type"] not in ENTITY_TYPES:
            continue
        seen_sentences: set[int] = set()
        for mention in entity["mentions"]:
            span = doc.char_span(mention["start"], mention["end"], alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            sentence = span.sent
            if sentence.start in seen_sentences:
                continue
            seen_sentences.add(sentence.start)
            base = sentence.start_char
            items.append((position, (sentence.text, mention["start"] - base, mention["end"] - base)))
            if len(seen_sentences) >= per_entity:
                break
    return items
