"""The seed article against its hand-made gold (``tests/gold/<seed>.quotes.json``).

Acceptance: every full-sentence direct quote is attributed to its true speaker (Starmer, Meloni,
Stubb), including the one introduced by "he"; and no quote gets a wrong speaker (null is allowed
where the text does not say, a guess is not).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.enrich.entities import EntityResolver
from streams.enrich.quotes import QuoteAttributor
from streams.models import Quote

GOLD = Path(__file__).resolve().parents[1] / "gold" / "000_08fdfb15822a403d.quotes.json"


def overlap(q: Quote, g: dict) -> int:
    return max(0, min(q["end"], g["end"]) - max(q["start"], g["start"]))


@pytest.fixture(scope="module")
def gold(seed_article) -> list[dict]:
    data = json.loads(GOLD.read_text(encoding="utf-8"))
    for g in data["quotes"]:
        assert seed_article.body[g["start"] : g["end"]] == g["text"], g["text"]
        span = g["speaker_span"]
        assert seed_article.body[span["start"] : span["end"]] == g["speaker_text"]
    return data["quotes"]


@pytest.fixture(scope="module")
def predicted(nlp, seed_article) -> tuple[list[Quote], dict[str, str]]:
    doc = nlp(seed_article.body)
    entities = EntityResolver().resolve(doc)
    return QuoteAttributor().attribute(doc, entities), {e["id"]: e["name"] for e in entities}


def same_person(name: str | None, gold_name: str) -> bool:
    return name is not None and gold_name.split()[-1] in name


def test_every_full_sentence_direct_quote_has_its_true_speaker(gold, predicted):
    quotes, names = predicted
    targets = [g for g in gold if g["kind"] == "direct" and g["full_sentence"]]
    assert {g["speaker"] for g in targets} == {"Keir Starmer", "Giorgia Meloni", "Alexander Stubb"}
    assert any(g["speaker_text"] == "he" for g in targets)
    for g in targets:
        hits = [q for q in quotes if q["kind"] == "direct" and overlap(q, g) >= 0.5 * (g["end"] - g["start"])]
        assert hits, f"direct quote not found: {g['text'][:60]!r}"
        q = hits[0]
        assert q["speaker"] is not None, f"no speaker for {g['text'][:60]!r}"
        assert same_person(names[q["speaker"]], g["speaker"]), (g["text"][:60], q["speaker"])
        assert q["cue"] == g["cue"]
        assert (q.get("venue") or None) == g["venue"]


def test_no_quote_gets_a_wrong_speaker(gold, predicted):
    quotes, names = predicted
    for q in quotes:
        for g in gold:
            if overlap(q, g) and q["speaker"] is not None:
                assert g["speaker"] is not None and same_person(names[q["speaker"]], g["speaker"]), (
                    q["text"][:60],
                    q["speaker"],
                    g["speaker"],
                )


def test_most_gold_attributions_are_found(gold, predicted):
    quotes, _ = predicted
    found = [
        g
        for g in gold
        if any(overlap(q, g) >= 0.5 * min(q["end"] - q["start"], g["end"] - g["start"]) for q in quotes)
    ]
    assert len(found) / len(gold) >= 0.8, [g["text"][:50] for g in gold if g not in found]
