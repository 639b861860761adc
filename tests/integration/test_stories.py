"""Stories and positions on the real broker: hand-built, schema-valid ``article.enriched.v1`` events
(made-up parties; stances placed by hand, because the stance model's output is not what is under
test) produced straight to articles.enriched, the worker as a real process, every topic read back by
an independent consumer.

Before the restart: the wire copy and an edited copy of one story, and the first six articles of a
holder's stances on a target (support, one stray oppose, support, oppose: no flip yet). After it: a
rewrite of the story (same people and day, other words), the two articles that make the position
flip, and an article on the same people a week later. The rewrite only joins the story, and the
flip only fires, if the story and position tables came back from their changelogs.
"""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaConsumer

from tests.integration.conftest import Pipeline
from tests.integration.test_alerts import TOKEN, api, produce_enriched, start
from tests.unit.story_support import story_article, three_versions, week_later
from tests.unit.test_stories import SEQUENCE

pytestmark = pytest.mark.integration

SUBSCRIPTIONS = {
    # Veldonia and Tomas Lind together: the Kessel story and the lakes talks, not the position articles.
    "kessel-desk": {
        "rule": {
            "kind": "all",
            "rules": [{"kind": "entity", "entity": "Veldonia"}, {"kind": "entity", "entity": "Tomas Lind"}],
        },
        "per": "story",
    },
    "okafor-position": {"rule": {"kind": "position", "holder": "Mira Okafor", "target": "Ostmark Union"}},
}


def position_article(day: int, polarity: str, sentence: str) -> dict[str, Any]:
    return story_article(
        f"okafor-{day:02d}",
        f"{sentence} The minister spoke on day {day} of the month.",
        published=f"2025-07-{day:02d}",
        title=f"Okafor on the Ostmark Union, day {day}",
        url=f"https://gazette.example/okafor-{day:02d}",
        stances=[
            {"holder": "Mira Okafor", "target": "Ostmark Union", "polarity": polarity, "sentence": sentence}
        ],
    )


POSITIONS = [position_article(*step) for step in SEQUENCE]
WIRE, EDITED, REWRITE = three_versions()
LATER = week_later()


@pytest.fixture(scope="module")
def stories(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update({"STANCEWIRE_API_TOKEN": TOKEN})
    start(pipeline)
    return pipeline


def story_of(events: list[dict[str, Any]], article_id: str) -> str:
    (story_id,) = {
        e["story_id"] for e in events if e["article"] is not None and e["article"]["article_id"] == article_id
    }
    return story_id


def test_a_story_across_three_outlets_and_a_restart_mid_story(stories: Pipeline, registry) -> None:
    for subscription_id, body in SUBSCRIPTIONS.items():
        response = api(stories, "POST", "/subscriptions", json={"id": subscription_id, **body})
        assert response.status_code == 201, response.text

    produce_enriched(stories, [WIRE, EDITED, *POSITIONS[:6]], registry)
    events = stories.read_all("stories", expect=2 + 2 + 6)  # opened, added+updated, 6 position articles
    alerts = stories.read_all("alerts", expect=2, settle=3)
    for item in events + alerts:
        registry.validate(item)
    assert story_of(events, "kessel-wire") == story_of(events, "kessel-edited")
    assert [(a["subscription_id"], a["kind"], a["article_id"]) for a in alerts] == [
        ("kessel-desk", "match", "kessel-wire"),
        ("kessel-desk", "update", "kessel-edited"),
    ]
    assert alerts[1]["story"]["alert"] == alerts[0]["fingerprint"]

    # Mid-story, mid-position: the worker goes away and comes back with its tables from the changelogs.
    stories.stop_worker()
    start(stories)
    produce_enriched(stories, [REWRITE, *POSITIONS[6:], LATER], registry)
    events = stories.read_all("stories", expect=10 + 2 + 2 + 1)  # rewrite added+updated, 2 positions, later
    alerts = stories.read_all("alerts", expect=2 + 3, settle=4)
    for item in events + alerts:
        registry.validate(item)

    kessel = story_of(events, "kessel-wire")
    assert story_of(events, "kessel-rewrite") == kessel
    (added,) = [
        e for e in events if e["type"] == "article_added" and e["article"]["article_id"] == "kessel-rewrite"
    ]
    assert added["article"]["joined_by"] == "entities" and added["article"]["outlet"] == "herald.example"
    summary = [e for e in events if e["type"] == "updated" and e["story_id"] == kessel][-1]["story"]
    assert summary["articles"] == 3
    assert summary["outlets"] == {"wire.example": 1, "daily.example": 1, "herald.example": 1}
    later = story_of(events, "lakes-talks")
    assert later != kessel
    assert [e["type"] for e in events if e["story_id"] == later] == ["opened"]

    # alerts are keyed by subscription: in order within one subscription, not across them
    kessel_alerts = [a for a in alerts if a["subscription_id"] == "kessel-desk"]
    assert [(a["kind"], a["article_id"]) for a in kessel_alerts] == [
        ("match", "kessel-wire"),
        ("update", "kessel-edited"),
        ("update", "kessel-rewrite"),
        ("match", "lakes-talks"),
    ]
    assert len(alerts) == 5
    assert {a["story"]["story_id"] for a in kessel_alerts[:3]} == {kessel}
    assert [a["story"]["articles"] for a in kessel_alerts] == [1, 2, 3, 1]
    assert kessel_alerts[3]["story"]["story_id"] == later
    (flip,) = [a for a in alerts if a["subscription_id"] == "okafor-position"]
    assert flip["article_id"] == "okafor-22"
    (m,) = flip["matches"]
    assert (m["position"]["from"], m["position"]["to"]) == ("support", "oppose")
    # the "before" side is evidence from articles read before the restart
    assert [e["article_id"] for e in m["position"]["before"]] == ["okafor-03", "okafor-05", "okafor-10"]
    assert [e["text"] for e in m["position"]["after"]][-1] == SEQUENCE[6][2]


def test_story_events_are_keyed_by_story_over_every_partition(stories: Pipeline) -> None:
    consumer = KafkaConsumer(
        stories.topic("stories"),
        bootstrap_servers=stories.bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
    )
    try:
        partitions = consumer.partitions_for_topic(stories.topic("stories"))
        records = list(consumer)
    finally:
        consumer.close()
    assert partitions is not None and len(partitions) == 2  # STANCEWIRE_TOPIC_PARTITIONS
    assert records and all(r.key.decode() in r.value.decode() for r in records)
    by_story: dict[bytes, set[int]] = {}
    for r in records:
        by_story.setdefault(r.key, set()).add(r.partition)
    assert all(len(p) == 1 for p in by_story.values())  # one story, one partition: its events in order
