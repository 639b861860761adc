"""Rule kinds, combinators and matching, on plain dicts (no Kafka, no Faust)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streams.alerts.articles import project_article, sentence_around
from streams.alerts.match import build_alert, match
from streams.alerts.rules import RuleError, compile_rule
from streams.alerts.subscriptions import Subscription
from tests.unit.test_alert_support import enriched_article, stance

NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)


def sub(rule: dict[str, Any], sid: str = "s1", **doc: Any) -> Subscription:
    return Subscription.from_doc({"id": sid, "rule": rule, **doc})


ARTICLE = enriched_article(
    "a1",
    mentions=["Ukraine", "NATO"],
    stances=[
        stance("Vladimir Putin", "Ukraine", "oppose", -0.8, confidence=0.9),
        stance("Keir Starmer", "Ukraine", "support", 0.7, confidence=0.6),
        stance("Vladimir Putin", "NATO", "oppose", -0.6, confidence=0.4),
    ],
)


@pytest.mark.parametrize("ref", ["Q7747", "Vladimir Putin", "vladimir putin"])
def test_entity_rule_matches_by_id_or_name_with_mention_evidence(ref: str) -> None:
    (m,) = match(sub({"kind": "entity", "entity": ref}), ARTICLE)
    assert m["kind"] == "entity" and m["target"]["id"] == "Q7747"
    body = ARTICLE["body"]
    for item in m["evidence"]:
        assert body[item["start"] : item["end"]] == item["text"] == "Vladimir Putin"
        context = item["context"]
        assert body[context["start"] : context["end"]] == context["text"]
        assert item["start"] >= context["start"] and item["end"] <= context["end"]


def test_entity_rule_min_mentions_and_absent_entity() -> None:
    assert match(sub({"kind": "entity", "entity": "Emmanuel Macron"}), ARTICLE) == []
    assert match(sub({"kind": "entity", "entity": "Ukraine", "min_mentions": 5}), ARTICLE) == []
    assert len(match(sub({"kind": "entity", "entity": "Ukraine", "min_mentions": 3}), ARTICLE)) == 1


def test_stance_rule_filters_holder_target_polarity_confidence() -> None:
    oppose = match(sub({"kind": "stance", "holder": "Vladimir Putin", "polarity": "oppose"}), ARTICLE)
    assert {m["target"]["name"] for m in oppose} == {"Ukraine", "NATO"}
    confident = match(sub({"kind": "stance", "holder": "Q7747", "min_confidence": 0.5}), ARTICLE)
    assert [m["target"]["name"] for m in confident] == ["Ukraine"]
    (m,) = match(sub({"kind": "stance", "target": "Ukraine", "polarity": "support"}), ARTICLE)
    assert m["holder"] == {"id": "person:keir-starmer", "name": "Keir Starmer", "type": None}
    assert m["stance"]["polarity"] == "support" and m["scores"]["confidence"] == 0.6
    (evidence,) = m["evidence"]
    assert ARTICLE["body"][evidence["start"] : evidence["end"]] == evidence["text"]
    assert evidence["kind"] == "stance"


def test_sentiment_rule_below_and_above() -> None:
    below = match(sub({"kind": "sentiment", "target": "Ukraine", "below": -0.5}), ARTICLE)
    assert [m["holder"]["name"] for m in below] == ["Vladimir Putin"]
    assert below[0]["scores"]["threshold"] == -0.5
    above = match(sub({"kind": "sentiment", "target": "Ukraine", "above": 0.5}), ARTICLE)
    assert [m["holder"]["name"] for m in above] == ["Keir Starmer"]
    assert match(sub({"kind": "sentiment", "target": "Ukraine", "above": 0.9}), ARTICLE) == []


def test_combinators_all_any_not() -> None:
    putin = {"kind": "entity", "entity": "Vladimir Putin"}
    macron = {"kind": "entity", "entity": "Emmanuel Macron"}
    starmer_backs = {"kind": "stance", "holder": "Keir Starmer", "polarity": "support"}
    assert match(sub({"kind": "all", "rules": [putin, macron]}), ARTICLE) == []
    both = match(sub({"kind": "all", "rules": [putin, starmer_backs]}), ARTICLE)
    assert {m["kind"] for m in both} == {"entity", "stance"}
    either = match(sub({"kind": "any", "rules": [macron, starmer_backs]}), ARTICLE)
    assert [m["kind"] for m in either] == ["stance"]
    without_macron = match(sub({"kind": "all", "rules": [putin, {"kind": "not", "rule": macron}]}), ARTICLE)
    assert [m["target"]["name"] for m in without_macron] == ["Vladimir Putin"]
    assert (
        match(sub({"kind": "all", "rules": [putin, {"kind": "not", "rule": starmer_backs}]}), ARTICLE) == []
    )


def test_the_same_leaf_twice_is_one_match() -> None:
    putin = {"kind": "entity", "entity": "Vladimir Putin"}
    assert len(match(sub({"kind": "any", "rules": [putin, putin]}), ARTICLE)) == 1


def test_fingerprints_are_stable_and_depend_on_subscription_rule_article_target() -> None:
    rule = {"kind": "entity", "entity": "Ukraine"}
    first = match(sub(rule), ARTICLE)[0]["fingerprint"]
    assert match(sub(rule), ARTICLE)[0]["fingerprint"] == first  # a replay
    assert match(sub(rule, sid="other"), ARTICLE)[0]["fingerprint"] != first
    assert match(sub({**rule, "min_mentions": 1}), ARTICLE)[0]["fingerprint"] != first
    other = {**ARTICLE, "article_id": "a2"}
    assert match(sub(rule), other)[0]["fingerprint"] != first
    assert len(first) == 32


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"kind": "bogus"}, "unknown rule kind 'bogus'"),
        ({"kind": "stance"}, "needs at least one of holder, target, polarity"),
        ({"kind": "sentiment", "target": "X"}, "exactly one of 'below' or 'above'"),
        ({"kind": "sentiment", "target": "X", "below": -0.1, "above": 0.1}, "exactly one"),
        ({"kind": "sentiment", "target": "X", "below": -3}, "rule/below: must be a number from -1 to 1"),
        ({"kind": "shift", "target": "X", "delta": 0}, "rule/delta"),
        ({"kind": "spike", "entity": "X", "factor": 0.5}, "rule/factor"),
        ({"kind": "not", "rule": {"kind": "entity", "entity": "X"}}, "un-negated"),
        (
            {
                "kind": "any",
                "rules": [
                    {"kind": "entity", "entity": "X"},
                    {"kind": "not", "rule": {"kind": "entity", "entity": "Y"}},
                ],
            },
            "un-negated",
        ),
        ({"kind": "all", "rules": []}, "non-empty list"),
        ({"kind": "entity"}, "'entity' is required"),
    ],
)
def test_rules_that_cannot_be_used_say_where_and_why(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compile_rule(rule)


def test_deeply_nested_rules_are_refused() -> None:
    rule: dict[str, Any] = {"kind": "entity", "entity": "X"}
    for _ in range(8):
        rule = {"kind": "all", "rules": [rule]}
    with pytest.raises(RuleError, match="nest at most"):
        compile_rule(rule)


def test_one_alert_per_subscription_and_article_with_all_matches_and_evidence(registry) -> None:
    subscription = sub(
        {
            "kind": "any",
            "rules": [
                {"kind": "entity", "entity": "Ukraine"},
                {"kind": "stance", "holder": "Vladimir Putin"},
            ],
        },
        name="desk",
    )
    matches = match(subscription, ARTICLE)
    assert len(matches) == 3  # the Ukraine mention + two Putin stances
    alert = build_alert(subscription, project_article(ARTICLE), matches, NOW)
    registry.validate(alert)
    assert alert["subscription_id"] == "s1" and alert["subscription_name"] == "desk"
    assert alert["article_id"] == "a1" and alert["article"]["url"] == "https://news.example/a1"
    assert alert["scores"] == {"matches": 3, "max_confidence": 0.9, "mean_sentiment": -0.7}
    starts = [e["start"] for e in alert["evidence"]]
    assert starts == sorted(starts) and len(starts) == len(
        {(e["start"], e["end"], e["kind"]) for e in alert["evidence"]}
    )
    assert alert["created_at"] == "2025-03-02T12:00:00.000Z"


def test_projection_drops_the_body_but_keeps_evidence_and_survives_junk() -> None:
    projected = project_article(
        {
            **ARTICLE,
            "stances": [*ARTICLE["stances"], {"holder": "x"}, "junk"],
            "entities": [*ARTICLE["entities"], {"name": "no id"}],
        }
    )
    assert "body" not in projected and len(projected["stances"]) == 3
    assert projected["time"] == "2025-03-01T00:00:00.000Z"
    assert all(len(e["mentions"]) <= 3 for e in projected["entities"])


def test_sentence_around_stays_in_the_sentence() -> None:
    body = "First one. Second sentence names Putin here! Third."
    start = body.index("Putin")
    context = sentence_around(body, start, start + 5)
    assert context == {"start": 11, "end": 44, "text": "Second sentence names Putin here!"}
