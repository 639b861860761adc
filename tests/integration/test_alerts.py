"""Alerting on the real broker, one subscription per rule kind, made through the REST API.

What feeds each kind, honestly:

* entity mentioned — the seeds, replayed through the real enrichment (the alert's evidence is checked
  against the enriched event an independent consumer reads);
* mention spike — a generated dated sequence of raw articles about Angela Merkel, through the real
  enrichment (spaCy NER + resolution), one a day for a week, then three on one day;
* stance, sentiment, stance shift, all/any/not, digest, mute — hand-built, schema-valid
  ``article.enriched.v1`` events (made-up parties, so the seeds can never match them) produced straight
  to articles.enriched, because stance extraction is still being built.

Then the worker is restarted between the last two articles of the shift and spike sequences: the
alerts that need the earlier articles' state only fire if the state came back from the changelogs.
A second replay of everything adds no alert.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import SEEDS
from tests.integration.conftest import Pipeline
from tests.unit.test_alert_support import enriched_article, stance

pytestmark = pytest.mark.integration

TOKEN = "integration-token"

SUBSCRIPTIONS: dict[str, dict[str, Any]] = {
    "seed-putin": {"rule": {"kind": "entity", "entity": "Vladimir Putin"}},
    "stance": {
        "rule": {
            "kind": "stance",
            "holder": "Mira Okafor",
            "target": "Veldonia",
            "polarity": "oppose",
            "min_confidence": 0.5,
        }
    },
    "sentiment": {"rule": {"kind": "sentiment", "target": "Northern Alliance", "below": -0.5}},
    "shift": {"rule": {"kind": "shift", "holder": "Tomas Lind", "target": "Ostmark Union", "delta": 0.5}},
    "spike": {"rule": {"kind": "spike", "entity": "Angela Merkel", "factor": 3, "min_count": 3}},
    "combo": {
        "rule": {
            "kind": "all",
            "rules": [
                {"kind": "entity", "entity": "Veldonia"},
                {
                    "kind": "any",
                    "rules": [
                        {"kind": "stance", "holder": "Ostmark Union", "polarity": "support"},
                        {"kind": "sentiment", "target": "Veldonia", "above": 0.5},
                    ],
                },
                {"kind": "not", "rule": {"kind": "entity", "entity": "Northern Alliance"}},
            ],
        }
    },
    "digest": {
        "rule": {"kind": "stance", "target": "Veldonia"},
        "frequency": {"mode": "digest", "minutes": 0.05},  # 3 s
    },
    "muted": {"rule": {"kind": "entity", "entity": "Veldonia"}, "muted_until": "2099-01-01T00:00:00Z"},
}

STANCE_ARTICLES = [
    enriched_article(
        "syn-1",
        published="2025-03-10",
        stances=[
            stance("Mira Okafor", "Veldonia", "oppose", -0.8, confidence=0.9),
            stance("Mira Okafor", "Northern Alliance", "oppose", -0.7, confidence=0.3),
        ],
    ),
    enriched_article(
        "syn-2", published="2025-03-11", stances=[stance("Ostmark Union", "Veldonia", "support", 0.8, 0.8)]
    ),
    enriched_article(
        "syn-3", published="2025-03-12", stances=[stance("Mira Okafor", "Veldonia", "oppose", -0.6, 0.4)]
    ),
]
SHIFT_VALUES = [0.6, 0.5, 0.7, -0.8, -0.9]  # window 3: the 5th flips the rolling mean (0.13 → −0.33)
SHIFT_ARTICLES = [
    enriched_article(
        f"shift-{day}",
        published=f"2025-04-{day:02d}",
        stances=[stance("Tomas Lind", "Ostmark Union", "support" if v > 0 else "oppose", v)],
    )
    for day, v in enumerate(SHIFT_VALUES, start=1)
]
ACTIONS = [
    "support the new climate plan in Brussels",
    "send more engineers to rebuild bridges",
    "back a common European bond",
    "open talks on energy prices with Paris",
    "raise spending on railways next year",
    "fund three new research institutes",
    "press ahead with the digital tax",
    "host a summit on migration in Berlin",
    "ask parliament to extend the mandate",
    "cut taxes for small firms",
]


def merkel(day: int, k: int) -> dict[str, Any]:
    action = ACTIONS[(day * 3 + k) % len(ACTIONS)]
    return {
        "body": f"Angela Merkel said on day {day} (note {k}) that Germany would {action}.",
        "published": f"2025-05-{day:02d}",
        "title": f"Merkel, day {day}, note {k}",
    }


SPIKE_BEFORE = [merkel(day, 0) for day in range(1, 8)] + [merkel(8, 0), merkel(8, 1)]
SPIKE_AFTER = [merkel(8, 2)]


def api(p: Pipeline, method: str, path: str, *, token: str | None = TOKEN, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(
        method, f"http://127.0.0.1:{p.web_port}{path}", headers=headers, timeout=10, **kwargs
    )


def produce_enriched(p: Pipeline, articles: list[dict[str, Any]], registry) -> None:
    """Hand-built enriched events, in order on one partition (the sequences are about order)."""
    producer = p.producer()
    for article in articles:
        registry.validate(article)
        producer.send(
            p.topic("articles.enriched"),
            key=article["article_id"].encode(),
            value=orjson.dumps(article),
            partition=0,
        )
    producer.flush()
    producer.close()


def replay_raw(p: Pipeline, articles: list[dict[str, Any]], tmp: Path) -> None:
    path = tmp / f"raw-{time.monotonic_ns()}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in articles))
    result = p.cli("replay", "--quiet", str(path))
    assert result.returncode == 0, result.stderr.decode()


def wait_for_metric(p: Pipeline, name: str, at_least: float, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    value = 0.0
    while time.monotonic() < deadline:
        value = sum(
            float(line.rsplit(" ", 1)[1])
            for line in p.metrics().splitlines()
            if line.startswith(name) and not line.startswith("#")
        )
        if value >= at_least:
            return
        time.sleep(0.25)
    raise TimeoutError(f"{name} stayed at {value} < {at_least}\n{p.worker_log()}")


def by_subscription(alerts: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alert in alerts:
        out.setdefault(alert["subscription_id"], []).append(alert["article_id"])
    return out


def start(p: Pipeline, timeout: float = 120) -> None:
    """Start the worker and wait until the alerting API has its tables back (it answers 503 before)."""
    p.start_worker()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api(p, "GET", "/subscriptions").status_code == 200:
            return
        time.sleep(0.25)
    raise TimeoutError(f"alerting API not ready after {timeout}s\n{p.worker_log()}")


@pytest.fixture(scope="module")
def alerting(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update(
        {
            "STANCEWIRE_API_TOKEN": TOKEN,
            "STANCEWIRE_ALERT_SHIFT_WINDOW": "3",
            "STANCEWIRE_ALERT_TICK_S": "0.5",
        }
    )
    start(pipeline)
    return pipeline


@pytest.fixture(scope="module")
def state() -> dict[str, Any]:
    return {}


def test_invalid_subscriptions_get_4xx_with_a_message_and_change_nothing(alerting: Pipeline) -> None:
    good = {"id": "never", "rule": {"kind": "entity", "entity": "X"}}
    cases = [
        (
            "bad JSON",
            api(alerting, "POST", "/subscriptions", content=b'{"id": "never", "rule": '),
            400,
            "not JSON",
        ),
        (
            "unknown rule kind",
            api(alerting, "POST", "/subscriptions", json={"id": "never", "rule": {"kind": "telepathy"}}),
            422,
            "at rule/kind: 'telepathy' is not one of",
        ),
        (
            "bad threshold",
            api(
                alerting,
                "POST",
                "/subscriptions",
                json={"id": "never", "rule": {"kind": "sentiment", "target": "X", "below": -4}},
            ),
            422,
            "at rule/below: -4 is less than the minimum of -1",
        ),
        (
            "nested bad threshold",
            api(
                alerting,
                "POST",
                "/subscriptions",
                json={
                    "id": "never",
                    "rule": {"kind": "any", "rules": [{"kind": "spike", "entity": "X", "factor": 0.2}]},
                },
            ),
            422,
            "at rule/rules/0/factor",
        ),
        (
            "internal webhook",
            api(
                alerting, "POST", "/subscriptions", json={**good, "webhook": {"url": "http://10.0.0.7/hook"}}
            ),
            422,
            "10.0.0.7 is an internal address (private)",
        ),
        ("missing token", api(alerting, "POST", "/subscriptions", json=good, token=None), 401, "missing"),
        (
            "wrong token",
            api(alerting, "POST", "/subscriptions", json=good, token="guess"),
            401,
            "wrong bearer token",
        ),
        (
            "wrong token on GET",
            api(alerting, "GET", "/subscriptions", token="guess"),
            401,
            "wrong bearer token",
        ),
        (
            "missing token on DELETE",
            api(alerting, "DELETE", "/subscriptions/never", token=None),
            401,
            "missing",
        ),
        ("unknown id", api(alerting, "DELETE", "/subscriptions/never"), 404, "no subscription 'never'"),
    ]
    for what, response, status, message in cases:
        assert response.status_code == status, (what, response.status_code, response.text)
        body = response.json()
        assert message in body["message"], (what, body)
        assert body["error"]
    assert (
        api(alerting, "POST", "/subscriptions", json=good, token=None)
        .headers["WWW-Authenticate"]
        .startswith("Bearer")
    )
    assert api(alerting, "GET", "/subscriptions").json() == {"count": 0, "subscriptions": []}
    assert alerting.read_all("subscriptions", expect=0, timeout=5, settle=1) == []


def test_each_rule_kind_alerts_exactly_as_expected_from_seeds_and_hand_built_events(
    alerting: Pipeline, registry, tmp_path: Path, state: dict[str, Any]
) -> None:
    for subscription_id, body in SUBSCRIPTIONS.items():
        response = api(alerting, "POST", "/subscriptions", json={"id": subscription_id, **body})
        assert response.status_code == 201, response.text
        registry.validate(response.json())
    listed = api(alerting, "GET", "/subscriptions").json()
    assert [s["id"] for s in listed["subscriptions"]] == sorted(SUBSCRIPTIONS)
    stored = alerting.read_all("subscriptions", expect=len(SUBSCRIPTIONS), settle=1)
    assert sorted(s["id"] for s in stored) == sorted(SUBSCRIPTIONS)

    replay = alerting.cli("replay", "--quiet", str(SEEDS))
    assert replay.returncode == 0, replay.stderr.decode()
    produce_enriched(alerting, STANCE_ARTICLES + SHIFT_ARTICLES[:-1], registry)
    replay_raw(alerting, SPIKE_BEFORE, tmp_path)

    seeds = [p for p in SEEDS.iterdir() if p.is_file()]
    enriched = alerting.read_all("articles.enriched", expect=len(seeds) + 7 + len(SPIKE_BEFORE))
    merkels = [e for e in enriched if (e.get("title") or "").startswith("Merkel")]
    assert len(merkels) == len(SPIKE_BEFORE)
    for article in merkels:  # the precondition of the spike: the real NER found her in every one
        assert "Angela Merkel" in {e["name"] for e in article["entities"]}, article["entities"]
    # The entity rule is judged on what the real enrichment made of the seeds: every seed article
    # whose entities include Vladimir Putin (the pipeline test pins that the first seed does).
    seed_ids = {e["article_id"] for e in enriched if e["source"] == "replay" and e not in merkels}
    with_putin = {
        e["article_id"]: e
        for e in enriched
        if e["article_id"] in seed_ids and "Vladimir Putin" in {x["name"] for x in e["entities"]}
    }
    assert with_putin, "the enrichment found Putin in no seed"

    alerts = alerting.read_all("alerts", expect=5 + len(with_putin), settle=4)
    for alert in alerts:
        registry.validate(alert)
    grouped = by_subscription(alerts)
    assert sorted(grouped.pop("seed-putin")) == sorted(with_putin)
    assert grouped == {
        "stance": ["syn-1"],
        "sentiment": ["syn-1"],
        "combo": ["syn-2"],
        "digest": ["syn-1", "syn-3"],
    }
    # the entity alerts' evidence is the enriched events' own mentions of Putin, in context
    for putin in (a for a in alerts if a["subscription_id"] == "seed-putin"):
        seed_article = with_putin[putin["article_id"]]
        (entity,) = [e for e in seed_article["entities"] if e["name"] == "Vladimir Putin"]
        mentions = {(m["start"], m["end"], m["text"]) for m in entity["mentions"]}
        assert (
            putin["evidence"] and {(e["start"], e["end"], e["text"]) for e in putin["evidence"]} <= mentions
        )
        for item in putin["evidence"]:
            context = item["context"]
            assert seed_article["body"][context["start"] : context["end"]] == context["text"]
    # one alert per (subscription, article), with every match in it
    (combo,) = [a for a in alerts if a["subscription_id"] == "combo"]
    assert Counter(m["kind"] for m in combo["matches"]) == {"entity": 1, "stance": 1, "sentiment": 1}
    (stance_alert,) = [a for a in alerts if a["subscription_id"] == "stance"]
    (m,) = stance_alert["matches"]
    assert (m["holder"]["name"], m["target"]["name"], m["stance"]["polarity"]) == (
        "Mira Okafor",
        "Veldonia",
        "oppose",
    )
    syn1 = STANCE_ARTICLES[0]
    assert m["evidence"][0]["text"] == syn1["body"][m["evidence"][0]["start"] : m["evidence"][0]["end"]]
    # digest: the first at once, the next two held and sent together once the 3 minutes... seconds passed
    first, digest = sorted(
        (a for a in alerts if a["subscription_id"] == "digest"), key=lambda a: a["created_at"]
    )
    assert first["kind"] == "match" and digest["kind"] == "digest"
    assert [i["article_id"] for i in digest["digest"]["items"]] == ["syn-2", "syn-3"]
    assert len({a["fingerprint"] for a in alerts}) == len(alerts)
    state["alerts"] = len(alerts)


def test_restart_keeps_subscriptions_and_shift_and_spike_state(
    alerting: Pipeline, registry, tmp_path: Path, state: dict[str, Any]
) -> None:
    before = api(alerting, "GET", "/subscriptions").json()
    alerting.stop_worker()
    start(alerting)
    assert api(alerting, "GET", "/subscriptions").json() == before

    # The last shift article only flips the rolling mean given the four before it; the third Merkel
    # article of 8 May only reaches 3 given the two before it — both are in the recovered tables.
    produce_enriched(alerting, SHIFT_ARTICLES[-1:], registry)
    replay_raw(alerting, SPIKE_AFTER, tmp_path)
    alerts = alerting.read_all("alerts", expect=state["alerts"] + 2, settle=3)
    for alert in alerts:
        registry.validate(alert)
    grouped = by_subscription(alerts)
    assert grouped["shift"] == ["shift-5"]
    (shift,) = [a for a in alerts if a["subscription_id"] == "shift"]
    (m,) = shift["matches"]
    assert m["scores"]["flipped"] == 1 and m["scores"]["observations"] == 3
    assert m["scores"]["before"] == pytest.approx(0.4 / 3, abs=1e-5) and m["scores"][
        "after"
    ] == pytest.approx(-1 / 3, abs=1e-5)
    (spike,) = [a for a in alerts if a["subscription_id"] == "spike"]
    (m,) = spike["matches"]
    assert spike["article"]["title"] == "Merkel, day 8, note 2"
    assert (m["scores"]["count"], m["scores"]["threshold"]) == (3, 3)
    assert (
        m["scores"]["baseline"] == pytest.approx(1.0)
        and m["scores"]["window_start"] == "2025-05-08T00:00:00.000Z"
    )
    assert len(alerts) == state["alerts"] + 2
    state["alerts"] = len(alerts)


def test_a_second_replay_of_everything_adds_no_alert(
    alerting: Pipeline, registry, tmp_path: Path, state: dict[str, Any]
) -> None:
    replay = alerting.cli("replay", "--quiet", str(SEEDS))
    assert replay.returncode == 0, replay.stderr.decode()
    replay_raw(alerting, SPIKE_BEFORE + SPIKE_AFTER, tmp_path)
    produce_enriched(alerting, STANCE_ARTICLES + SHIFT_ARTICLES, registry)
    # the hand-built events reach the matcher again (the enrichment skips the others as duplicates)
    wait_for_metric(
        alerting, 'stancewire_alert_articles_total{replay="yes"}', len(STANCE_ARTICLES + SHIFT_ARTICLES)
    )
    alerts = alerting.read_all("alerts", expect=state["alerts"], settle=4)
    assert len(alerts) == state["alerts"]
