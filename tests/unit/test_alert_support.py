"""Hand-built ``article.enriched.v1`` events for the alerting tests (unit, agent and integration).

Stance extraction is still being built, so tests of the stance-based rules feed events like these,
schema-valid and with offsets that point into their own body, instead of pretending the pipeline
produced them. The tests at the bottom pin that the builder's output really is valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "Vladimir Putin": ("Q7747", "PERSON", "Q7747"),
    "Keir Starmer": ("person:keir-starmer", "PERSON", None),
    "Emmanuel Macron": ("Q3052772", "PERSON", "Q3052772"),
    "Giorgia Meloni": ("person:giorgia-meloni", "PERSON", None),
    "Ukraine": ("Q212", "GPE", "Q212"),
    "NATO": ("Q7184", "ORG", "Q7184"),
    "European Union": ("Q458", "ORG", "Q458"),
    # Made-up parties for the integration tests: no real article (the seeds) can ever match them.
    "Mira Okafor": ("test:mira-okafor", "PERSON", None),
    "Tomas Lind": ("test:tomas-lind", "PERSON", None),
    "Veldonia": ("test:veldonia", "GPE", None),
    "Northern Alliance": ("test:northern-alliance", "ORG", None),
    "Ostmark Union": ("test:ostmark-union", "ORG", None),
}


def stance(
    holder: str, target: str, polarity: str, sentiment: float, confidence: float = 0.9, cue: str = "said"
) -> dict[str, Any]:
    """A stance to place in ``enriched_article``: holder and target are names from PEOPLE."""
    return {
        "holder": holder,
        "target": target,
        "polarity": polarity,
        "sentiment": sentiment,
        "confidence": confidence,
        "cue": cue,
    }


SAYS = {"support": "backs", "oppose": "opposes", "neutral": "mentioned"}


def enriched_article(
    article_id: str,
    *,
    published: str | None = "2025-03-01",
    mentions: Iterable[str] = (),
    stances: Sequence[Mapping[str, Any]] = (),
    title: str | None = None,
) -> dict[str, Any]:
    """An article.enriched.v1 event whose body names every entity in ``mentions`` and has one
    sentence per stance (its evidence); entities, mentions and offsets are computed from the body."""
    sentences = [f"{name} was in the news on {published or 'an unknown day'}." for name in mentions]
    evidence_at: list[tuple[int, int]] = []
    body = ""
    for s in stances:
        sentence = f"{s['holder']} {s.get('cue') or 'said'} the plan {SAYS[s['polarity']]} {s['target']}."
        sentences.append(sentence)
    for sentence in sentences:
        if body:
            body += " "
        evidence_at.append((len(body), len(body) + len(sentence)))
        body += sentence
    evidence_at = evidence_at[len(sentences) - len(stances) :]
    entities = []
    for name, (entity_id, kind, wikidata) in PEOPLE.items():
        spans = [
            {"start": m.start(), "end": m.end(), "text": name} for m in re.finditer(re.escape(name), body)
        ]
        if spans:
            entities.append(
                {"id": entity_id, "name": name, "type": kind, "wikidata": wikidata, "mentions": spans}
            )
    stance_events = []
    for s, (start, end) in zip(stances, evidence_at, strict=True):
        stance_events.append(
            {
                "holder": PEOPLE[s["holder"]][0],
                "holder_name": s["holder"],
                "target": PEOPLE[s["target"]][0],
                "target_name": s["target"],
                "polarity": s["polarity"],
                "sentiment": s["sentiment"],
                "confidence": s["confidence"],
                "evidence": {"start": start, "end": end, "text": body[start:end]},
                "cue": s.get("cue"),
            }
        )
    return {
        "schema": "article.enriched.v1",
        "article_id": article_id,
        "published": published,
        "authors": ["Test Desk"],
        "title": title or f"Article {article_id}",
        "body": body,
        "url": f"https://news.example/{article_id}",
        "source": "test",
        "ingested_at": "2025-03-01T00:00:00.000Z",
        "enriched_at": "2025-03-01T00:00:01.000Z",
        "entities": entities,
        "quotes": [],
        "stances": stance_events,
        "models": {"test": "hand-built"},
    }


def test_hand_built_articles_are_schema_valid_and_offsets_point_into_the_body(registry) -> None:
    article = enriched_article(
        "a1",
        mentions=["Ukraine"],
        stances=[
            stance("Vladimir Putin", "Ukraine", "oppose", -0.8),
            stance("Keir Starmer", "Ukraine", "support", 0.7),
        ],
    )
    registry.validate(article)
    body = article["body"]
    for entity in article["entities"]:
        for span in entity["mentions"]:
            assert body[span["start"] : span["end"]] == span["text"] == entity["name"]
    for s in article["stances"]:
        evidence = s["evidence"]
        assert body[evidence["start"] : evidence["end"]] == evidence["text"]
        assert s["holder_name"] in evidence["text"] and s["target_name"] in evidence["text"]
    assert {e["name"] for e in article["entities"]} == {"Ukraine", "Vladimir Putin", "Keir Starmer"}
