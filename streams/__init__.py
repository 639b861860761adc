"""stancewire: who stands where on what, from a live news wire.

The public surface: :func:`analyze` (enrich articles in process, no Kafka), :class:`Settings`, and the
plain types of :mod:`streams.models`. Everything else is private to its module.
"""

from __future__ import annotations

import os

# One worker per core: numerical libraries get one thread each unless told otherwise. Their small
# matrices (the model's heads, spaCy's layers) gain nothing from more, and threads that spin against
# the other worker's cost several times the work. Set here, before numpy is first imported.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from collections.abc import Iterable  # noqa: E402

from streams.models import EnrichedArticle, Entity, Quote, RawArticle, Stance  # noqa: E402
from streams.settings import Settings, get_settings  # noqa: E402

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
