"""Clause rules on made-up sentences (a fixed scorer stands in for the model: the rules are under
test here) and the seed's expected stances through the whole enrichment with the shipped model
(tests/gold; what the model still misses there is marked, with what it reads)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.enrich.entities import EntityResolver
from streams.enrich.quotes import QuoteAttributor
from streams.enrich.stance_rules import RuleStanceExtractor
from streams.enrich.topics import TopicCatalog
from streams.sentiment.base import TargetSentiment
from streams.settings import Settings
from tests.conftest import REPO


class FixedScorer:
    name = "fixed"

    def __init__(self, score: float) -> None:
        self.score = score

    def predict(self, items):
        polarity = "positive" if self.score > 0.2 else "negative" if self.score < -0.2 else "neutral"
        return [TargetSentiment(polarity, self.score, {polarity: 0.9}) for _ in items]


@pytest.fixture(scope="module")
def parts(nlp):
    return (
        EntityResolver.from_settings(Settings()),
        QuoteAttributor(),
        RuleStanceExtractor(TopicCatalog.from_paths(nlp)),
    )


def stances_of(nlp, parts, text: str, score: float = 0.0):
    resolver, attributor, extractor = parts
    doc = nlp(text)
    entities = resolver.resolve(doc)
    quotes = attributor.attribute(doc, entities)
    candidates = extractor.candidates(doc, entities, quotes)
    scorer = FixedScorer(score)
    stances = extractor.finalize(text, candidates, scorer.predict([c.item for c in candidates]))
    for stance in stances:
        evidence = stance["evidence"]
        assert text[evidence["start"] : evidence["end"]] == evidence["text"]
        assert -1 <= stance["sentiment"] <= 1 and 0 <= stance["confidence"] <= 1
    return {(s["holder_name"], s["target_name"]): s["polarity"] for s in stances}


def test_backing_and_criticizing_verbs(nlp, parts):
    found = stances_of(nlp, parts, "Senator Maria Okonkwo backed the Iran nuclear deal on Monday.")
    assert found[("Maria Okonkwo", "Iran nuclear deal")] == "support"
    found = stances_of(nlp, parts, "Chancellor Hans Brandt criticized Viktor Orban over the vote.")
    assert found[("Hans Brandt", "Viktor Orbán")] == "oppose"  # the gazetteer's spelling


def test_negation_turns_the_verb(nlp, parts):
    found = stances_of(nlp, parts, "Governor Lisa Tran did not support the minimum wage.")
    assert found[("Lisa Tran", "minimum wage")] == "oppose"
    found = stances_of(nlp, parts, "Prime Minister Ana Ruiz declined to criticize Donald Trump.")
    assert found[("Ana Ruiz", "Donald Trump")] == "neutral"


def test_demands_and_prefixes(nlp, parts):
    found = stances_of(nlp, parts, "President Joao Silva wants an apology from Elena Petrova.")
    assert found[("Joao Silva", "Elena Petrova")] == "oppose"
    found = stances_of(nlp, parts, "Minister Tom Okafor backed an anti-tariffs campaign in the capital.")
    assert found.get(("Tom Okafor", "tariffs")) == "oppose"


def test_questions_state_no_stance(nlp, parts):
    found = stances_of(
        nlp, parts, "Asked if Ana Ruiz had agreed to back the ceasefire, the minister said nothing."
    )
    assert ("Ana Ruiz", "ceasefire") not in found


def test_quote_targets_take_the_model_sign_and_neutral_mentions_are_not_stances(nlp, parts):
    text = "“Viktor Orban is a danger to Europe,” Chancellor Hans Brandt told reporters."
    assert stances_of(nlp, parts, text, score=-0.8)[("Hans Brandt", "Viktor Orbán")] == "oppose"
    assert stances_of(nlp, parts, text, score=0.8)[("Hans Brandt", "Viktor Orbán")] == "support"
    assert ("Hans Brandt", "Viktor Orbán") not in stances_of(nlp, parts, text, score=0.0)


def test_unresolved_speakers_hold_no_stance(nlp, parts):
    found = stances_of(nlp, parts, "“Viktor Orban is a danger,” one official said.", score=-0.9)
    assert not any(target == "Viktor Orbán" for _, target in found)


def test_topics_come_from_an_extendable_catalog(nlp, tmp_path: Path):
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        orjson.dumps(
            {"id": "topic:four-day-week", "name": "four-day week", "aliases": ["four-day week"]}
        ).decode()
    )
    catalog = TopicCatalog.from_paths(nlp, str(extra))
    found = catalog.find(nlp("Unions backed a four-day week and a ceasefire."))
    assert [m.topic.id for m in found] == ["topic:four-day-week", "topic:ceasefire"]


@pytest.fixture(scope="module")
def seed_enriched(seed_article):
    from streams.enrich.pipeline import Enricher

    return Enricher.from_settings(Settings()).enrich_batch([seed_article])[0]


GOLD = orjson.loads((REPO / "tests" / "gold" / "2ec5ed7180a43981.stances.json").read_bytes())


#: What the learned stance model (stance-pairs-v1, docs/stances.md) still reads wrong in the seed, with
#: what it reads (the pair alone in its sentence, through ``streams.enrich.pipeline.load_model``).
#: Issue 10 stays open on them; ``strict``: a model that gets one right fails the test until its mark
#: is removed, so the list can only shrink.
MODEL_MISSES = {
    (
        "Alexander Stubb",
        "Vladimir Putin",
    ): "the pair reads none 0.44, Stubb → Putin positive 0.37, negative 0.19",
    (
        "Keir Starmer",
        "Donald Trump",
    ): "'declined to criticize Trump' reads as Starmer → Trump negative (0.85)",
    (
        "Keir Starmer",
        "Volodymyr Zelenskiy",
    ): "'thought Zelenskiy had done nothing wrong' reads as negative (0.52); no stance reported",
    (
        "Trump administration",
        "Volodymyr Zelenskiy",
    ): "'wants a public apology from Zelenskiy' reads none (0.59)",
}
SEED_CASES = [
    pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=MODEL_MISSES[(e["holder"], e["target"])]))
    if (e["holder"], e["target"]) in MODEL_MISSES
    else e
    for e in GOLD["stances"]
]


@pytest.mark.parametrize("expected", SEED_CASES, ids=lambda e: f"{e['holder']}->{e['target']}")
def test_seed_stances_match_the_gold(seed_enriched, expected):
    body = seed_enriched["body"]

    def ids_for(name: str) -> set[str]:
        if name.startswith("topic:"):
            return {name}
        return {
            e["id"]
            for e in seed_enriched["entities"]
            if e["name"] == name or any(m["text"] == name for m in e["mentions"])
        }

    holders, targets = ids_for(expected["holder"]), ids_for(expected["target"])
    assert holders and targets, f"entities for {expected['holder']!r} / {expected['target']!r} not found"
    matches = [s for s in seed_enriched["stances"] if s["holder"] in holders and s["target"] in targets]
    assert matches, f"no stance {expected['holder']} -> {expected['target']}"
    (stance,) = matches  # one stance per (holder, target) in an article
    assert stance["polarity"] in expected["polarity"]
    if expected.get("sentiment") == "negative":
        assert stance["sentiment"] < 0
    if expected.get("sentiment") == "positive":
        assert stance["sentiment"] > 0
    evidence = stance["evidence"]
    assert body[evidence["start"] : evidence["end"]] == evidence["text"]
    assert expected["evidence"] in evidence["text"]


def test_exoneration_is_support_whatever_the_model_reads(nlp, parts):
    text = "“Viktor Orban did nothing wrong,” Chancellor Hans Brandt said."
    assert stances_of(nlp, parts, text, score=-0.9)[("Hans Brandt", "Viktor Orbán")] == "support"


def test_a_clause_with_its_own_subject_is_not_the_speakers_stance(nlp, parts):
    # The wanting is the minister's; the speaker only reports it, so only the model's reading counts.
    text = "“Lisa Tran wants sanctions,” Chancellor Hans Brandt said."
    assert ("Hans Brandt", "sanctions") not in stances_of(nlp, parts, text, score=0.0)
