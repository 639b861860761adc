"""Thin HTTP edge of ingestion: ``POST /articles`` on the worker's Faust (aiohttp) web server.

The judgment is ``streams.ingest.push``; this view reads the body (never more than the limit),
calls it, sends the articles to the raw topic with Faust's own producer (acks=all, keyed by
article_id like ``stancewire replay``), waits for the broker's acknowledgement and answers 202.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
import orjson
from faust.web import View
from prometheus_client import Counter

from streams.clock import utc_now_iso
from streams.ingest.push import PushRefused, PushRequests, check_length, check_token
from streams.ingest.raw import RawArticleDecoder
from streams.settings import Settings
from streams.web.responses import json_response, refuse

log = logging.getLogger(__name__)

PUSH_ARTICLES = Counter("stancewire_ingest_http_articles_total", "Articles accepted by POST /articles.")
PUSH_REFUSED = Counter(
    "stancewire_ingest_http_refused_total", "POST /articles requests refused, by code.", ["code"]
)
CHUNK = 64 * 1024


async def read_limited(request: Any, max_bytes: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``max_bytes`` (whatever
    ``Content-Length`` claimed; chunked bodies have none)."""
    check_length(request.content_length, max_bytes)
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise PushRefused(
                413, "request_too_large", f"the request body is over the limit of {max_bytes:,} bytes"
            )
        chunks.append(chunk)


def register_ingest(app: faust.App, topics: Any, settings: Settings) -> None:
    decoder = RawArticleDecoder.from_settings(settings)
    requests = PushRequests(
        decoder, max_bytes=settings.ingest_max_request_bytes, max_batch=settings.ingest_max_batch
    )
    token = settings.ingest_token.get_secret_value() if settings.ingest_token else None
    raw_topic = settings.topic("raw")

    @app.page("/articles")
    class ArticlesView(View):
        async def post(self, request: Any) -> Any:
            try:
                check_token(request.headers.get("Authorization"), token)
                body = await read_limited(request, requests.max_bytes)
                accepted = requests.prepare(
                    body, request.headers.get("Content-Type"), ingested_at=utc_now_iso()
                )
            except PushRefused as refused:
                PUSH_REFUSED.labels(refused.code).inc()
                return refuse(self, refused, refused.headers())
            try:
                # Hand every article to the producer first, then wait for all acknowledgements.
                pending = [
                    await topics.raw.send(
                        key=article.article_id.encode("utf-8"), value=orjson.dumps(article.to_event())
                    )
                    for article in accepted.articles
                ]
                await asyncio.gather(*pending)
            except Exception as exc:  # the broker refused or is unreachable: the client retries
                log.exception("POST /articles: could not write to %s", raw_topic)
                PUSH_REFUSED.labels("kafka_unavailable").inc()
                down = PushRefused(
                    503, "kafka_unavailable", f"could not write to {raw_topic}: {exc}; retry later"
                )
                return refuse(self, down, down.headers())
            PUSH_ARTICLES.inc(len(accepted.articles))
            return json_response(self, accepted.body(raw_topic), 202)
