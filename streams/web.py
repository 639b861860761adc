"""Thin HTTP views on the worker's Faust (aiohttp) web server: health and Prometheus metrics."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.metrics import ARTICLES_DEADLETTERED, ARTICLES_DUPLICATE, ARTICLES_ENRICHED, ARTICLES_IN
from streams.settings import Settings


def _total(counter: Any) -> int:
    return int(
        sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def register_web(app: faust.App, settings: Settings) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json(
            {
                "status": "ok",
                "app": settings.app_id,
                "articles_in": _total(ARTICLES_IN),
                "enriched": _total(ARTICLES_ENRICHED),
                "duplicates": _total(ARTICLES_DUPLICATE),
                "deadlettered": _total(ARTICLES_DEADLETTERED),
            }
        )

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])
