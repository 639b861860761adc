from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.ingest import InvalidArticle, RawArticleDecoder, article_id_for

ENGLISH = "The prime minister said on Sunday that the government would support the plan for peace."


@pytest.fixture(scope="module")
def decoder(registry):
    return RawArticleDecoder(registry, max_body_bytes=10_000)


def test_valid_article_gets_a_content_id(decoder):
    article = decoder.decode(orjson.dumps({"body": ENGLISH, "title": "T", "authors": ["A"]}))
    assert article.article_id == article_id_for(ENGLISH)
    assert article.title == "T" and article.authors == ["A"]
    assert article.ingested_at


def test_given_id_wins(decoder):
    assert decoder.decode(orjson.dumps({"id": "wire-1", "body": ENGLISH})).article_id == "wire-1"
    assert decoder.decode(orjson.dumps({"article_id": "wire-2", "body": ENGLISH})).article_id == "wire-2"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty_message"),
        (b"   \n", "empty_message"),
        (b'{"body": "unterminated', "invalid_json"),
        (b"\xff\xfe\x00binary\x80", "not_utf8"),
        (b"[1, 2]", "not_an_object"),
        (orjson.dumps({"title": "no body"}), "missing_body"),
        (orjson.dumps({"body": "   "}), "empty_body"),
        (orjson.dumps({"body": 42}), "wrong_field_type"),
        (orjson.dumps({"body": ENGLISH, "authors": "A and B"}), "wrong_field_type"),
        (orjson.dumps({"body": ENGLISH, "published": 20250101}), "wrong_field_type"),
        (orjson.dumps({"body": "word " * 3000}), "body_too_large"),
        (orjson.dumps({"body": "Он сказал, что правительство поддержит мирный план. " * 5}), "not_english"),
        (
            orjson.dumps(
                {
                    "body": "Le premier ministre a déclaré dimanche que le gouvernement soutiendrait le plan. "
                    * 3
                }
            ),
            "not_english",
        ),
    ],
)
def test_bad_input_has_a_reason_and_a_message(decoder, payload, reason):
    with pytest.raises(InvalidArticle) as caught:
        decoder.decode(payload)
    assert caught.value.reason == reason
    assert len(caught.value.message) > 10


@settings(max_examples=200)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_decode_or_fail_with_invalid_article(decoder, payload):
    try:
        article = decoder.decode(payload)
    except InvalidArticle as error:
        assert error.reason
    else:
        assert article.body.strip()


@given(
    st.dictionaries(
        st.sampled_from(["body", "title", "authors", "published", "id", "source", "url"]),
        st.none()
        | st.integers(-(2**63), 2**63 - 1)
        | st.text(max_size=50)
        | st.lists(st.text(max_size=5), max_size=3),
    )
)
def test_any_json_object_decodes_or_fails_with_invalid_article(decoder, document):
    try:
        decoder.decode(orjson.dumps(document))
    except InvalidArticle as error:
        assert error.reason
