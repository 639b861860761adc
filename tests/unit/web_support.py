"""Shared by the tests of streams/web: a bare Faust app whose aiohttp application is served by
aiohttp's test server (no broker, no worker), and a fake of the store's query functions.

The fake implements the contract of issue 14 (docs/api.md) and nothing more: it answers in the
shapes the store's query functions return and records how it was called, so that the views'
parameter parsing, refusals and pass-through can be checked before (and independently of) the store.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import faust
from aiohttp.test_utils import TestClient, TestServer
from faust.web.base import BlueprintManager

from streams.store.timefmt import InvalidQuery

TOKEN = "web-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AT = "2026-03-01T10:00:00Z"


def bare_app() -> faust.App:
    app = faust.App(f"web-test-{uuid.uuid4().hex[:8]}", broker="memory://", store="memory://")
    app.web.blueprints = BlueprintManager([])
    return app


@asynccontextmanager
async def serve(app: faust.App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app.web.web_app)) as client:
        yield client


EVIDENCE = {"start": 0, "end": 38, "text": "Mira Okafor condemned Veldonia's plans"}
STANCE = {
    "id": "5f0e6c1d2b3a49587766554433221100",
    "article_id": "syn-1",
    "article_title": "Okafor condemns Veldonia",
    "at": AT,
    "holder": "per:mira-okafor",
    "holder_name": "Mira Okafor",
    "target": "gpe:veldonia",
    "target_name": "Veldonia",
    "target_kind": "entity",
    "polarity": "oppose",
    "sentiment": -0.8,
    "confidence": 0.9,
    "cue": "condemned",
    "evidence": EVIDENCE,
}
TOPIC_STANCE = {
    **STANCE,
    "id": "00112233445566778899aabbccddeeff",
    "target": "topic:sanctions",
    "target_name": "sanctions",
    "target_kind": "topic",
    "polarity": "support",
    "sentiment": 0.4,
    "cue": None,
    "holder_name": None,
}
QUOTE = {
    "id": "q-1",
    "article_id": "syn-1",
    "article_title": "Okafor condemns Veldonia",
    "at": AT,
    "text": "We will not accept this",
    "start": 40,
    "end": 63,
    "speaker": "per:mira-okafor",
    "speaker_name": "Mira Okafor",
    "kind": "direct",
    "cue": "said",
}
ALERT = {
    "fingerprint": "0123456789abcdef0123456789abcdef",
    "kind": "match",
    "subscription_id": "stance",
    "subscription_name": None,
    "article_id": "syn-1",
    "article_title": "Okafor condemns Veldonia",
    "created_at": "2026-03-01T10:00:01.123Z",
    "matches": [{"rule": {"kind": "stance"}, "target": "Veldonia"}],
    "evidence": [EVIDENCE],
    "scores": {"matches": 1, "max_confidence": 0.9, "mean_sentiment": -0.8},
}
EDGE = {"id": "gpe:veldonia", "name": "Veldonia", "count": 3, "mean_sentiment": -0.6, "last_at": AT}
ENTITY = {
    "id": "per:mira-okafor",
    "name": "Mira Okafor",
    "type": "PERSON",
    "wikidata": None,
    "aliases": ["Mira Okafor", "Okafor"],
    "mentions": 7,
    "articles": 3,
    "supports": [],
    "opposes": [EDGE],
    "supported_by": [],
    "opposed_by": [{**EDGE, "id": "Q7747", "name": "Vladimir Putin", "mean_sentiment": None}],
}
ARTICLE = {
    "article_id": "syn-1",
    "title": "Okafor condemns Veldonia",
    "url": "https://example.org/syn-1",
    "source": "example.org",
    "at": AT,
    "published": "2026-03-01T11:00:00+01:00",
    "authors": ["A. Writer"],
    "body": "Mira Okafor condemned Veldonia's plans. We will not accept this, she said.",
    "entities": [
        {
            "id": "per:mira-okafor",
            "name": "Mira Okafor",
            "type": "PERSON",
            "sentiment": None,
            "mentions": [{"start": 0, "end": 11, "text": "Mira Okafor"}],
        }
    ],
    "quotes": [{k: v for k, v in QUOTE.items() if k != "article_title"}],
    "stances": [{k: v for k, v in STANCE.items() if k != "article_title"}],
    "alerts": [
        {
            "fingerprint": ALERT["fingerprint"],
            "kind": "match",
            "subscription_id": "stance",
            "subscription_name": "Okafor on Veldonia",
            "created_at": ALERT["created_at"],
        }
    ],
}


class FakeQueries:
    """The contract's query functions over a few fixed rows. ``calls`` records (name, args, kwargs);
    ``cursor_error``: a cursor the fake cannot read raises InvalidQuery, as the store's decoding does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.store: Any = None

    def _called(self, name: str, store: Any, *args: Any, **kwargs: Any) -> None:
        self.store = store
        self.calls.append((name, args, kwargs))

    @staticmethod
    def _page(items: list[dict[str, Any]], limit: int, cursor: str | None) -> dict[str, Any]:
        if cursor is not None and not cursor.startswith("p"):
            raise InvalidQuery(f"cannot decode cursor {cursor!r}")
        start = int(cursor[1:]) if cursor else 0
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {"items": page, "next": f"p{start + limit}" if more else None}

    def search_entities(
        self, store: Any, q: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> Any:
        self._called("search_entities", store, q=q, limit=limit, cursor=cursor)
        summary = {k: ENTITY[k] for k in ("id", "name", "type", "wikidata", "mentions", "articles")}
        return self._page([{**summary, "last_seen": AT}], limit, cursor)

    def entity(self, store: Any, entity_id: str) -> Any:
        self._called("entity", store, entity_id)
        return {**ENTITY, "id": entity_id} if entity_id != "nobody" else None

    def entity_timeline(
        self, store: Any, entity_id: str, since: str | None = None, until: str | None = None
    ) -> Any:
        self._called("entity_timeline", store, entity_id, since=since, until=until)
        return [
            {"day": "2026-02-28", "mentions": 2, "articles": 1, "mean_sentiment": None},
            {"day": "2026-03-01", "mentions": 5, "articles": 2, "mean_sentiment": -0.25},
        ]

    def stances(self, store: Any, **kwargs: Any) -> Any:
        self._called("stances", store, **kwargs)
        return self._page([STANCE, TOPIC_STANCE], kwargs["limit"], kwargs["cursor"])

    def stance_map(
        self, store: Any, since: str | None = None, until: str | None = None, limit: int = 200
    ) -> Any:
        self._called("stance_map", store, since=since, until=until, limit=limit)
        return {
            "nodes": [
                {"id": "per:mira-okafor", "name": "Mira Okafor", "type": "PERSON"},
                {"id": "gpe:veldonia", "name": "Veldonia", "type": "GPE"},
                {"id": "topic:sanctions", "name": "sanctions", "type": "TOPIC"},
            ],
            "edges": [
                {
                    "holder": "per:mira-okafor",
                    "target": "gpe:veldonia",
                    "support": 0,
                    "oppose": 3,
                    "neutral": 1,
                    "count": 4,
                    "mean_sentiment": -0.6,
                }
            ],
        }

    def quotes(self, store: Any, **kwargs: Any) -> Any:
        self._called("quotes", store, **kwargs)
        return self._page([QUOTE], kwargs["limit"], kwargs["cursor"])

    def alerts(self, store: Any, **kwargs: Any) -> Any:
        self._called("alerts", store, **kwargs)
        return self._page([ALERT], kwargs["limit"], kwargs["cursor"])

    def article(self, store: Any, article_id: str) -> Any:
        self._called("article", store, article_id)
        return {**ARTICLE, "article_id": article_id} if article_id != "missing" else None
