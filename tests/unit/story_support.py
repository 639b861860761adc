"""Hand-written versions of one story, and a builder of schema-valid ``article.enriched.v1`` events
from them (entities and stance offsets computed from the body), for the story tests (unit and
integration). Made-up parties, so that no real article can ever join these stories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tests.unit.test_alert_support import PEOPLE

WIRE = (
    "Veldonia and the Ostmark Union agreed on Tuesday to reopen the border crossing at Kessel after "
    "three days of talks in the capital. Mira Okafor, Veldonia's foreign minister, said the deal would "
    "let trucks carrying grain and medicine through by the end of the week. Tomas Lind, who led the "
    "Ostmark Union delegation, called the agreement a first step and said customs officers from both "
    "sides would share the checkpoint. The crossing was closed in March after a dispute over transit "
    "fees that left hundreds of drivers stranded for weeks. Under the deal, the fees are frozen for a "
    "year while a joint commission reviews them. Farmers in the border region had warned that the "
    "closure threatened the harvest, and aid groups said clinics were running short of insulin. "
    "Okafor said she expected the first convoys to cross on Friday morning. Lind said the Ostmark "
    "Union would send engineers to repair the road on its side of the border."
)
# The same wire copy as another outlet ran it: a new lead sentence, a few words changed, the last
# sentence cut and a line of local colour added.
EDITED = (
    "The border crossing at Kessel will reopen, officials said. "
    + WIRE.replace("three days of talks", "three days of tense talks")
    .replace("by the end of the week", "by the weekend")
    .replace(
        " Lind said the Ostmark Union would send engineers to repair the road on its side of the border.", ""
    )
    + " Truck drivers queued at the gate on Tuesday evening, waiting for news."
)
# The same event written from scratch: the same people and places on the same day, other words.
REWRITE = (
    "After a three-day negotiation, Veldonian foreign minister Mira Okafor and Ostmark Union envoy "
    "Tomas Lind shook hands on a deal to end the months-long shutdown of the Kessel checkpoint. "
    "Okafor told reporters in the capital that grain and drug shipments could resume within days. "
    "Lind described the pact as a beginning rather than an end. A joint commission of Veldonia and "
    "the Ostmark Union will spend the next twelve months on the transit charges that caused the row, "
    "which are frozen meanwhile."
)
# A week later, the same parties, another matter entirely.
LATER = (
    "Mira Okafor and Tomas Lind met again in Veldonia on Monday, this time to discuss a fishing "
    "quota in the northern lakes. The Ostmark Union wants a larger share of the catch, Lind said, "
    "while Okafor said stocks of pike had fallen for a decade and Veldonia would not agree to more "
    "boats. Fishermen protested outside the ministry as the talks began."
)


def story_article(
    article_id: str,
    body: str,
    *,
    published: str,
    title: str,
    url: str | None = None,
    stances: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """An article.enriched.v1 event for ``body``: every PEOPLE name (and a bare surname of a person)
    found in it is an entity with its mentions; each stance is ``{holder, target, polarity,
    sentiment, confidence, sentence}`` where ``sentence`` is a piece of the body (its evidence)."""
    entities = []
    for name, (entity_id, kind, wikidata) in PEOPLE.items():
        pattern = re.escape(name)
        if kind == "PERSON":
            pattern = rf"(?:{re.escape(name)}|\b{re.escape(name.split()[-1])}\b)"
        spans = [{"start": m.start(), "end": m.end(), "text": m.group(0)} for m in re.finditer(pattern, body)]
        if spans:
            entities.append(
                {"id": entity_id, "name": name, "type": kind, "wikidata": wikidata, "mentions": spans}
            )
    stance_events = []
    for s in stances:
        start = body.index(s["sentence"])
        stance_events.append(
            {
                "holder": PEOPLE[s["holder"]][0],
                "holder_name": s["holder"],
                "target": PEOPLE[s["target"]][0],
                "target_name": s["target"],
                "polarity": s["polarity"],
                "sentiment": s.get(
                    "sentiment", {"support": 0.7, "oppose": -0.7, "neutral": 0.0}[s["polarity"]]
                ),
                "confidence": s.get("confidence", 0.9),
                "evidence": {"start": start, "end": start + len(s["sentence"]), "text": s["sentence"]},
                "cue": "said",
            }
        )
    return {
        "schema": "article.enriched.v1",
        "article_id": article_id,
        "published": published,
        "authors": ["Test Desk"],
        "title": title,
        "body": body,
        "url": url or f"https://news.example/{article_id}",
        "source": "test",
        "ingested_at": "2025-06-01T00:00:00.000Z",
        "enriched_at": "2025-06-01T00:00:01.000Z",
        "entities": entities,
        "quotes": [],
        "stances": stance_events,
        "models": {"test": "hand-built"},
    }


OKAFOR_BACKS = "Mira Okafor, Veldonia's foreign minister, said the deal would"
OKAFOR_STANCE = {
    "holder": "Mira Okafor",
    "target": "Ostmark Union",
    "polarity": "support",
    "sentence": OKAFOR_BACKS,
}


def three_versions() -> list[dict[str, Any]]:
    """The wire copy, an edited copy on another outlet, and a rewrite on a third, all on 10 June."""
    return [
        story_article(
            "kessel-wire",
            WIRE,
            published="2025-06-10",
            title="Veldonia and Ostmark Union agree to reopen Kessel crossing",
            url="https://wire.example/kessel",
            stances=[OKAFOR_STANCE],
        ),
        story_article(
            "kessel-edited",
            EDITED,
            published="2025-06-10",
            title="Kessel border crossing to reopen after tense talks",
            url="https://www.daily.example/world/kessel",
            stances=[OKAFOR_STANCE],
        ),
        story_article(
            "kessel-rewrite",
            REWRITE,
            published="2025-06-10",
            title="Okafor and Lind strike deal on Kessel checkpoint",
            url="https://herald.example/kessel-deal",
        ),
    ]


def week_later() -> dict[str, Any]:
    return story_article(
        "lakes-talks",
        LATER,
        published="2025-06-17",
        title="Okafor and Lind turn to fishing quotas",
        url="https://wire.example/lakes",
    )
