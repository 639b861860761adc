from __future__ import annotations

import base64

import orjson
import pytest

from streams.enrich.pipeline import Enricher
from streams.events import DeadLetterEvent, EnrichedArticleEvent, EntityMentionEvent
from streams.ingest import RawArticleDecoder
from streams.processing import BatchProcessor, IncomingMessage, seen_mark, split_body

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


def test_same_id_with_a_different_body_is_an_id_conflict_not_a_duplicate(processor, registry):
    first = processor.process(
        [message(orjson.dumps({"id": "wire-7", "body": ENGLISH}))], already_seen=lambda _id: None
    )
    (article,) = first.enriched
    marks = {article["article_id"]: seen_mark(article, first.body_hashes[article["article_id"]])}
    changed = ENGLISH.replace("Monday", "Tuesday")
    again = processor.process(
        [
            message(orjson.dumps({"id": "wire-7", "body": ENGLISH}), offset=1),  # a replay: duplicate
            message(orjson.dumps({"id": "wire-7", "body": "  " + ENGLISH.upper() + "\n"}), offset=2),
            message(orjson.dumps({"id": "wire-7", "body": changed}), offset=3),  # a conflict
        ],
        already_seen=marks.get,
    )
    assert not again.enriched
    assert again.duplicates == ["wire-7", "wire-7"]  # whitespace and case: the same story
    ((source, dead),) = again.dead
    assert dead["reason"] == "id_conflict" and dead["article_id"] == "wire-7"
    assert "different body" in dead["error"] and source.offset == 3
    assert orjson.loads(dead["payload"])["body"] == changed
    assert again.conflicts == 1 and again.count == 3
    registry.validate(orjson.loads(DeadLetterEvent.from_core(dead).dumps()))


def test_id_conflict_inside_one_batch_keeps_the_first_body(processor):
    result = processor.process(
        [
            message(orjson.dumps({"id": "wire-8", "body": ENGLISH})),
            message(orjson.dumps({"id": "wire-8", "body": ENGLISH + " More."}), offset=1),
            message(orjson.dumps({"id": "wire-8", "body": ENGLISH}), offset=2),
        ],
        already_seen=lambda _id: None,
    )
    assert [a["body"] for a in result.enriched] == [ENGLISH]
    assert [d["reason"] for _, d in result.dead] == ["id_conflict"]
    assert result.duplicates == ["wire-8"]


def test_marks_without_a_body_hash_still_mean_duplicate(processor):
    # dedup marks written before body hashes (the enriched_at string) cannot tell bodies apart
    result = processor.process(
        [message(orjson.dumps({"id": "wire-9", "body": ENGLISH}))],
        already_seen=lambda _id: "2025-03-01T00:00:00Z",
    )
    assert result.duplicates == ["wire-9"] and not result.dead


def test_event_ids_are_deterministic_so_a_reprocessed_article_is_recognisable(processor, seed_article):
    payload = orjson.dumps(seed_article.to_event())
    one = processor.process([message(payload)], already_seen=lambda _id: None)
    two = processor.process([message(payload, offset=9)], already_seen=lambda _id: None)
    assert one.enriched[0]["enriched_at"] <= two.enriched[0]["enriched_at"]
    assert one.enriched[0]["event_id"] == two.enriched[0]["event_id"]
    assert [m["event_id"] for m in one.mentions] == [m["event_id"] for m in two.mentions]
    assert [s["event_id"] for s in one.stances] == [s["event_id"] for s in two.stances]
    ids = [one.enriched[0]["event_id"], *(m["event_id"] for m in one.mentions)]
    ids += [s["event_id"] for s in one.stances]
    assert len(set(ids)) == len(ids)  # distinct events, distinct ids
    # a different body under the same id is a different event
    other = processor.process(
        [message(orjson.dumps({**seed_article.to_event(), "body": ENGLISH}))], already_seen=lambda _id: None
    )
    assert other.enriched[0]["event_id"] != one.enriched[0]["event_id"]
    # dead letters: the same message and reason, the same id; another offset, another id
    bad = [processor.process([message(b"{x", offset=o)], already_seen=lambda _id: None) for o in (4, 4, 5)]
    ids = [r.dead[0][1]["event_id"] for r in bad]
    assert ids[0] == ids[1] != ids[2]


def test_split_body_cuts_at_paragraphs_then_sentences_and_keeps_every_character() -> None:
    body = "First paragraph here. It has two sentences.\n\nSecond one is here. " + "Words go on. " * 20
    parts = split_body(body, 80)
    assert "".join(text for _, text in parts) == body
    assert all(len(text) <= 80 for _, text in parts)
    assert parts[0] == (0, "First paragraph here. It has two sentences.\n\n")
    assert all(body[start : start + len(text)] == text for start, text in parts)
    assert all(text.endswith((". ", "\n\n")) for _, text in parts[:-1])
    assert split_body("short", 80) == [(0, "short")]
    unbroken = "x" * 200
    assert [len(t) for _, t in split_body(unbroken, 80)] == [80, 80, 40]


def test_a_long_body_is_enriched_in_parts_and_merged_onto_the_whole_body(registry, nlp, seed_article) -> None:
    """With parts of ~1,500 characters, the seed article (several parts) comes out as one enrichment
    whose every offset points into the whole body, each entity once, and a valid schema."""
    chunked = BatchProcessor(
        RawArticleDecoder(registry, max_body_bytes=1_000_000), Enricher(nlp), chunk_chars=1500
    )
    whole = BatchProcessor(RawArticleDecoder(registry, max_body_bytes=1_000_000), Enricher(nlp))
    payload = orjson.dumps(seed_article.to_event())
    assert len(seed_article.body) > 3000
    (article,) = chunked.process([message(payload)], already_seen=lambda _id: None).enriched
    (reference,) = whole.process([message(payload)], already_seen=lambda _id: None).enriched
    body = seed_article.body
    assert article["body"] == body and article["event_id"] == reference["event_id"]
    ids = [e["id"] for e in article["entities"]]
    assert len(ids) == len(set(ids))
    for entity in article["entities"]:
        for span in entity["mentions"]:
            assert body[span["start"] : span["end"]] == span["text"]
    for quote in article["quotes"]:
        assert body[quote["start"] : quote["end"]] == quote["text"]
    for stance in article["stances"]:
        evidence = stance["evidence"]
        assert body[evidence["start"] : evidence["end"]] == evidence["text"]
    # the people the whole parse finds, the parts find too
    people = {e["name"] for e in reference["entities"] if e["type"] == "PERSON"}
    assert {"Keir Starmer", "Vladimir Putin"} <= people
    assert {"Keir Starmer", "Vladimir Putin"} <= {e["name"] for e in article["entities"]}
    assert article["tone"]["words"] == reference["tone"]["words"]
    assert article["tone"]["tone"] == pytest.approx(reference["tone"]["tone"], abs=0.01)
    registry.validate(orjson.loads(EnrichedArticleEvent.from_core(article).dumps()))
