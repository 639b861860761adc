"""The whole foundation on a real broker: replay → worker process → topics read independently."""

from __future__ import annotations

import orjson
import pytest

from streams.ingest import read_seed_file
from tests.conftest import SEED_FILE, SEEDS
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.integration

VALID_BODIES = [
    "Chancellor Olaf Scholz said on Tuesday that Germany would send more air defence systems to Ukraine.",
    "Japanese Prime Minister Fumio Kishida met President Joe Biden in Washington to discuss trade and security.",
    "The European Commission proposed new rules for artificial intelligence, which Ursula von der Leyen backed.",
    "Brazil's President Luiz Inacio Lula da Silva urged rich countries to pay more for protecting the Amazon.",
]


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    pipeline.start_worker()
    return pipeline


def test_replay_of_seeds_reaches_enriched_and_mentions_and_validates(running: Pipeline, registry) -> None:
    replay = running.cli("replay", "--quiet", str(SEEDS))
    assert replay.returncode == 0, replay.stderr.decode()
    seed_files = sorted(p for p in SEEDS.iterdir() if p.is_file())
    assert f"│ {len(seed_files)}" in replay.stderr.decode()  # the summary's "sent" column

    enriched = running.read_all("articles.enriched", expect=len(seed_files))
    assert len(enriched) == len(seed_files)
    seed = read_seed_file(SEED_FILE)
    (article,) = [e for e in enriched if e["article_id"] == seed.article_id]
    assert article["body"] == seed.body
    assert article["authors"] == ["Alex Wickham", "Irina Anghel"] and article["published"] == "2025-03-02"
    assert article["source"] == "replay" and article["ingested_at"]
    names = {entity["name"] for entity in article["entities"]}
    assert {"Keir Starmer", "Vladimir Putin"} <= names
    for event in enriched:
        registry.validate(event, "article.enriched.v1")

    expected_mentions = sum(len(e["entities"]) for e in enriched)
    mentions = running.read_all("entities.mentions", expect=expected_mentions)
    assert len(mentions) == expected_mentions
    for event in mentions:
        registry.validate(event, "entity.mention.v1")
        for span in event["mentions"]:
            assert article["body"][span["start"] : span["end"]] == span["text"]
    assert {m["entity_id"] for m in mentions} == {e["id"] for e in article["entities"]}


def test_second_replay_adds_no_enriched_events(running: Pipeline) -> None:
    before = running.health()
    replay = running.cli("replay", "--quiet", str(SEEDS))
    assert replay.returncode == 0, replay.stderr.decode()
    running.wait_for_health(lambda h: h["duplicates"] >= before["duplicates"] + 1)
    enriched = running.read_all("articles.enriched", expect=1, settle=3)
    ids = [e["article_id"] for e in enriched]
    assert len(ids) == len(set(ids)) == 1


def test_bad_input_is_dead_lettered_with_reasons_and_the_worker_stays_up(running: Pipeline, registry) -> None:
    before = running.health()
    raw = running.topic("articles.raw")
    bad = {
        "invalid_json": b'{"body": "Starmer said',
        "missing_body": orjson.dumps({"title": "No body here", "authors": ["A"]}),
        "empty_body": orjson.dumps({"body": "   \n  "}),
        "body_too_large": orjson.dumps({"body": "The minister said yes. " * 50_000}),  # ~1.15 MB
        "not_utf8": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x80\x81",
        "wrong_field_type": orjson.dumps({"body": VALID_BODIES[0] + " More.", "authors": "Jo and Al"}),
    }
    producer = running.producer()
    valid = [orjson.dumps({"body": body, "source": "test"}) for body in VALID_BODIES]
    messages = [
        valid[0],
        bad["invalid_json"],
        bad["missing_body"],
        valid[1],
        bad["empty_body"],
        bad["body_too_large"],
        valid[2],
        bad["not_utf8"],
        bad["wrong_field_type"],
        valid[3],
    ]
    for value in messages:
        producer.send(raw, value=value)
    producer.flush()
    producer.close()

    # "in" counts a batch as it is read; wait until every message has also reached an outcome.
    after = running.wait_for_health(
        lambda h: (
            h["articles_in"] >= before["articles_in"] + len(messages)
            and h["articles_in"] == h["enriched"] + h["deadlettered"] + h["duplicates"]
        )
    )
    assert running.worker is not None and running.worker.poll() is None, "the worker died"
    assert after["articles_in"] - before["articles_in"] == len(messages)
    new_enriched = after["enriched"] - before["enriched"]
    new_dead = after["deadlettered"] - before["deadlettered"]
    assert new_enriched == len(valid) and new_dead == len(bad)
    assert after["articles_in"] == after["enriched"] + after["deadlettered"] + after["duplicates"]

    dead = running.read_all("articles.deadletter", expect=len(bad))
    assert sorted(d["reason"] for d in dead) == sorted(bad)
    for event in dead:
        registry.validate(event, "deadletter.v1")
        assert event["error"] and event["source_topic"] == raw and event["source_offset"] is not None
    binary = next(d for d in dead if d["reason"] == "not_utf8")
    assert binary["payload_encoding"] == "base64"
    huge = next(d for d in dead if d["reason"] == "body_too_large")
    assert huge["payload_truncated"] and huge["payload_bytes"] > 1_000_000

    enriched = running.read_all("articles.enriched", expect=1 + len(valid))
    assert {e["body"] for e in enriched} >= set(VALID_BODIES)
    assert running.health()["status"] == "ok"
