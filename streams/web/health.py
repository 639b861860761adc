"""Thin HTTP views on the worker's Faust (aiohttp) web server: /healthz and Prometheus /metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.health import Health
from streams.metrics import (
    ARTICLES_DEADLETTERED,
    ARTICLES_DUPLICATE,
    ARTICLES_ENRICHED,
    ARTICLES_ID_CONFLICT,
    ARTICLES_IN,
)
from streams.settings import Settings

log = logging.getLogger(__name__)


def _total(counter: Any) -> int:
    return int(
        sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


def _name(tp: Any) -> str:
    return f"{tp.topic}[{tp.partition}]"


async def probe(app: faust.App, settings: Settings, health: Health, watched: set[str]) -> None:
    """Every ``health_probe_interval_s``: ask the broker for metadata and for the end offsets of the
    watched partitions this worker holds (its own client, no group), and hand the answers to
    ``health``; no answer within ``health_broker_timeout_s`` is a failed probe."""
    from aiokafka import AIOKafkaConsumer

    from streams.alerts.agents import aiokafka_options

    client: Any = None
    timeout = settings.health_broker_timeout_s
    rejoined_at = float("-inf")
    while True:
        try:
            if client is None:
                client = AIOKafkaConsumer(
                    group_id=None,
                    enable_auto_commit=False,
                    client_id=f"{settings.app_id}-health",
                    request_timeout_ms=int(timeout * 1000),
                    **aiokafka_options(settings),
                )
                await asyncio.wait_for(client.start(), timeout)
            await asyncio.wait_for(client.topics(), timeout)
            consumer = app.consumer
            mine = [tp for tp in consumer.assignment() if tp.topic in watched]
            ends = await asyncio.wait_for(client.end_offsets(mine), timeout) if mine else {}
            committed = getattr(consumer, "_committed_offset", {})
            now = time.monotonic()
            health.observe(
                now,
                {_name(tp): end for tp, end in ends.items()},
                {_name(tp): committed.get(tp) for tp in mine},
            )
            after_s = settings.health_stall_rejoin_s
            stalled = health.stalled(now, after_s) if after_s > 0 else []
            if stalled and now - rejoined_at >= after_s:
                log.warning(
                    "%s: messages waiting and no commit for %.0fs; asking the group to rebalance",
                    ", ".join(stalled),
                    after_s,
                )
                request_rejoin(app)
                rejoined_at = now
        except asyncio.CancelledError:
            if client is not None:
                await client.stop()
            raise
        except Exception as exc:  # unreachable, timed out, not yet started: all say the same
            health.broker_failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            if client is not None:
                try:
                    await client.stop()
                except Exception:
                    log.debug("health probe client did not stop cleanly", exc_info=True)
                client = None
        await asyncio.sleep(settings.health_probe_interval_s)


def request_rejoin(app: faust.App) -> None:
    """Make this worker's consumer rejoin its group, which rebalances the group: what got a stalled
    partition fetched again in the fault suite. On the consumer's own thread and loop, where aiokafka's
    coordinator lives."""
    thread: Any = app.consumer._thread  # type: ignore[attr-defined]
    coordinator = thread._ensure_consumer()._coordinator
    thread.thread_loop.call_soon_threadsafe(coordinator.request_rejoin)


def register_health(app: faust.App, settings: Settings) -> Health:
    """/healthz (what ``Health`` decides from the probe task declared here) and /metrics."""
    health = Health(
        stall_s=settings.health_stall_s,
        broker_timeout_s=settings.health_broker_timeout_s,
        started_at=time.monotonic(),
    )
    watched = {settings.topic(name) for name in ("raw", "enriched", "alerts_input")}

    @app.task
    async def health_probe() -> None:
        await probe(app, settings, health, watched)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        report = health.report(time.monotonic())
        return web.json(
            {
                **report,
                "app": settings.app_id,
                "articles_in": _total(ARTICLES_IN),
                "enriched": _total(ARTICLES_ENRICHED),
                "duplicates": _total(ARTICLES_DUPLICATE),
                "deadlettered": _total(ARTICLES_DEADLETTERED),
                # id conflicts are dead letters too (reason id_conflict): in = enriched + deadlettered
                # + duplicates holds with them inside deadlettered.
                "conflicts": _total(ARTICLES_ID_CONFLICT),
            },
            status=503 if report["status"] != "ok" else 200,
        )

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    return health
