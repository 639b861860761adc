"""The store's writer and every query, on real enriched events (the seed and articles cut from its
paragraphs, through the real Enricher) and real alerts (the alert engine), without Kafka.

Every test runs twice: on SQLite (the default store) and on a real PostgreSQL server that the
``postgres_url`` fixture starts from Debian's binaries (``make system-postgres``). Expected answers are
computed from the events, not written down.
"""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Iterator
from statistics import fmean
from typing import Any

import pytest
from sqlalchemy import select

from streams.store import (
    InvalidQuery,
    Store,
    alerts,
    article,
    entity,
    entity_timeline,
    open_store,
    quotes,
    schema,
    search_entities,
    stance_map,
    stances,
)
from streams.store.rows import quote_id, stance_id
from streams.store.timefmt import event_time, normalize
from tests.postgres import binaries, postgres_server
from tests.store_support import enrich, make_alerts, paragraph_articles, unique_stances

Events = tuple[list[dict[str, Any]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def events() -> Events:
    enriched = enrich(paragraph_articles())
    return enriched, make_alerts(enriched)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if binaries() is None:
        pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (run `make system-postgres`)")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        opened = open_store(request.getfixturevalue("postgres_url"), create=False)
        schema.metadata.drop_all(opened.engine)  # each test on empty tables
        opened.create()
    try:
        yield opened
    finally:
        opened.close()


def batch(events: Events) -> list[tuple[str, dict[str, Any]]]:
    enriched, alert_events = events
    return [("enriched", e) for e in enriched] + [("alert", a) for a in alert_events]


@pytest.fixture()
def filled(store: Store, events: Events) -> Store:
    store.apply(batch(events))
    return store


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order: what 'the store did not change' compares."""
    with store.engine.connect() as conn:
        return {
            table.name: [
                tuple(str(v) if isinstance(v, dict | list) else v for v in row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in schema.metadata.sorted_tables
        }


def newest_first(items: list[dict[str, Any]], time_key: str = "at", id_key: str = "id") -> bool:
    keys = [(item[time_key], item[id_key]) for item in items]
    return keys == sorted(keys, reverse=True)


def at_of(event: dict[str, Any]) -> str:
    return event_time(event["published"], event["enriched_at"])


def walk(query: Any, store: Store, limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = query(store, limit=limit, cursor=cursor, **params)
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next"]
        if cursor is None:
            return items


# --- the writer ----------------------------------------------------------------------------------------


def test_apply_stores_one_row_per_article_entity_mention_quote_stance_and_alert(filled, events) -> None:
    enriched, alert_events = events
    counts = filled.counts()
    assert counts["articles"] == len({e["article_id"] for e in enriched}) == len(enriched)
    assert counts["stances"] == len(unique_stances(enriched)) > 30
    assert counts["quotes"] == len(
        {(e["article_id"], q["start"], q["end"]) for e in enriched for q in e["quotes"]}
    )
    assert counts["article_entities"] == sum(len(e["entities"]) for e in enriched)
    assert counts["mentions"] == sum(len(x["mentions"]) for e in enriched for x in e["entities"])
    assert counts["entities"] == len({x["id"] for e in enriched for x in e["entities"]})
    assert counts["alerts"] == len({a["fingerprint"] for a in alert_events}) > 0


def test_replays_and_overlapping_batches_change_nothing(filled, events) -> None:
    before = dump(filled)
    everything = batch(events)
    filled.apply(everything)  # the same events again
    for start in range(0, len(everything), 3):  # overlapping batches of 5, every event 1–2 times more
        filled.apply(everything[start : start + 5])
    filled.apply(everything + everything[::-1])  # duplicates within one batch
    assert dump(filled) == before


def test_a_re_enriched_article_replaces_its_children_and_the_original_restores_them(filled, events) -> None:
    enriched, _ = events
    before = dump(filled)
    original = next(e for e in enriched if len(e["stances"]) >= 3 and len(e["quotes"]) >= 2)
    changed = copy.deepcopy(original)
    changed["title"] = "Re-enriched"
    changed["stances"] = changed["stances"][:1]
    changed["quotes"] = changed["quotes"][1:]
    changed["entities"] = changed["entities"][1:]
    filled.apply([("enriched", changed)])

    page = article(filled, original["article_id"])
    assert page is not None and page["title"] == "Re-enriched"
    kept = changed["stances"][0]
    assert [s["id"] for s in page["stances"]] == [
        stance_id(original["article_id"], kept["holder"], kept["target"])
    ]
    assert {q["id"] for q in page["quotes"]} == {
        quote_id(original["article_id"], q["start"], q["end"]) for q in changed["quotes"]
    }
    assert {x["id"] for x in page["entities"]} == {x["id"] for x in changed["entities"]}
    listed = stances(filled, article_id=original["article_id"], limit=500)["items"]
    assert [s["id"] for s in listed] == [s["id"] for s in page["stances"]]
    assert filled.counts()["stances"] == len(before["stances"]) - (len(original["stances"]) - 1)

    filled.apply([("enriched", original)])
    assert dump(filled) == before


def test_a_batch_is_one_transaction(store, events, monkeypatch) -> None:
    enriched, alert_events = events
    upsert = Store._upsert

    def fail_on_alerts(self, conn, table, rows, key):
        if table is schema.alerts:
            raise RuntimeError("the database went away mid-batch")
        return upsert(self, conn, table, rows, key)

    monkeypatch.setattr(Store, "_upsert", fail_on_alerts)
    with pytest.raises(RuntimeError):
        store.apply(batch(events))
    assert set(store.counts().values()) == {0}  # the articles written before the failure rolled back
    with pytest.raises(ValueError, match="unknown event kind"):
        store.apply([("enriched", enriched[0]), ("stance", alert_events[0])])
    assert set(store.counts().values()) == {0}


# --- stances -------------------------------------------------------------------------------------------


def test_stances_by_holder_target_polarity_article_and_window(filled, events) -> None:
    enriched, _ = events
    at = {e["article_id"]: at_of(e) for e in enriched}
    expected = unique_stances(enriched)

    def ids(**params: Any) -> list[str]:
        page = stances(filled, limit=500, **params)
        assert newest_first(page["items"]) and page["next"] is None
        return [s["id"] for s in page["items"]]

    def expect(predicate: Any) -> set[str]:
        return {stance_id(*key) for key, s in expected.items() if predicate(s)}

    assert set(ids()) == expect(lambda s: True)
    for holder in {s["holder"] for s in expected.values()}:
        assert set(ids(holder=holder)) == expect(lambda s, h=holder: s["holder"] == h)
    for target in {s["target"] for s in expected.values()}:
        assert set(ids(target=target)) == expect(lambda s, t=target: s["target"] == t)
    for polarity in ("support", "oppose", "neutral"):
        assert set(ids(polarity=polarity)) == expect(lambda s, p=polarity: s["polarity"] == p)
    for e in enriched:
        assert set(ids(article_id=e["article_id"])) == expect(
            lambda s, a=e["article_id"]: s["article_id"] == a
        )
    days = sorted(set(at.values()))
    since, until = days[1][:10], days[-1][:10]  # dates: inclusive since, exclusive until
    assert set(ids(since=since, until=until)) == expect(lambda s: since <= at[s["article_id"]][:10] < until)
    assert set(ids(since=days[-1])) == expect(lambda s: at[s["article_id"]] >= days[-1])

    one = stances(filled, holder=next(iter(expected.values()))["holder"], limit=1)["items"][0]
    source = expected[(one["article_id"], one["holder"], one["target"])]
    body = next(e["body"] for e in enriched if e["article_id"] == one["article_id"])
    assert one["evidence"] == source["evidence"]
    assert body[one["evidence"]["start"] : one["evidence"]["end"]] == one["evidence"]["text"]
    assert one["at"] == at[one["article_id"]] and one["polarity"] == source["polarity"]
    assert one["target_kind"] == ("topic" if one["target"].startswith("topic:") else "entity")
    assert set(one) == {
        "id", "article_id", "article_title", "at", "holder", "holder_name", "target", "target_name",
        "target_kind", "polarity", "sentiment", "confidence", "cue", "evidence",
    }  # fmt: skip


def test_stances_by_topic_name_part_or_id(filled, events) -> None:
    enriched, _ = events
    expected = unique_stances(enriched)
    topics = {s["target"]: s["target_name"] for s in expected.values() if s["target"].startswith("topic:")}
    assert topics, "the seed has stances toward topics"
    for topic_id, name in topics.items():
        word = max(name.split(), key=len)
        want = {
            stance_id(*key)
            for key, s in expected.items()
            if s["target"].startswith("topic:") and word.lower() in s["target_name"].lower()
        }
        got = {s["id"] for s in stances(filled, topic=word.upper(), limit=500)["items"]}
        assert got == want
        by_id = {s["id"] for s in stances(filled, topic=topic_id, limit=500)["items"]}
        assert by_id == {stance_id(*key) for key, s in expected.items() if s["target"] == topic_id}
    entity_names = {s["target_name"] for s in expected.values() if not s["target"].startswith("topic:")}
    assert all(stances(filled, topic=name)["items"] == [] for name in entity_names - set(topics.values()))


def test_pages_walk_every_item_once_newest_first(filled, events) -> None:
    for query, params, key in (
        (stances, {}, ("at", "id")),
        (quotes, {}, ("at", "id")),
        (alerts, {}, ("created_at", "fingerprint")),
        (search_entities, {}, ("last_seen", "id")),
    ):
        whole = query(filled, limit=500, **params)["items"]
        for limit in (1, 4, 7):
            paged = walk(query, filled, limit, **params)
            assert paged == whole, (query.__name__, limit)
        assert newest_first(whole, *key)
    assert stances(filled, limit=len(unique_stances(events[0])))["next"] is None


def test_parameters_the_store_cannot_use_are_refused(filled) -> None:
    for call in (
        lambda: stances(filled, since="last tuesday"),
        lambda: stances(filled, until="2025-13-01"),
        lambda: stances(filled, polarity="maybe"),
        lambda: stances(filled, limit=0),
        lambda: stances(filled, limit=501),
        lambda: stances(filled, cursor="not-a-cursor"),
        lambda: quotes(filled, cursor="WyJhIl0"),  # valid base64 JSON, wrong shape
        lambda: alerts(filled, since="soon"),
        lambda: search_entities(filled, limit=10_000),
        lambda: stance_map(filled, limit=0),
        lambda: entity_timeline(filled, "Q212", until="x"),
    ):
        with pytest.raises(InvalidQuery):
            call()
    assert issubclass(InvalidQuery, ValueError)


def test_stance_map_counts_edges_by_polarity(filled, events) -> None:
    enriched, _ = events
    expected = unique_stances(enriched).values()
    edges: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    sentiments: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in expected:
        edges[(s["holder"], s["target"])][s["polarity"]] += 1
        sentiments[(s["holder"], s["target"])].append(s["sentiment"])

    whole = stance_map(filled, limit=2000)
    assert len(whole["edges"]) == len(edges)
    for edge in whole["edges"]:
        want = edges[(edge["holder"], edge["target"])]
        assert (edge["support"], edge["oppose"], edge["neutral"]) == (
            want["support"],
            want["oppose"],
            want["neutral"],
        )
        assert edge["count"] == sum(want.values())
        assert edge["mean_sentiment"] == pytest.approx(
            fmean(sentiments[(edge["holder"], edge["target"])]), abs=1e-4
        )
    ends = {e["holder"] for e in whole["edges"]} | {e["target"] for e in whole["edges"]}
    nodes = {n["id"]: n for n in whole["nodes"]}
    assert set(nodes) == ends
    assert all((n["type"] == "TOPIC") == n["id"].startswith("topic:") for n in nodes.values())
    entity_types = {x["id"]: x["type"] for e in enriched for x in e["entities"]}
    assert all(nodes[i]["type"] == t for i, t in entity_types.items() if i in nodes)

    busiest = stance_map(filled, limit=3)["edges"]
    assert len(busiest) == 3
    assert min(e["count"] for e in busiest) >= max(
        e["count"]
        for e in whole["edges"]
        if (e["holder"], e["target"]) not in {(b["holder"], b["target"]) for b in busiest}
    )
    last_day = max(at_of(e) for e in enriched)
    window = stance_map(filled, since=last_day)
    last = [e for e in enriched if at_of(e) >= last_day]
    assert sum(e["count"] for e in window["edges"]) == len(unique_stances(last))


# --- entities ------------------------------------------------------------------------------------------


def entity_facts(enriched: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"mentions": 0, "articles": 0, "aliases": set(), "days": defaultdict(list)}
    )
    for e in enriched:
        for x in e["entities"]:
            f = facts[x["id"]]
            f["name"] = x["name"]
            f["mentions"] += len(x["mentions"])
            f["articles"] += 1
            f["aliases"].update(m["text"] for m in x["mentions"])
            f["days"][at_of(e)[:10]].append((len(x["mentions"]), x.get("sentiment")))
    return facts


def test_search_entities_by_name_or_any_alias(filled, events) -> None:
    enriched, _ = events
    facts = entity_facts(enriched)
    # An alias that is not part of the name (a surname is; "prime minister" is not).
    entity_id, alias = next(
        (i, a)
        for i, f in sorted(facts.items())
        for a in sorted(f["aliases"])
        if a.lower() not in f["name"].lower()
    )
    found = search_entities(filled, q=alias.upper(), limit=500)["items"]
    assert entity_id in {item["id"] for item in found}
    for item in found:
        f = facts[item["id"]]
        assert alias.lower() in f["name"].lower() or any(alias.lower() in a.lower() for a in f["aliases"])
        assert (item["mentions"], item["articles"]) == (f["mentions"], f["articles"])
    name_part = facts[entity_id]["name"].split()[-1].lower()
    assert entity_id in {i["id"] for i in search_entities(filled, q=name_part, limit=500)["items"]}
    assert len(search_entities(filled, limit=500)["items"]) == len(facts)
    assert search_entities(filled, q="zzz-no-such-entity")["items"] == []
    assert search_entities(filled, q="%")["items"] == []  # LIKE's wildcards are plain characters


def test_entity_page_names_counts_and_who_supports_or_opposes_whom(filled, events) -> None:
    enriched, _ = events
    facts = entity_facts(enriched)
    expected = list(unique_stances(enriched).values())
    holder = Counter(s["holder"] for s in expected).most_common(1)[0][0]
    target = Counter(s["target"] for s in expected if not s["target"].startswith("topic:")).most_common(1)[0][
        0
    ]
    for entity_id in (holder, target):
        page = entity(filled, entity_id)
        assert page is not None
        f = facts[entity_id]
        assert (page["name"], page["mentions"], page["articles"]) == (f["name"], f["mentions"], f["articles"])
        assert set(page["aliases"]) == f["aliases"]
        for key, side, other, polarity in (
            ("supports", "holder", "target", "support"),
            ("opposes", "holder", "target", "oppose"),
            ("supported_by", "target", "holder", "support"),
            ("opposed_by", "target", "holder", "oppose"),
        ):
            want = Counter(s[other] for s in expected if s[side] == entity_id and s["polarity"] == polarity)
            assert {edge["id"]: edge["count"] for edge in page[key]} == dict(want), key
            counts = [edge["count"] for edge in page[key]]
            assert counts == sorted(counts, reverse=True)
    assert entity(filled, "Q0-no-such-entity") is None


def test_entity_timeline_mentions_articles_and_mean_sentiment_per_day(filled, events) -> None:
    enriched, _ = events
    facts = entity_facts(enriched)
    entity_id = max(facts, key=lambda i: (len(facts[i]["days"]), facts[i]["mentions"]))
    days = facts[entity_id]["days"]
    assert len(days) > 1
    timeline = entity_timeline(filled, entity_id)
    assert [d["day"] for d in timeline] == sorted(days)
    for d in timeline:
        seen = days[d["day"]]
        sentiments = [s for _, s in seen if s is not None]
        assert d["mentions"] == sum(n for n, _ in seen) and d["articles"] == len(seen)
        if sentiments:
            assert d["mean_sentiment"] == pytest.approx(fmean(sentiments), abs=1e-4)
        else:
            assert d["mean_sentiment"] is None
    first, last = sorted(days)[0], sorted(days)[-1]
    assert [d["day"] for d in entity_timeline(filled, entity_id, since=first, until=last)] == sorted(days)[
        :-1
    ]
    assert entity_timeline(filled, "Q0-no-such-entity") == []


# --- quotes, alerts, articles --------------------------------------------------------------------------


def test_quotes_by_speaker_and_article(filled, events) -> None:
    enriched, _ = events
    speakers = Counter(q["speaker"] for e in enriched for q in e["quotes"] if q["speaker"])
    speaker = speakers.most_common(1)[0][0]
    got = quotes(filled, speaker=speaker, limit=500)["items"]
    assert len(got) == speakers[speaker] and all(q["speaker"] == speaker for q in got)
    bodies = {e["article_id"]: e["body"] for e in enriched}
    assert all(bodies[q["article_id"]][q["start"] : q["end"]] == q["text"] for q in got)
    for e in enriched:
        assert len(quotes(filled, article_id=e["article_id"], limit=500)["items"]) == len(e["quotes"])


def provenance(items: list[dict[str, Any]]) -> dict[tuple[str, int, int], tuple[Any, Any]]:
    return {(q["article_id"], q["start"], q["end"]): (q["found_by"], q["confidence"]) for q in items}


def test_quotes_keep_what_found_them(filled, events) -> None:
    enriched, _ = events
    expected = {
        (e["article_id"], q["start"], q["end"]): (q["found_by"], q["confidence"])
        for e in enriched
        for q in e["quotes"]
    }
    assert {found_by for found_by, _ in expected.values()} == {"frames", "cue-model"}
    assert provenance(quotes(filled, limit=500)["items"]) == expected


def test_a_store_made_before_quote_provenance_gets_its_columns(store, events) -> None:
    # As an earlier release created it: the quotes table without found_by and confidence.
    with store.engine.begin() as conn:
        for column in ("found_by", "confidence"):
            conn.exec_driver_sql(f"ALTER TABLE quotes DROP COLUMN {column}")
    store.create()
    store.apply(batch(events))
    got = provenance(quotes(store, limit=500)["items"])
    assert got and all(found_by in ("frames", "cue-model") for found_by, _ in got.values())
    store.create()  # and again: nothing left to add


def test_alerts_by_subscription_and_time(filled, events) -> None:
    _, alert_events = events
    by_fingerprint = {a["fingerprint"]: a for a in alert_events}
    everything = alerts(filled, limit=500)["items"]
    assert {a["fingerprint"] for a in everything} == set(by_fingerprint)
    for item in everything:
        source = by_fingerprint[item["fingerprint"]]
        assert item["matches"] == source["matches"] and item["evidence"] == source["evidence"]
        assert item["scores"] == source["scores"] and item["article_title"] == source["article"]["title"]
        assert item["created_at"] == normalize(source["created_at"])
        assert item["subscription_name"] == source["subscription_name"]
    for sid in {a["subscription_id"] for a in alert_events}:
        got = {a["fingerprint"] for a in alerts(filled, subscription_id=sid, limit=500)["items"]}
        assert got == {f for f, a in by_fingerprint.items() if a["subscription_id"] == sid}
    latest = max(normalize(a["created_at"]) or "" for a in alert_events)
    assert {a["fingerprint"] for a in alerts(filled, since=latest)["items"]} == {
        f for f, a in by_fingerprint.items() if normalize(a["created_at"]) == latest
    }


def test_article_with_its_whole_extraction(filled, events) -> None:
    enriched, alert_events = events
    for e in enriched:
        page = article(filled, e["article_id"])
        assert page is not None
        body = page["body"]
        assert body == e["body"] and page["title"] == e["title"] and page["authors"] == e["authors"]
        assert page["published"] == e["published"] and page["at"] == at_of(e)
        assert {x["id"]: x["mentions"] for x in page["entities"]} == {
            x["id"]: sorted(x["mentions"], key=lambda m: (m["start"], m["end"])) for x in e["entities"]
        }
        assert all(body[m["start"] : m["end"]] == m["text"] for x in page["entities"] for m in x["mentions"])
        assert len(page["quotes"]) == len(e["quotes"]) and "article_title" not in page["quotes"][0]
        assert {(s["holder"], s["target"]) for s in page["stances"]} == {
            (s["holder"], s["target"]) for s in e["stances"]
        }
        assert all(
            body[s["evidence"]["start"] : s["evidence"]["end"]] == s["evidence"]["text"]
            for s in page["stances"]
        )
        assert {a["fingerprint"] for a in page["alerts"]} == {
            a["fingerprint"] for a in alert_events if a["article_id"] == e["article_id"]
        }
    assert article(filled, "no-such-article") is None


def test_concurrent_writers_of_the_same_articles_leave_one_row_each(store, events) -> None:
    """Two consumers briefly own the same partition during a rebalance: both write the same batch at
    once (PostgreSQL takes both; SQLite makes one wait). Neither fails, and the rows are one copy."""
    import threading

    everything = batch(events)
    store.apply(everything)
    before = dump(store)
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def write() -> None:
        try:
            for _ in range(3):
                gate.wait(timeout=30)
                store.apply(everything)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert dump(store) == before
