"""Real events for the store's tests: the seed articles, and more articles cut from their paragraphs
(dated on later days so the store has days, windows and pages to tell apart), enriched by the real
Enricher; alerts made from them by the real alert engine. Expected answers are computed here from the
events themselves, never written down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.ingest import article_id_for, read_seed_file
from streams.models import RawArticle
from tests.conftest import SEEDS

#: Alerting rules the store's tests subscribe with (names as the text has them).
ALERT_RULES: dict[str, dict[str, Any]] = {
    "starmer": {"kind": "entity", "entity": "Keir Starmer"},
    "ukraine-backers": {"kind": "stance", "target": "Ukraine", "polarity": "support"},
}


def seed_articles() -> list[RawArticle]:
    return [read_seed_file(path) for path in sorted(SEEDS.glob("*.txt"))]


def paragraph_articles(paragraphs_per_article: int = 3, days_apart: int = 1) -> list[RawArticle]:
    """Each seed, then pieces of consecutive paragraphs of it as articles of their own, one day apart
    after the seed's date: real prose, so the enricher finds real entities, quotes and stances."""
    out: list[RawArticle] = []
    for seed in seed_articles():
        out.append(seed)
        start = date.fromisoformat((seed.published or "2025-01-01")[:10])
        paragraphs = [p for p in seed.body.split("\n\n") if p.strip()]
        for n, first in enumerate(range(0, len(paragraphs), paragraphs_per_article), start=1):
            body = "\n\n".join(paragraphs[first : first + paragraphs_per_article])
            out.append(
                replace(
                    seed,
                    article_id=article_id_for(body),
                    body=body,
                    title=f"Part {n} of {seed.title or seed.article_id}",
                    published=(start + timedelta(days=n * days_apart)).isoformat(),
                )
            )
    return out


def enrich(articles: Sequence[RawArticle]) -> list[dict[str, Any]]:
    from streams.enrich.pipeline import Enricher
    from streams.settings import Settings

    return [dict(event) for event in Enricher.from_settings(Settings()).enrich_batch(list(articles))]


def make_alerts(enriched: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    from streams.alerts.articles import project_article
    from streams.alerts.engine import AlertEngine, AlertState, EngineConfig
    from streams.alerts.subscriptions import Subscription

    subscriptions = [
        Subscription.from_doc({"id": sid, "name": f"desk {sid}", "rule": rule})
        for sid, rule in ALERT_RULES.items()
    ]
    engine = AlertEngine(EngineConfig(), AlertState.in_memory())
    now = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    alerts: list[dict[str, Any]] = []
    for i, article in enumerate(enriched):
        outcome = engine.on_article(project_article(article), subscriptions, now + timedelta(minutes=i))
        alerts.extend(dict(alert) for alert in outcome.alerts)
    return alerts


def unique_stances(enriched: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(article_id, holder, target) → the stance, with the article's id and time alongside."""
    return {
        (e["article_id"], s["holder"], s["target"]): {**s, "article_id": e["article_id"]}
        for e in enriched
        for s in e["stances"]
    }
