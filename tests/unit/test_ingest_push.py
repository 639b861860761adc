"""POST /articles, the pure part: token, content types, single and batch, every refusal's reason."""

from __future__ import annotations

import orjson
import pytest

from streams.ingest import RawArticleDecoder, article_id_for
from streams.ingest.push import PushRefused, PushRequests, check_length, check_token, media_type

BODY = "The prime minister said on Sunday that the government would support the plan for peace talks."
OTHER = "The central bank kept interest rates unchanged on Thursday and said that inflation was falling."
NOW = "2025-03-05T10:00:00.000Z"
JSON = "application/json"


@pytest.fixture(scope="module")
def requests(registry):
    return PushRequests(RawArticleDecoder(registry, max_body_bytes=10_000), max_bytes=50_000, max_batch=3)


def refused(call) -> PushRefused:
    with pytest.raises(PushRefused) as caught:
        call()
    return caught.value


# --- token ---------------------------------------------------------------------------------------------


def test_token_unset_means_the_endpoint_is_off():
    error = refused(lambda: check_token("Bearer anything", None))
    assert error.status == 503 and error.code == "ingest_disabled"
    assert "STANCEWIRE_INGEST_TOKEN" in error.message and error.headers() == {"Retry-After": "30"}


# "\udcff" is how aiohttp hands over a header byte that is not UTF-8 (it cannot be encoded back: a 500
# before); the others are well-formed Unicode that is still no ASCII token.
NOT_ASCII = ["Bearer s\udcffcret", "Bearer sécret", "Bearer secret\u00a0", "Bearer\u2003secret"]


@pytest.mark.parametrize(
    "header", [None, "", "Bearer wrong", "Basic c2VjcmV0", "secret", "Bearer", *NOT_ASCII]
)
def test_missing_or_wrong_token_is_401(header):
    error = refused(lambda: check_token(header, "secret"))
    assert error.status == 401 and error.code == "unauthorized"
    assert error.headers()["WWW-Authenticate"].startswith("Bearer")


def test_right_token_passes():
    check_token("Bearer secret", "secret")
    check_token("bearer  secret ", "secret")


# --- bodies --------------------------------------------------------------------------------------------


def test_media_type():
    assert media_type("application/json; charset=UTF-8") == ("application/json", "utf-8")
    assert media_type('Text/Plain;charset="utf-8"') == ("text/plain", "utf-8")
    assert media_type(None) == ("", None)


def test_single_json_article(requests):
    accepted = requests.prepare(
        orjson.dumps(
            {"body": BODY, "title": "T", "source": "partner-x", "ingested_at": "1999-01-01T00:00:00Z"}
        ),
        "application/json; charset=utf-8",
        ingested_at=NOW,
    )
    (article,) = accepted.articles
    assert article.article_id == article_id_for(BODY) and article.title == "T"
    assert article.source == "http" and article.ingested_at == NOW  # how it entered, set here
    assert accepted.body("raw") == {
        "accepted": 1,
        "article_ids": [article_id_for(BODY)],
        "duplicates_in_request": 0,
        "topic": "raw",
    }


def test_batch_keeps_given_ids_and_collapses_repeats(requests):
    body = orjson.dumps([{"id": "wire-1", "body": BODY}, {"body": OTHER}, {"body": OTHER}])
    accepted = requests.prepare(body, JSON, ingested_at=NOW)
    assert accepted.article_ids == ["wire-1", article_id_for(OTHER), article_id_for(OTHER)]
    assert [a.article_id for a in accepted.articles] == ["wire-1", article_id_for(OTHER)]
    assert accepted.duplicates_in_request == 1


def test_json_lines(requests):
    body = (orjson.dumps({"body": BODY}) + b"\n\n" + orjson.dumps({"body": OTHER}) + b"\n").decode()
    accepted = requests.prepare(body.encode(), "application/x-ndjson", ingested_at=NOW)
    assert len(accepted.articles) == 2


def test_seed_format_text(requests):
    accepted = requests.prepare(
        f"date 2025-03-04 By Jo Bloggs and Al Smith\n\n{BODY}\n".encode(),
        "text/plain; charset=utf-8",
        ingested_at=NOW,
    )
    (article,) = accepted.articles
    assert article.published == "2025-03-04" and article.authors == ["Jo Bloggs", "Al Smith"]
    assert article.source == "http" and article.body == BODY


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"", JSON, 400, "empty_request"),
        (b'{"body": "unterminated', JSON, 400, "invalid_json"),
        (b"[]", JSON, 400, "empty_batch"),
        (b"\xff\xfe{}", JSON, 400, "not_utf8"),
        (b"<article/>", "application/xml", 415, "unsupported_media_type"),
        (b"{}", None, 415, "unsupported_media_type"),
        (b"{}", "application/json; charset=latin-1", 415, "unsupported_charset"),
        (b"no header here\n\nbody", "text/plain", 400, "seed_format"),
        (b'{"body": "a"}\nnot json\n', "application/x-ndjson", 400, "invalid_json"),
        (orjson.dumps([{"body": BODY}] * 4), JSON, 413, "batch_too_large"),
        (b"[" + b" " * 60_000 + b"]", JSON, 413, "request_too_large"),
    ],
)
def test_bad_requests(requests, body, content_type, status, code):
    error = refused(lambda: requests.prepare(body, content_type, ingested_at=NOW))
    assert (error.status, error.code) == (status, code)
    assert error.message and error.body()["error"] == code


def test_invalid_single_article_is_422_with_its_reason(requests):
    error = refused(lambda: requests.prepare(orjson.dumps({"title": "no body"}), JSON, ingested_at=NOW))
    assert error.status == 422 and error.code == "invalid_articles"
    assert error.body()["problems"] == [
        {"reason": "missing_body", "message": "the article has no 'body' field"}
    ]


def test_one_bad_article_refuses_the_whole_batch_with_every_reason(requests):
    batch = [
        {"body": BODY},
        {"id": "w-2", "body": "   "},
        {"body": OTHER, "authors": "Jo and Al"},
    ]
    error = refused(lambda: requests.prepare(orjson.dumps(batch), JSON, ingested_at=NOW))
    assert error.status == 422 and error.message.startswith("2 of 3 articles are not valid")
    problems = error.body()["problems"]
    assert [(p["index"], p["reason"]) for p in problems] == [(1, "empty_body"), (2, "wrong_field_type")]
    assert problems[0]["article_id"] == "w-2"
    assert "authors" in problems[1]["message"]


def test_language_and_size_are_checked_like_the_worker_does(requests):
    french = (
        "Le gouvernement a présenté mardi un projet de budget qui prévoit des économies dans les dépenses publiques. "
        * 3
    )
    error = refused(lambda: requests.prepare(orjson.dumps({"body": french}), JSON, ingested_at=NOW))
    assert error.body()["problems"][0]["reason"] == "not_english"
    error = refused(lambda: requests.prepare(orjson.dumps({"body": BODY * 200}), JSON, ingested_at=NOW))
    assert error.body()["problems"][0]["reason"] == "body_too_large"


def test_content_length_checked_before_reading():
    check_length(None, 10)
    check_length(10, 10)
    assert refused(lambda: check_length(11, 10)).status == 413
