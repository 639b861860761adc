"""The stance stage's own logic on made-up sentences: what it plans to read, and how readings become
stances (fixed readings stand in for the model here: the stage's rules are under test, not the model)."""

from __future__ import annotations

import numpy as np
import pytest

from streams.enrich.entities import EntityResolver
from streams.enrich.quotes import QuoteAttributor
from streams.enrich.stances import StanceExtractor, StancePlan
from streams.enrich.topics import TopicCatalog
from streams.evaluation.directed import SWAPPED, parse_line
from streams.evaluation.stances import label_of
from streams.models import Entity
from streams.models import Span as TextSpan
from streams.settings import Settings
from streams.stancemodel.model import SentenceResult


@pytest.fixture(scope="module")
def stage(nlp):
    return (
        EntityResolver.from_settings(Settings()),
        QuoteAttributor(),
        StanceExtractor(TopicCatalog.from_paths(nlp)),
    )


def planned(nlp, stage, text: str) -> tuple[StancePlan, list[Entity]]:
    resolver, attributor, extractor = stage
    doc = nlp(text)
    entities = resolver.resolve(doc)
    return extractor.plan(doc, entities, attributor.attribute(doc, entities)), entities


def reading(plan: StancePlan, pair_probs: list[float], sentiment: list[float]) -> list[SentenceResult]:
    return [
        SentenceResult(
            span_scores=[np.array(sentiment) for _ in s.spans],
            pair_scores=[np.array(pair_probs) for _ in s.pairs],
            pair_classes=[int(np.argmax(pair_probs)) for _ in s.pairs],
        )
        for s in plan.sentences
    ]


TEXT = "Chancellor Hans Brandt sharply criticized Viktor Orban on Monday."


def test_a_sentence_with_two_entities_is_read_once_with_both_marked(nlp, stage):
    plan, _ = planned(nlp, stage, TEXT + " The weather in Vienna was fine.")
    assert len(plan.sentences) == 1  # the second sentence holds no pair and no candidate
    (sentence,) = plan.sentences
    assert {TEXT[a:b] for a, b in sentence.spans} == {"Hans Brandt", "Viktor Orban"}
    assert sentence.pairs == [(0, 1)] or sentence.pairs == [(1, 0)] or len(sentence.pairs) == 1


@pytest.mark.parametrize(
    ("label", "holder", "polarity"),
    [(1, "first", "support"), (2, "second", "support"), (3, "first", "oppose"), (4, "second", "oppose")],
)
def test_the_most_probable_class_decides_holder_direction_and_polarity(nlp, stage, label, holder, polarity):
    plan, entities = planned(nlp, stage, TEXT)
    (sentence,) = plan.sentences
    probs = [0.05] * 5
    probs[label] = 0.8
    (stance,) = StanceExtractor(stage[2].topics).finalize(
        TEXT, plan, reading(plan, probs, [0.2, 0.6, 0.2]), entities
    )
    i, j = sentence.pairs[0]
    first, second = sentence.span_names[i], sentence.span_names[j]
    assert stance["holder_name"] == (first if holder == "first" else second)
    assert stance["target_name"] == (second if holder == "first" else first)
    assert stance["polarity"] == polarity
    assert stance["confidence"] == pytest.approx(0.8)
    assert (stance["sentiment"] > 0) == (polarity == "support")
    assert stance["evidence"]["text"] == TEXT


def test_none_is_no_stance(nlp, stage):
    plan, entities = planned(nlp, stage, TEXT)
    assert stage[2].finalize(TEXT, plan, reading(plan, [0.6, 0.1, 0.1, 0.1, 0.1], [0, 1, 0]), entities) == []


def test_entity_sentiment_is_the_mean_of_its_read_mentions(nlp, stage):
    plan, entities = planned(nlp, stage, TEXT)
    stage[2].finalize(TEXT, plan, reading(plan, [1, 0, 0, 0, 0], [0.1, 0.2, 0.7]), entities)
    scored = {e["name"]: e.get("sentiment") for e in entities}
    assert scored["Hans Brandt"] == pytest.approx(0.6)


def test_only_sentences_whose_sentiment_is_used_ask_for_it(nlp, stage):
    """An entity's sentiment comes from its first two sentences: a third sentence naming the same two
    people is read for its pair alone."""
    text = " ".join(
        [
            TEXT,
            "Hans Brandt later met Viktor Orban in Vienna.",
            "Hans Brandt and Viktor Orban had lunch on Tuesday.",
        ]
    )
    plan, _ = planned(nlp, stage, text)
    assert [len(s.pairs) > 0 for s in plan.sentences] == [True, True, True]
    assert [s.sentiment for s in plan.sentences] == [True, True, False]
    assert [r.sentiment for r in plan.requests(text)] == [True, True, False]


def test_an_institution_is_a_holder_of_its_own(nlp, stage):
    text = "The Trump administration wants a public apology from Volodymyr Zelenskiy."
    plan, _ = planned(nlp, stage, text)
    names = {name for s in plan.sentences for name in s.span_names}
    assert "Trump administration" in names


def test_topics_keep_their_clause_rules_and_never_contradict_the_sign(nlp, stage):
    text = "Senator Maria Okonkwo backed the Iran nuclear deal on Monday."
    plan, entities = planned(nlp, stage, text)
    negative_reading = reading(plan, [1, 0, 0, 0, 0], [0.9, 0.05, 0.05])
    stances = stage[2].finalize(text, plan, negative_reading, entities)
    topic = [s for s in stances if s["target"].startswith("topic:")]
    assert topic and topic[0]["polarity"] == "support" and topic[0]["sentiment"] >= 0
    # without the model the clause rules still give the topic stance
    assert [s["target"] for s in stage[2].finalize(text, plan, None, entities)] == [topic[0]["target"]]


def test_a_quoted_target_away_from_its_speaker_takes_the_sign_of_the_sentiment_toward_it(nlp, stage):
    text = "Chancellor Hans Brandt spoke in Vienna on Monday. “Viktor Orban is a danger,” he told reporters."
    plan, entities = planned(nlp, stage, text)
    assert [c.holder_name for c in plan.quote_candidates] == ["Hans Brandt"]
    negative = stage[2].finalize(text, plan, reading(plan, [1, 0, 0, 0, 0], [0.8, 0.1, 0.1]), entities)
    assert [(s["holder_name"], s["target_name"], s["polarity"]) for s in negative] == [
        ("Hans Brandt", "Viktor Orbán", "oppose")
    ]
    assert negative[0]["sentiment"] < 0 and negative[0]["confidence"] == pytest.approx(0.8)
    neutral = stage[2].finalize(text, plan, reading(plan, [1, 0, 0, 0, 0], [0.2, 0.6, 0.2]), entities)
    assert neutral == []  # "mentioned" is not a stance


def test_park_lines_give_spans_without_the_brackets():
    item = parse_line("[Ana Ruiz] praised [Tom Okafor]s plan.\tAna Ruiz\tTom Okafor\t1\n")
    assert item is not None
    assert item.text == "Ana Ruiz praised Tom Okafors plan."
    assert item.text[item.p[0] : item.p[1]] == "Ana Ruiz" and item.text[item.q[0] : item.q[1]] == "Tom Okafor"
    assert item.label == 1
    assert parse_line("no brackets here\tA\tB\t0") is None
    assert parse_line("[A] and [B]\tA\tB\t9") is None
    assert [SWAPPED[SWAPPED[k]] for k in range(5)] == list(range(5))


def mention(text: str, name: str) -> TextSpan:
    start = text.index(name)
    return TextSpan(start=start, end=start + len(name), text=name)


def test_published_stances_map_back_to_the_five_classes():
    item = parse_line("[Ana Ruiz] praised [Tom Okafor].\tAna Ruiz\tTom Okafor\t1")
    assert item is not None
    entities = [
        Entity(id="a", name="Ana Ruiz", type="PERSON", mentions=[mention(item.text, "Ana Ruiz")]),
        Entity(id="t", name="Tom Okafor", type="PERSON", mentions=[mention(item.text, "Tom Okafor")]),
    ]

    def stance(holder: str, target: str, polarity: str, confidence: float = 0.9):
        return {"holder": holder, "target": target, "polarity": polarity, "confidence": confidence}

    assert label_of(item, entities, []) == 0
    assert label_of(item, entities, [stance("a", "t", "support")]) == 1
    assert label_of(item, entities, [stance("t", "a", "support")]) == 2
    assert label_of(item, entities, [stance("a", "t", "oppose")]) == 3
    assert label_of(item, entities, [stance("t", "a", "oppose")]) == 4
    assert label_of(item, entities, [stance("a", "t", "neutral")]) == 0
    both = [stance("a", "t", "support", 0.6), stance("t", "a", "oppose", 0.7)]
    assert label_of(item, entities, both) == 4
    assert label_of(item, entities[:1], [stance("a", "t", "support")]) == 0  # q not found as an entity


def test_decision_biases_lift_a_rare_class_and_leave_the_rest():
    from streams.stancemodel.decision import decide, fit_bias, macro_f1

    rng = np.random.default_rng(3)
    gold = np.array([0] * 80 + [1] * 10 + [2] * 10)
    probs = np.full((100, 3), 0.1)
    probs[np.arange(100), gold] = 0.5
    probs[90:, 0], probs[90:, 2] = 0.55, 0.35  # class 2 is read, but always under "none"
    probs += rng.uniform(0, 0.01, size=probs.shape)
    probs /= probs.sum(axis=1, keepdims=True)
    before = macro_f1(gold, decide(probs), 3)
    bias = fit_bias(probs, gold.tolist())
    assert bias[0] == 0 and bias[1] == 0 and bias[2] > 0
    assert macro_f1(gold, decide(probs, bias), 3) > before
