"""The store's consumer without a broker: decoding, one batch = one transaction then the offsets,
bad events skipped and counted, a database error rewinds without committing; the worker's wiring."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from streams.settings import Settings
from streams.store import Store, open_store, register_store
from streams.store.consumer import Skipped, StoreConsumer, decode, group_id
from streams.store.metrics import STORE_EVENTS_SKIPPED
from tests.store_support import enrich, make_alerts, seed_articles
from tests.unit.test_alert_support import enriched_article, stance


@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    value: bytes | None


@dataclass
class FakeKafka:
    """The two calls the loop makes on kafka-python's consumer after a poll."""

    commits: list[dict[Any, int]] = field(default_factory=list)
    seeks: list[tuple[Any, int]] = field(default_factory=list)

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})

    def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp, offset))


@pytest.fixture(scope="module")
def real_events() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    enriched = enrich(seed_articles())
    return enriched, make_alerts(enriched)


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings(app_id="store-unit", topic_prefix="t.", data_dir=tmp_path, store_consumer_enabled=False)


def skipped(topic: str, reason: str) -> float:
    return STORE_EVENTS_SKIPPED.labels(topic, reason)._value.get()


def test_decode_takes_schema_valid_objects_only(registry, real_events) -> None:
    enriched, alert_events = real_events
    assert decode(orjson.dumps(enriched[0]), "article.enriched.v1", registry) == enriched[0]
    assert decode(orjson.dumps(alert_events[0]), "alert.v1", registry) == alert_events[0]
    assert decode(b"{not json", "alert.v1", registry).reason == "not_json"  # type: ignore[union-attr]
    assert decode(b"[1, 2]", "alert.v1", registry).reason == "not_object"  # type: ignore[union-attr]
    assert decode(None, "alert.v1", registry).reason == "empty"  # type: ignore[union-attr]
    # An enriched article on the alerts topic, and an article without its body.
    wrong = decode(orjson.dumps(enriched[0]), "alert.v1", registry)
    assert isinstance(wrong, Skipped) and wrong.reason == "schema_invalid"
    no_body = {k: v for k, v in enriched[0].items() if k != "body"}
    invalid = decode(orjson.dumps(no_body), "article.enriched.v1", registry)
    assert isinstance(invalid, Skipped) and "body" in invalid.detail


def test_a_batch_is_written_then_committed_and_bad_events_are_skipped(
    settings, registry, real_events
) -> None:
    enriched, alert_events = real_events
    store = open_store(settings)
    consumer = StoreConsumer(settings, store, registry)
    synthetic = enriched_article("syn-1", stances=[stance("Mira Okafor", "Veldonia", "oppose", -0.8)])
    enriched_tp, alerts_tp = TP("t.articles.enriched", 0), TP("t.alerts", 1)
    batch = {
        enriched_tp: [
            Record(0, 10, orjson.dumps(enriched[0])),
            Record(0, 11, b"\xff not json"),
            Record(0, 12, orjson.dumps({**synthetic, "stances": "none"})),  # schema-invalid
            Record(0, 13, orjson.dumps(synthetic)),
        ],
        alerts_tp: [Record(1, 3, orjson.dumps(a)) for a in alert_events]
        + [Record(1, 3 + len(alert_events), b"7")],
    }
    before = {
        r: skipped(t, r)
        for t, r in (
            ("t.articles.enriched", "not_json"),
            ("t.articles.enriched", "schema_invalid"),
            ("t.alerts", "not_object"),
        )
    }
    kafka = FakeKafka()
    consumer.handle(kafka, batch, threading.Event())
    counts = store.counts()
    assert counts["articles"] == 2 and counts["alerts"] == len({a["fingerprint"] for a in alert_events})
    assert counts["stances"] == len(enriched[0]["stances"]) + 1
    # Offsets after the batch's last record, bad ones included: they are skipped, not retried.
    assert kafka.commits == [{enriched_tp: 14, alerts_tp: 4 + len(alert_events)}] and kafka.seeks == []
    assert skipped("t.articles.enriched", "not_json") == before["not_json"] + 1
    assert skipped("t.articles.enriched", "schema_invalid") == before["schema_invalid"] + 1
    assert skipped("t.alerts", "not_object") == before["not_object"] + 1

    consumer.handle(kafka, batch, threading.Event())  # redelivered: the same rows
    assert store.counts() == counts


def test_a_database_error_rewinds_the_batch_and_commits_nothing(
    settings, registry, real_events, monkeypatch
) -> None:
    enriched, _ = real_events
    store = open_store(settings)
    consumer = StoreConsumer(settings, store, registry)

    def unreachable(self: Store, events: Any) -> None:
        raise OperationalError("INSERT ...", {}, Exception("connection refused"))

    monkeypatch.setattr(Store, "apply", unreachable)
    tp = TP("t.articles.enriched", 1)
    kafka = FakeKafka()
    stop = threading.Event()
    stop.set()  # the back-off returns at once
    consumer.handle(
        kafka,
        {tp: [Record(1, 40, orjson.dumps(enriched[0])), Record(1, 41, orjson.dumps(enriched[0]))]},
        stop,
    )
    assert kafka.commits == [] and kafka.seeks == [(tp, 40)]
    monkeypatch.undo()
    assert store.counts()["articles"] == 0


def test_register_store_opens_the_store_on_the_app(tmp_path) -> None:
    from streams.app import create_app

    off = Settings(app_id="store-wiring-off", data_dir=tmp_path / "off", store_consumer_enabled=False)
    app = create_app(off)
    assert isinstance(app.stancewire_store, Store)
    assert app.stancewire_store.url.endswith(str(tmp_path / "off" / "store.db"))
    assert not any("store_consumer" in getattr(task, "__name__", "") for task in app._app_tasks)

    on = Settings(app_id="store-wiring-on", data_dir=tmp_path / "on")
    app = create_app(on)
    assert any("store_consumer" in getattr(task, "__name__", "") for task in app._app_tasks)
    assert group_id(on) == "store-wiring-on-store"

    class Bare:
        pass

    bare = Bare()
    pg_free = Settings(data_dir=tmp_path / "bare", store_consumer_enabled=False)
    assert register_store(bare, pg_free) is bare.stancewire_store  # type: ignore[attr-defined]


def test_an_event_the_store_cannot_write_is_skipped_and_the_rest_of_its_batch_written(
    settings, registry, real_events, monkeypatch
) -> None:
    import streams.store.writer as writer

    enriched, _ = real_events
    poison = enriched_article("poison-1", stances=[stance("Mira Okafor", "Veldonia", "oppose", -0.8)])
    real_rows = writer.article_rows

    def rows(event: Any) -> Any:
        if event["article_id"] == "poison-1":
            raise TypeError("a value no column can hold")
        return real_rows(event)

    monkeypatch.setattr(writer, "article_rows", rows)
    store = open_store(settings)
    consumer = StoreConsumer(settings, store, registry)
    tp = TP("t.articles.enriched", 0)
    before = skipped("t.articles.enriched", "not_storable")
    kafka = FakeKafka()
    batch = {tp: [Record(0, 5, orjson.dumps(poison)), Record(0, 6, orjson.dumps(enriched[0]))]}
    consumer.handle(kafka, batch, threading.Event())
    assert store.counts()["articles"] == 1 and article_ids(store) == [enriched[0]["article_id"]]
    assert skipped("t.articles.enriched", "not_storable") == before + 1
    assert kafka.commits == [{tp: 7}]


def article_ids(store: Store) -> list[str]:
    from sqlalchemy import select

    from streams.store import schema

    with store.engine.connect() as conn:
        return list(conn.execute(select(schema.articles.c.article_id)).scalars())
