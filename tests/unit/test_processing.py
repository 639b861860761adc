from __future__ import annotations

import base64

import orjson
import pytest

from streams.enrich.pipeline import Enricher
from streams.events import DeadLetterEvent, EnrichedArticleEvent, EntityMentionEvent
from streams.ingest import RawArticleDecoder
from streams.processing import BatchProcessor, IncomingMessage

ENGLISH = "Angela Merkel said on Monday that Germany would back the plan. Merkel spoke in Berlin."


@pytest.fixture(scope="module")
def processor(registry, nlp):
    return BatchProcessor(
        RawArticleDecoder(registry, max_body_bytes=5_000), Enricher(nlp), max_payload_bytes=256
    )


def message(value: bytes | None, offset: int = 0) -> IncomingMessage:
    return IncomingMessage(value=value, key=b"k", topic="articles.raw", partition=0, offset=offset)


def test_every_message_lands_in_exactly_one_outcome(processor, seed_article):
    payloads = [
        orjson.dumps(seed_article.to_event()),
        b"{not json",
        orjson.dumps({"title": "x"}),
        orjson.dumps({"body": ""}),
        orjson.dumps({"body": "x " * 3000}),
        b"\x80\x81\xfe",
        orjson.dumps({"body": ENGLISH, "authors": 7}),
        orjson.dumps({"body": ENGLISH}),
        orjson.dumps({"body": ENGLISH}),  # same article twice in a batch: one duplicate
    ]
    result = processor.process(
        [message(p, i) for i, p in enumerate(payloads)], already_seen=lambda _id: False
    )
    assert result.count == len(payloads)
    assert [a["article_id"] for a in result.enriched] == [
        seed_article.article_id,
        result.enriched[1]["article_id"],
    ]
    assert sorted(d["reason"] for _, d in result.dead) == sorted(
        ["invalid_json", "missing_body", "empty_body", "body_too_large", "not_utf8", "wrong_field_type"]
    )
    assert len(result.duplicates) == 1


def test_already_seen_articles_are_skipped(processor):
    first = processor.process([message(orjson.dumps({"body": ENGLISH}))], already_seen=lambda _id: False)
    seen = {a["article_id"] for a in first.enriched}
    again = processor.process([message(orjson.dumps({"body": ENGLISH}))], already_seen=seen.__contains__)
    assert not again.enriched and again.duplicates == list(seen)


def test_dead_letter_keeps_source_position_and_encodes_binary(processor, registry):
    result = processor.process([message(b"\xff\x00\xfe" * 200, offset=41)], already_seen=lambda _id: False)
    ((_, dead),) = result.dead
    assert dead["reason"] == "not_utf8"
    assert (dead["source_topic"], dead["source_partition"], dead["source_offset"]) == ("articles.raw", 0, 41)
    assert dead["payload_encoding"] == "base64"
    assert dead["payload_truncated"] and dead["payload_bytes"] == 600
    assert base64.b64decode(dead["payload"]) == (b"\xff\x00\xfe" * 200)[:256]
    registry.validate(orjson.loads(DeadLetterEvent.from_core(dead).dumps()))


def test_events_on_the_wire_validate_against_schemas(processor, registry, seed_article):
    result = processor.process(
        [message(orjson.dumps(seed_article.to_event()))], already_seen=lambda _id: False
    )
    (article,) = result.enriched
    wire = orjson.loads(EnrichedArticleEvent.from_core(article).dumps())
    assert wire == article and "__faust" not in wire
    registry.validate(wire)
    assert result.mentions
    for mention in result.mentions:
        registry.validate(orjson.loads(EntityMentionEvent.from_core(mention).dumps()))
        for span in mention["mentions"]:
            assert article["body"][span["start"] : span["end"]] == span["text"]


class ExplodingEnricher(Enricher):
    def enrich_batch(self, articles):
        if any("boom" in a.body for a in articles):
            raise RuntimeError("model crashed")
        return super().enrich_batch(articles)


def test_one_poisonous_article_is_dead_lettered_and_the_rest_enriched(registry, nlp):
    processor = BatchProcessor(RawArticleDecoder(registry), ExplodingEnricher(nlp))
    good = orjson.dumps({"body": ENGLISH})
    bad = orjson.dumps({"body": "The boom was heard across the city and the people said it was loud."})
    result = processor.process([message(good), message(bad, 1)], already_seen=lambda _id: False)
    assert len(result.enriched) == 1
    assert [d["reason"] for _, d in result.dead] == ["enrichment_failed"]
