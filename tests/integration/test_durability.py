"""Durability on the real broker and a real worker process (issue 11):

* a 990 KB English article is enriched and matched by an entity subscription, with the worker's
  peak RSS under 1 GB, and nothing on alerts.deadletter;
* the same id with a different body is dead-lettered as ``id_conflict`` and counted; the same id with
  the same body stays a silent duplicate;
* /healthz says "degraded" (503) while the broker is stopped and "ok" again once it is back.

The broker test runs last in the module: it stops and restarts the session's broker.
"""

from __future__ import annotations

import random
import time
from typing import Any

import httpx
import orjson
import pytest

from tests.integration.conftest import Broker, Pipeline

pytestmark = pytest.mark.integration

TOKEN = "durability-token"

PEOPLE = [
    ("Angela Merkel", "the former German chancellor"),
    ("Emmanuel Macron", "the French president"),
    ("Ursula von der Leyen", "the president of the European Commission"),
    ("Olaf Scholz", "the chancellor"),
    ("Giorgia Meloni", "the Italian prime minister"),
    ("Pedro Sanchez", "the Spanish prime minister"),
]
PLACES = ["Berlin", "Paris", "Brussels", "Rome", "Madrid", "Warsaw", "Vienna", "Lisbon", "Prague"]
TOPICS = [
    "the price of electricity",
    "the new rules for artificial intelligence",
    "military aid for Ukraine",
    "the common budget",
    "farm subsidies",
    "the reform of asylum procedures",
    "investment in railways",
    "the tariff dispute with China",
]
VERBS = ["backed", "criticized", "questioned", "welcomed", "defended", "opposed"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CLAUSES = [
    "{who} said on {day} that {topic} would dominate the next meeting in {place}.",
    "Speaking to reporters in {place}, {who} {verb} the plan on {topic} and asked for more time.",
    '"We cannot wait another year," {who} told a conference in {place} on {day}.',
    "Officials in {place} said the talks on {topic} had made slow progress since the spring.",
    "{role} {verb} the compromise, according to two diplomats who asked not to be named.",
    "The proposal on {topic} would cost about {n} billion euros over five years, the ministry said.",
    "Critics in {place} argued that the government had underestimated the cost of {topic}.",
    "Business groups {verb} the decision, saying that firms needed clear rules and stable prices.",
    "A spokesman for {who} declined to comment on the figures published in {place} on {day}.",
    "Polls published on {day} showed that {n} percent of voters supported the change.",
]


def english_prose(target_bytes: int, seed: int = 11) -> str:
    """Generated, readable English news prose of about ``target_bytes`` (UTF-8), in paragraphs."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    size = 0
    while size < target_bytes:
        sentences = []
        for _ in range(rng.randint(3, 6)):
            who, role = rng.choice(PEOPLE)
            sentences.append(
                rng.choice(CLAUSES).format(
                    who=who,
                    role=role[0].upper() + role[1:],
                    day=rng.choice(DAYS),
                    place=rng.choice(PLACES),
                    topic=rng.choice(TOPICS),
                    verb=rng.choice(VERBS),
                    n=rng.randint(2, 90),
                )
            )
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        size += len(paragraph.encode()) + 2
    text = "\n\n".join(paragraphs)
    return text[: text.rfind(".", 0, target_bytes) + 1]


def api(p: Pipeline, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.request(
        method, f"http://127.0.0.1:{p.web_port}{path}", headers=headers, timeout=10, **kwargs
    )


def peak_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def metric(p: Pipeline, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in p.metrics().splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update({"STANCEWIRE_API_TOKEN": TOKEN, "STANCEWIRE_HEALTH_BROKER_TIMEOUT_S": "5"})
    pipeline.start_worker()
    deadline = time.monotonic() + 120
    while api(pipeline, "GET", "/subscriptions").status_code != 200:
        assert time.monotonic() < deadline, pipeline.worker_log()
        time.sleep(0.25)
    return pipeline


def produce(p: Pipeline, *values: dict[str, Any]) -> None:
    producer = p.producer()
    for value in values:
        producer.send(p.topic("articles.raw"), key=value["id"].encode(), value=orjson.dumps(value))
    producer.flush()
    producer.close()


def test_a_990_kb_article_is_enriched_and_matched_by_an_entity_subscription(
    running: Pipeline, registry
) -> None:
    created = api(
        running,
        "POST",
        "/subscriptions",
        json={"id": "merkel", "rule": {"kind": "entity", "entity": "Angela Merkel"}},
    )
    assert created.status_code == 201, created.text
    body = english_prose(990_000)
    assert 985_000 < len(body.encode()) <= 990_000
    assert running.worker is not None
    rss_before = peak_rss_bytes(running.worker.pid)
    started = time.monotonic()
    produce(
        running, {"id": "long-990k", "title": "A very long report", "body": body, "published": "2025-06-01"}
    )

    (enriched,) = running.read_all("articles.enriched", expect=1, timeout=900, settle=2)
    took = time.monotonic() - started
    registry.validate(enriched)
    assert enriched["article_id"] == "long-990k" and enriched["body"] == body and enriched["event_id"]
    assert "Angela Merkel" in {e["name"] for e in enriched["entities"]}

    (alert,) = running.read_all("alerts", expect=1, timeout=120, settle=2)
    registry.validate(alert)
    assert alert["subscription_id"] == "merkel" and alert["article_id"] == "long-990k"
    for item in alert["evidence"]:
        assert body[item["start"] : item["end"]] == item["text"]

    assert running.read_all("alerts.deadletter", expect=0, timeout=5, settle=1) == []
    assert running.read_all("articles.deadletter", expect=0, timeout=5, settle=1) == []
    log = (running.data_dir / "worker.log").read_text(errors="replace")
    assert "never retrieved" not in log and "MessageSizeTooLarge" not in log
    peak = peak_rss_bytes(running.worker.pid)
    print(
        f"\n990 KB article: enriched and alerted in {took:.0f}s; worker peak RSS "
        f"{peak / 2**20:.0f} MiB (before it: {rss_before / 2**20:.0f} MiB)"
    )
    assert peak < 1024**3, f"peak RSS {peak / 2**20:.0f} MiB"
    assert running.health()["status"] == "ok"


def test_same_id_different_body_is_an_id_conflict_and_same_body_a_silent_duplicate(
    running: Pipeline, registry
) -> None:
    before = running.health()
    conflicts = metric(running, "stancewire_articles_id_conflict_total")
    first = "Emmanuel Macron said on Monday that France would support the new climate plan in Brussels."
    changed = "Emmanuel Macron said on Friday that France would oppose the new climate plan in Brussels."
    produce(running, {"id": "wire-42", "body": first})
    running.wait_for_health(lambda h: h["enriched"] == before["enriched"] + 1)
    produce(running, {"id": "wire-42", "body": first}, {"id": "wire-42", "body": changed})
    after = running.wait_for_health(
        lambda h: (
            h["articles_in"] == before["articles_in"] + 3
            and h["articles_in"] == h["enriched"] + h["deadlettered"] + h["duplicates"]
        )
    )
    assert after["duplicates"] == before["duplicates"] + 1
    assert after["deadlettered"] == before["deadlettered"] + 1
    assert after["conflicts"] == before["conflicts"] + 1
    assert metric(running, "stancewire_articles_id_conflict_total") == conflicts + 1
    assert 'stancewire_articles_deadlettered_total{reason="id_conflict"} 1.0' in running.metrics()

    enriched = [
        e for e in running.read_all("articles.enriched", expect=2, settle=2) if e["article_id"] == "wire-42"
    ]
    assert [e["body"] for e in enriched] == [first]  # the first body keeps the id
    (dead,) = running.read_all("articles.deadletter", expect=1, settle=2)
    registry.validate(dead)
    assert dead["reason"] == "id_conflict" and dead["article_id"] == "wire-42"
    assert orjson.loads(dead["payload"])["body"] == changed and "different body" in dead["error"]


def test_dedup_marks_come_back_after_a_restart(running: Pipeline) -> None:
    """The marks (keyed by the id's bytes, on the raw message's partition) are restored from their
    changelog: after a restart the same article is a duplicate and a changed one still a conflict."""
    running.stop_worker()
    running.start_worker()
    first = "Emmanuel Macron said on Monday that France would support the new climate plan in Brussels."
    produce(running, {"id": "wire-42", "body": first}, {"id": "wire-42", "body": first + " He left."})
    after = running.wait_for_health(
        lambda h: (
            h["articles_in"] == 2 and h["articles_in"] == h["enriched"] + h["deadlettered"] + h["duplicates"]
        )
    )
    assert (after["enriched"], after["duplicates"], after["conflicts"]) == (0, 1, 1)


def test_healthz_is_degraded_while_the_broker_is_down_and_ok_once_it_is_back(
    running: Pipeline, kafka_broker: Broker
) -> None:
    if kafka_broker.env is None:
        pytest.skip("the broker was not started by the tests: it cannot be stopped")
    assert running.health()["status"] == "ok"
    url = f"http://127.0.0.1:{running.web_port}/healthz"
    kafka_broker.kafka("stop")
    try:
        stopped = time.monotonic()
        response = httpx.get(url, timeout=2)
        while response.status_code == 200 and time.monotonic() - stopped < 60:
            time.sleep(0.5)
            response = httpx.get(url, timeout=2)
        degraded_after = time.monotonic() - stopped
        assert response.status_code == 503, response.text
        report = response.json()
        assert report["status"] == "degraded" and not report["broker"]["reachable"]
        assert report["problems"][0].startswith("broker unreachable")
    finally:
        kafka_broker.kafka("start")
    restarted = time.monotonic()
    health = running.wait_for_health_ok(timeout=120)
    print(
        f"\n/healthz: degraded {degraded_after:.1f}s after the broker stopped, ok again "
        f"{time.monotonic() - restarted:.1f}s after it was back"
    )
    assert health["status"] == "ok" and health["problems"] == []
    assert running.worker is not None and running.worker.poll() is None
