"""The matcher's staged state (streams/alerts/state.py: Staged): writes reach the tables only on
commit, i.e. after the event's alerts were acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.alerts.engine import AlertEngine, AlertState, EngineConfig
from streams.alerts.state import Staged
from streams.alerts.subscriptions import SubscriptionBook
from tests.unit.test_alert_support import enriched_article


def test_reads_see_pending_writes_the_backing_mapping_only_commits() -> None:
    backing = {"a": 1, "b": 2}
    staged = Staged(backing)
    staged["c"] = 3
    staged["a"] = 10
    del staged["b"]
    assert dict(staged) == {"a": 10, "c": 3} and len(staged) == 2 and "b" not in staged
    assert backing == {"a": 1, "b": 2}
    staged.commit()
    assert backing == {"a": 10, "c": 3} and staged.pending == {}
    staged["d"] = 4
    staged.discard()
    assert backing == {"a": 10, "c": 3} and dict(staged) == backing


def test_an_article_whose_alerts_were_not_acknowledged_alerts_again_not_never() -> None:
    """A crash between matching and the alerts' acknowledgement: nothing was committed, so the
    article read again makes the same alert (same fingerprint); once committed, a replay makes none."""
    tables: list[dict[str, object]] = [{}, {}, {}, {}, {}]
    staged = [Staged(t) for t in tables]
    engine = AlertEngine(EngineConfig(), AlertState(*staged))
    book = SubscriptionBook(digest_minutes=15)
    subscriptions = book.compile(
        [("ukraine", {"id": "ukraine", "rule": {"kind": "entity", "entity": "Ukraine"}})]
    )
    article = enriched_article("a1", mentions=["Ukraine"])
    from streams.alerts.articles import project_article

    projected = project_article(article)
    now = datetime(2025, 3, 1, tzinfo=UTC)
    first = engine.on_article(projected, subscriptions, now)
    for mapping in staged:  # the crash: the alerts were never acknowledged
        mapping.discard()
    again = engine.on_article(projected, subscriptions, now)
    assert [a["fingerprint"] for a in again.alerts] == [a["fingerprint"] for a in first.alerts]
    assert len(again.alerts) == 1
    for mapping in staged:  # acknowledged: committed
        mapping.commit()
    assert engine.on_article(projected, subscriptions, now).alerts == []
    assert tables[3]  # the fingerprints reached the table
