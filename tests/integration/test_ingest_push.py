"""Acceptance 2: POST /articles on the worker's web server, single and batch, into the real pipeline;
bad input gets a 4xx with reasons, no token gets 401."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from streams.ingest import article_id_for
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.integration

TOKEN = "push-token-for-tests"
MAX_REQUEST_BYTES = 64 * 1024
BODIES = [
    "Kenya's President William Ruto said on Monday that his government would cut fuel taxes to ease the cost of living for families and small businesses.",
    "The World Health Organization warned that cases of measles in Europe had risen sharply last year and urged parents to vaccinate their children.",
    "Canada's Prime Minister Mark Carney met business leaders in Toronto to discuss the trade dispute with the United States and the risk of new tariffs.",
    "Spain's Prime Minister Pedro Sanchez backed a plan to build more public housing, saying that rents in Madrid and Barcelona had become unaffordable.",
]
SEED = "date 2025-03-06 By Ana Lima and Rui Costa\n\nBrazil's central bank raised its main interest rate on Wednesday for the third time in a row, saying that inflation was still too high.\n"


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update(
        {
            "STANCEWIRE_STANCE_MODEL_ENABLED": "false",
            "STANCEWIRE_INGEST_TOKEN": TOKEN,
            "STANCEWIRE_INGEST_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES),
            "STANCEWIRE_INGEST_MAX_BATCH": "10",
        }
    )
    pipeline.start_worker()
    return pipeline


@pytest.fixture(scope="module")
def client(running: Pipeline) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{running.web_port}", timeout=30) as http:
        yield http


def post(
    client: httpx.Client, content: bytes, content_type: str = "application/json", token: str | None = TOKEN
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/articles", content=content, headers=headers)


def test_single_batch_and_seed_text_are_accepted_and_enriched(
    running: Pipeline, client: httpx.Client, registry
) -> None:
    single = post(
        client, orjson.dumps({"body": BODIES[0], "title": "Kenya cuts fuel taxes", "source": "partner"})
    )
    assert single.status_code == 202, single.text
    assert single.json() == {
        "accepted": 1,
        "article_ids": [article_id_for(BODIES[0])],
        "duplicates_in_request": 0,
        "topic": running.topic("articles.raw"),
    }

    batch = post(
        client,
        orjson.dumps(
            [
                {"id": "partner-0042", "body": BODIES[1]},
                {"body": BODIES[2]},
                {"body": BODIES[3]},
                {"body": BODIES[3]},
            ]
        ),
    )
    assert batch.status_code == 202, batch.text
    assert batch.json()["article_ids"] == [
        "partner-0042",
        article_id_for(BODIES[2]),
        article_id_for(BODIES[3]),
        article_id_for(BODIES[3]),
    ]
    assert batch.json()["duplicates_in_request"] == 1

    seed = post(client, SEED.encode(), "text/plain; charset=utf-8")
    assert seed.status_code == 202, seed.text
    (seed_id,) = seed.json()["article_ids"]

    # 202 means the broker has them: they are on the raw topic already, keyed by article_id.
    raw = running.read_all("articles.raw", expect=5, settle=1)
    assert len(raw) == 5
    for event in raw:
        registry.validate(event, "article.raw.v1")
        assert event["source"] == "http" and event["ingested_at"]

    enriched = running.read_all("articles.enriched", expect=5)
    by_id = {e["article_id"]: e for e in enriched}
    expected = {
        article_id_for(BODIES[0]),
        "partner-0042",
        article_id_for(BODIES[2]),
        article_id_for(BODIES[3]),
        seed_id,
    }
    assert set(by_id) == expected and len(enriched) == 5
    assert (
        by_id[seed_id]["authors"] == ["Ana Lima", "Rui Costa"] and by_id[seed_id]["published"] == "2025-03-06"
    )
    assert by_id[article_id_for(BODIES[0])]["title"] == "Kenya cuts fuel taxes"
    for event in enriched:
        assert event["source"] == "http" and event["ingested_at"] <= event["enriched_at"]


def test_bad_inputs_get_4xx_with_reasons_and_nothing_is_sent(running: Pipeline, client: httpx.Client) -> None:
    good = orjson.dumps(
        {"body": "The mayor of Lagos said on Friday that the new rail line would open next year."}
    )

    missing = post(client, good, token=None)
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = post(client, good, token="not-the-token")
    assert wrong.status_code == 401

    cases = [
        (b'{"body": "unterminated', "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 400, "empty_batch"),
        (b"<article/>", "application/xml", 415, "unsupported_media_type"),
        (b"no seed header\n\nbody text", "text/plain", 400, "seed_format"),
        (orjson.dumps([{"body": "x"}] * 11), "application/json", 413, "batch_too_large"),
        (orjson.dumps({"body": "word " * 20_000}), "application/json", 413, "request_too_large"),
    ]
    for content, content_type, status, code in cases:
        response = post(client, content, content_type)
        assert (response.status_code, response.json()["error"]) == (status, code), response.text
        assert response.json()["message"]

    invalid = post(
        client,
        orjson.dumps(
            [
                {"body": "The mayor of Lagos said on Friday that the new rail line would open next year."},
                {"title": "no body"},
                {
                    "body": "Le gouvernement a présenté mardi un projet de budget qui prévoit des économies importantes dans les dépenses publiques et pour la défense."
                },
                {"body": "The minister said yes.", "published": "last week"},
            ]
        ),
    )
    assert invalid.status_code == 422
    problems = invalid.json()["problems"]
    assert [(p["index"], p["reason"]) for p in problems] == [
        (1, "missing_body"),
        (2, "not_english"),
        (3, "wrong_field_type"),
    ]
    assert "published" in problems[2]["message"]

    # A chunked body (no Content-Length) over the limit is cut off too.
    def chunks() -> Iterator[bytes]:
        yield b'{"body": "'
        for _ in range(20):
            yield b"words " * 1000
        yield b'"}'

    chunked = client.post(
        "/articles",
        content=chunks(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    assert chunked.status_code == 413 and chunked.json()["error"] == "request_too_large"

    assert client.get("/articles").status_code == 405
    # None of it reached the raw topic: still the five articles of the first test.
    assert len(running.read_all("articles.raw", expect=5, settle=2)) == 5
    assert running.worker is not None and running.worker.poll() is None
