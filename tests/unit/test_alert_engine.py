"""Shift and spike state, fingerprint dedup, muting and digests: the engine on plain dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from streams.alerts.articles import project_article
from streams.alerts.engine import AlertEngine, AlertState, EngineConfig
from streams.alerts.state import observe_shift, observe_spike
from streams.alerts.subscriptions import Subscription
from tests.unit.test_alert_support import enriched_article, stance

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def sub(rule: dict[str, Any], sid: str = "s1", **doc: Any) -> Subscription:
    return Subscription.from_doc({"id": sid, "rule": rule, **doc})


def engine(**config: Any) -> AlertEngine:
    return AlertEngine(EngineConfig(**config), AlertState.in_memory())


def feed(eng: AlertEngine, subs: list[Subscription], articles: list[dict[str, Any]], now: datetime = NOW):
    alerts = []
    for article in articles:
        alerts.extend(eng.on_article(project_article(article), subs, now).alerts)
    return alerts


# --- shift ---------------------------------------------------------------------------------------


def test_observe_shift_rolling_means_and_replacement() -> None:
    doc = None
    signals = []
    for i, sentiment in enumerate([0.6, 0.5, 0.7, -0.8, -0.9]):
        doc, signal = observe_shift(
            doc, at=f"2025-01-0{i + 1}", article_id=f"a{i}", sentiment=sentiment, window=3
        )
        signals.append(signal)
    assert signals[0]["before"] is None and signals[0]["after"] == pytest.approx(0.6)
    assert signals[3]["before"] == pytest.approx(0.6) and signals[3]["after"] == pytest.approx(0.4 / 3)
    assert signals[4]["before"] == pytest.approx(0.4 / 3) and signals[4]["after"] == pytest.approx(-1.0 / 3)
    assert signals[4]["observations"] == 3
    again, _ = observe_shift(doc, at="2025-01-05", article_id="a4", sentiment=-0.9, window=3)
    assert again == doc  # the same article twice is one observation


def test_observe_shift_places_late_articles_by_date() -> None:
    doc, _ = observe_shift(None, at="2025-01-03", article_id="c", sentiment=0.9, window=2)
    doc, late = observe_shift(doc, at="2025-01-01", article_id="a", sentiment=-0.9, window=2)
    assert late["before"] is None and late["after"] == pytest.approx(-0.9)
    assert [item[1] for item in doc["history"]] == ["a", "c"]


SHIFT = {"kind": "shift", "holder": "Vladimir Putin", "target": "Ukraine", "delta": 0.5}


def dated_stances(
    values: list[float], start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
) -> list[dict[str, Any]]:
    return [
        enriched_article(
            f"shift-{i}",
            published=(start + timedelta(days=i)).date().isoformat(),
            stances=[stance("Vladimir Putin", "Ukraine", "support" if v > 0 else "oppose", v)],
        )
        for i, v in enumerate(values)
    ]


def test_shift_alerts_on_sign_change_and_on_delta(registry) -> None:
    eng = engine(shift_window=3)
    alerts = feed(eng, [sub(SHIFT)], dated_stances([0.6, 0.5, 0.7, -0.8, -0.9]))
    # day 4 moves the mean 0.6 → 0.13 (less than 0.5, no flip); day 5 flips it to −0.33
    assert [a["article_id"] for a in alerts] == ["shift-4"]
    (m,) = alerts[0]["matches"]
    assert m["kind"] == "shift" and m["scores"]["flipped"] == 1
    assert m["scores"]["before"] == pytest.approx(0.133333) and m["scores"]["after"] == pytest.approx(
        -0.333333
    )
    assert m["holder"]["name"] == "Vladimir Putin" and m["target"]["name"] == "Ukraine"
    assert m["evidence"] and m["evidence"][0]["kind"] == "stance"
    registry.validate(alerts[0])

    big_moves = feed(
        engine(shift_window=3), [sub({**SHIFT, "delta": 0.4})], dated_stances([0.6, 0.5, 0.7, -0.8, -0.9])
    )
    assert [a["article_id"] for a in big_moves] == ["shift-3", "shift-4"]


def test_shift_needs_history_and_the_right_pair() -> None:
    assert feed(engine(), [sub({**SHIFT, "min_observations": 5})], dated_stances([0.6, -0.8])) == []
    assert feed(engine(), [sub({**SHIFT, "holder": "Keir Starmer"})], dated_stances([0.6, 0.5, -0.9])) == []
    any_holder = sub({"kind": "shift", "target": "Q212", "delta": 0.5})
    assert [a["article_id"] for a in feed(engine(), [any_holder], dated_stances([0.2, 0.1, -0.9]))] == [
        "shift-2"
    ]


# --- spike ---------------------------------------------------------------------------------------


def test_observe_spike_counts_per_window_and_baseline() -> None:
    doc = None
    day = datetime(2025, 1, 1, 15, tzinfo=UTC)
    for i in range(7):
        doc, signal = observe_spike(doc, at=day + timedelta(days=i), window_s=86400, baseline_windows=7)
    assert signal["count"] == 1 and signal["baseline"] == pytest.approx(6 / 7)
    assert (
        signal["window_start"] == "2025-01-07T00:00:00.000Z"
        and signal["window_end"] == "2025-01-08T00:00:00.000Z"
    )
    doc, signal = observe_spike(doc, at=day + timedelta(days=6, hours=2), window_s=86400, baseline_windows=7)
    assert (signal["previous"], signal["count"]) == (1, 2)
    doc, _ = observe_spike(doc, at=day + timedelta(days=30), window_s=86400, baseline_windows=7)
    assert len(doc["windows"]) == 1  # old windows are dropped


def spike_sequence(per_day: list[int]) -> list[dict[str, Any]]:
    articles = []
    for day, count in enumerate(per_day):
        for k in range(count):
            articles.append(
                enriched_article(
                    f"spike-{day}-{k}", published=f"2025-02-{day + 1:02d}", mentions=["Giorgia Meloni"]
                )
            )
    return articles


def test_spike_fires_once_on_the_article_that_crosses_k_times_the_trailing_mean(registry) -> None:
    rule = {"kind": "spike", "entity": "Giorgia Meloni", "factor": 3, "min_count": 3}
    alerts = feed(engine(), [sub(rule)], spike_sequence([1, 1, 1, 1, 1, 1, 1, 5]))
    assert [a["article_id"] for a in alerts] == ["spike-7-2"]
    (m,) = alerts[0]["matches"]
    assert m["scores"]["count"] == 3 and m["scores"]["baseline"] == pytest.approx(1.0)
    assert m["scores"]["threshold"] == 3 and m["scores"]["ratio"] == 3
    assert m["scores"]["window_start"] == "2025-02-08T00:00:00.000Z"
    registry.validate(alerts[0])
    # a higher baseline needs more: 2 a day before → 6 needed
    assert [a["article_id"] for a in feed(engine(), [sub(rule)], spike_sequence([2] * 7 + [7]))] == [
        "spike-7-5"
    ]


def test_spike_state_is_shared_by_subscriptions_and_not_counted_twice_on_replay() -> None:
    rule = {"kind": "spike", "entity": "Giorgia Meloni", "min_count": 3, "factor": 3}
    eng = engine()
    first = feed(eng, [sub(rule, "a"), sub(rule, "b")], spike_sequence([1, 1, 1, 1, 1, 1, 1, 3]))
    assert sorted(a["subscription_id"] for a in first) == ["a", "b"]
    before = orjson.dumps(eng.state.spike, option=orjson.OPT_SORT_KEYS)
    assert feed(eng, [sub(rule, "a"), sub(rule, "b")], spike_sequence([1, 1, 1, 1, 1, 1, 1, 3])) == []
    assert orjson.dumps(eng.state.spike, option=orjson.OPT_SORT_KEYS) == before


# --- dedup, replay, mute, digest -----------------------------------------------------------------

PUTIN = {"kind": "entity", "entity": "Vladimir Putin"}


def test_a_replay_never_alerts_twice_but_a_new_subscription_sees_old_articles() -> None:
    eng = engine()
    article = enriched_article("a1", mentions=["Vladimir Putin"])
    assert len(feed(eng, [sub(PUTIN)], [article])) == 1
    assert feed(eng, [sub(PUTIN)], [article]) == []
    late = feed(eng, [sub(PUTIN), sub(PUTIN, "late")], [article])
    assert [a["subscription_id"] for a in late] == ["late"]


def test_only_new_matches_make_a_new_alert() -> None:
    eng = engine()
    rule = {"kind": "stance", "holder": "Vladimir Putin"}
    one = enriched_article("a1", stances=[stance("Vladimir Putin", "Ukraine", "oppose", -0.8)])
    assert len(feed(eng, [sub(rule)], [one])) == 1
    two = enriched_article(
        "a1",
        stances=[
            stance("Vladimir Putin", "Ukraine", "oppose", -0.8),
            stance("Vladimir Putin", "NATO", "oppose", -0.5),
        ],
    )
    (alert,) = feed(eng, [sub(rule)], [two])  # the article came again with one more stance
    assert [m["target"]["name"] for m in alert["matches"]] == ["NATO"]


def test_muted_subscriptions_record_but_do_not_alert() -> None:
    eng = engine()
    muted = sub(PUTIN, muted_until=(NOW + timedelta(hours=1)).isoformat())
    outcome = eng.on_article(
        project_article(enriched_article("a1", mentions=["Vladimir Putin"])), [muted], NOW
    )
    assert outcome.alerts == [] and outcome.muted == 1
    (record,) = eng.state.fingerprints.values()
    assert record["outcome"] == "muted"
    expired = sub(PUTIN, muted_until=(NOW - timedelta(minutes=1)).isoformat())
    assert len(feed(eng, [expired], [enriched_article("a2", mentions=["Vladimir Putin"])])) == 1


def test_digest_sends_the_first_at_once_then_one_alert_per_period_carrying_the_rest(registry) -> None:
    eng = engine()
    digest = sub(PUTIN, frequency={"mode": "digest", "minutes": 10})
    articles = [enriched_article(f"d{i}", mentions=["Vladimir Putin"]) for i in range(4)]
    first = eng.on_article(project_article(articles[0]), [digest], NOW)
    assert [a["kind"] for a in first.alerts] == ["match"]
    for i, article in enumerate(articles[1:3], start=1):
        held = eng.on_article(project_article(article), [digest], NOW + timedelta(minutes=i))
        assert held.alerts == [] and held.held == 1
    assert eng.on_tick([digest], NOW + timedelta(minutes=9)).alerts == []
    (sent,) = eng.on_tick([digest], NOW + timedelta(minutes=10)).alerts
    registry.validate(sent)
    assert sent["kind"] == "digest" and sent["digest"]["count"] == 2
    assert [item["article_id"] for item in sent["digest"]["items"]] == ["d1", "d2"]
    assert sent["article_id"] == "d2"  # the newest on top
    assert eng.on_tick([digest], NOW + timedelta(minutes=30)).alerts == []  # nothing held
    # after a quiet period the next one goes out at once again
    assert [
        a["kind"]
        for a in eng.on_article(project_article(articles[3]), [digest], NOW + timedelta(hours=1)).alerts
    ] == ["match"]


def test_digest_flushes_on_the_next_article_when_a_tick_was_missed_and_caps_items() -> None:
    eng = engine(digest_max_items=2)
    digest = sub(PUTIN, frequency={"mode": "digest", "minutes": 5})
    for i in range(4):
        eng.on_article(project_article(enriched_article(f"d{i}", mentions=["Vladimir Putin"])), [digest], NOW)
    (sent,) = eng.on_article(
        project_article(enriched_article("late", mentions=["Vladimir Putin"])),
        [digest],
        NOW + timedelta(minutes=6),
    ).alerts
    assert sent["digest"]["count"] == 2 and sent["digest"]["dropped"] == 2
    assert [item["article_id"] for item in sent["digest"]["items"]] == ["d3", "late"]


def test_tick_forgets_digests_of_deleted_subscriptions() -> None:
    eng = engine()
    digest = sub(PUTIN, frequency={"mode": "digest", "minutes": 5})
    for i in range(2):
        eng.on_article(project_article(enriched_article(f"d{i}", mentions=["Vladimir Putin"])), [digest], NOW)
    assert "s1" in eng.state.digests
    assert eng.on_tick([], NOW + timedelta(hours=1)).alerts == []
    assert "s1" not in eng.state.digests


def test_state_values_are_json_so_faust_tables_can_hold_them() -> None:
    eng = engine()
    subs = [
        sub(SHIFT, "shift"),
        sub({"kind": "spike", "entity": "Ukraine"}, "spike"),
        sub(PUTIN, frequency={"mode": "digest"}),
    ]
    feed(
        eng, subs, dated_stances([0.5, -0.5, 0.4]) + [enriched_article("x", mentions=["Vladimir Putin"])] * 2
    )
    for mapping in (
        eng.state.articles,
        eng.state.shift,
        eng.state.spike,
        eng.state.fingerprints,
        eng.state.digests,
    ):
        assert orjson.loads(orjson.dumps(mapping)) == mapping
    # only the watched pair and entity are kept with each article
    signals = eng.state.articles["shift-0"]["signals"]
    assert [s["target"] for s in signals["shift"]] == ["Q212"]
    assert [s["entity"] for s in signals["spike"]] == ["Q212"]
