"""stancewire: who stands where on what, from a live news wire.

The public surface: :func:`analyze` (enrich articles in process, no Kafka), :class:`Settings`, and the
plain types of :mod:`streams.models`. Everything else is private to its module.
"""

from __future__ import annotations

from collections.abc import Iterable

from streams.models import EnrichedArticle, Entity, Quote, RawArticle, Stance
from streams.settings import Settings, get_settings

__all__ = [
    "EnrichedArticle",
    "Entity",
    "Quote",
    "RawArticle",
    "Settings",
    "Stance",
    "analyze",
    "get_settings",
]
__version__ = "0.1.0"


def analyze(articles: Iterable[RawArticle | str], settings: Settings | None = None) -> list[EnrichedArticle]:
    """Enrich articles (RawArticle or plain body text) in this process with the configured models."""
    from streams.enrich.pipeline import Enricher
    from streams.ingest.ids import article_id_for

    raw = [
        a if isinstance(a, RawArticle) else RawArticle(article_id=article_id_for(a), body=a) for a in articles
    ]
    return list(Enricher.from_settings(settings or get_settings()).enrich_stream(raw))
