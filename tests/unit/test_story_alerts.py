"""Per-story subscriptions and position alerts: the story desk and the alert engine on plain dicts,
as the worker's alert-match agent composes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from typer.testing import CliRunner

from streams.alerts.articles import project_article
from streams.alerts.engine import AlertEngine, AlertState, EngineConfig
from streams.alerts.rules import RuleError, compile_rule
from streams.alerts.subscriptions import Subscription
from streams.cli import alerts as cli_alerts
from streams.cli import app
from streams.stories.desk import StoryDesk
from streams.stories.sketch import sketch_article
from tests.unit.story_support import REWRITE, story_article, three_versions, week_later
from tests.unit.test_stories import SEQUENCE

NOW = datetime(2025, 7, 30, tzinfo=UTC)


def sub(rule: dict[str, Any], sid: str, **doc: Any) -> Subscription:
    return Subscription.from_doc({"id": sid, "rule": rule, **doc})


class Worker:
    """alert-match's composition: the desk first (story, flips), then the engine."""

    def __init__(self) -> None:
        self.desk = StoryDesk.in_memory()
        self.engine = AlertEngine(EngineConfig(), AlertState.in_memory())

    def feed(self, subs: list[Subscription], articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        alerts = []
        for article in articles:
            projected = project_article(article)
            story = self.desk.on_article(projected, sketch_article(article), NOW)
            alerts.extend(
                self.engine.on_article(projected, subs, NOW, story=story.story, positions=story.flips).alerts
            )
        return alerts


def test_a_per_story_subscription_gets_one_alert_and_updates_per_story(registry) -> None:
    per_story = sub({"kind": "entity", "entity": "Veldonia"}, "desk", per="story")
    per_article = sub({"kind": "entity", "entity": "Veldonia"}, "plain")
    alerts = Worker().feed([per_story, per_article], [*three_versions(), week_later()])
    for alert in alerts:
        registry.validate(alert)
    story_alerts = [a for a in alerts if a["subscription_id"] == "desk"]
    assert [(a["kind"], a["article_id"]) for a in story_alerts] == [
        ("match", "kessel-wire"),
        ("update", "kessel-edited"),
        ("update", "kessel-rewrite"),
        ("match", "lakes-talks"),  # a week later: a story of its own
    ]
    first = story_alerts[0]
    assert [a["story"]["alert"] for a in story_alerts[:3]] == [first["fingerprint"]] * 3
    assert [a["story"]["articles"] for a in story_alerts] == [1, 2, 3, 1]
    assert story_alerts[3]["story"]["story_id"] != first["story"]["story_id"]
    assert [a["kind"] for a in alerts if a["subscription_id"] == "plain"] == ["match"] * 4
    assert all("story" not in a for a in alerts if a["subscription_id"] == "plain")


def test_a_later_article_with_a_new_matching_stance_alerts_anew() -> None:
    wire, edited, _ = three_versions()
    sentence = "Lind described the pact as a beginning rather than an end."
    rewrite = story_article(
        "kessel-rewrite",
        REWRITE,
        published="2025-06-10",
        title="Okafor and Lind strike deal on Kessel checkpoint",
        stances=[{"holder": "Tomas Lind", "target": "Veldonia", "polarity": "support", "sentence": sentence}],
    )
    subscription = sub({"kind": "stance", "polarity": "support"}, "support", per="story")
    alerts = Worker().feed([subscription], [wire, edited, rewrite])
    assert [a["kind"] for a in alerts] == ["match", "update", "match"]
    assert alerts[2]["matches"][0]["holder"]["name"] == "Tomas Lind"
    assert len({a["story"]["story_id"] for a in alerts}) == 1


def test_a_replayed_story_article_sends_nothing() -> None:
    worker = Worker()
    subscription = sub({"kind": "entity", "entity": "Veldonia"}, "desk", per="story")
    assert len(worker.feed([subscription], three_versions())) == 3
    assert worker.feed([subscription], three_versions()) == []


def test_a_position_rule_alerts_once_on_the_real_change_with_both_sides(registry) -> None:
    subscription = sub({"kind": "position", "holder": "Mira Okafor", "target": "Ostmark Union"}, "pos")
    articles = [
        story_article(
            f"pos-{day}",
            f"{sentence} It was day {day} of the month.",
            published=f"2025-07-{day:02d}",
            title=f"Okafor, day {day}",
            stances=[
                {
                    "holder": "Mira Okafor",
                    "target": "Ostmark Union",
                    "polarity": polarity,
                    "sentence": sentence,
                }
            ],
        )
        for day, polarity, sentence in SEQUENCE
    ]
    alerts = Worker().feed([subscription], articles)
    (alert,) = alerts
    registry.validate(alert)
    assert alert["article_id"] == "pos-22"
    (m,) = alert["matches"]
    assert m["kind"] == "position" and (m["scores"]["from"], m["scores"]["to"]) == ("support", "oppose")
    assert [e["article_id"] for e in m["position"]["before"]] == ["pos-3", "pos-5", "pos-10"]
    assert [e["article_id"] for e in m["position"]["after"]] == ["pos-8", "pos-20", "pos-22"]
    assert m["evidence"][0]["text"] == SEQUENCE[6][2]


def test_position_rules_need_a_target(registry) -> None:
    try:
        compile_rule({"kind": "position", "holder": "Mira Okafor"})
    except RuleError as exc:
        assert "'target' is required" in str(exc)
    else:
        raise AssertionError("a position rule without a target compiled")
    error = registry.first_error(
        "subscription.v1",
        {
            "schema": "subscription.v1",
            "id": "x",
            "rule": {"kind": "position", "target": "T", "delta": 1},
            "frequency": {"mode": "instant"},
            "per": "story",
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        },
    )
    assert error is not None and "delta" in error.message


def test_subscribe_sends_per_story(monkeypatch) -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(orjson.loads(request.content))
        return httpx.Response(201, json={**sent[-1], "schema": "subscription.v1"})

    monkeypatch.setattr(
        cli_alerts,
        "_client",
        lambda api, token: httpx.Client(transport=httpx.MockTransport(handler), base_url="http://worker"),
    )
    result = CliRunner().invoke(app, ["subscribe", "desk", "-e", "Veldonia", "--per", "story", "--json"])
    assert result.exit_code == 0, result.output
    assert sent == [{"rule": {"kind": "entity", "entity": "Veldonia"}, "id": "desk", "per": "story"}]
