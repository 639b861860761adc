"""Thin Faust edges of alerting: topics, tables, agents, the tick timer, the alert reader (its HTTP
views are ``streams.web.subscriptions`` and ``streams.web.desk``, registered by ``streams.web``).

Flow (docs/alerting.md has the picture)::

    articles.enriched ─ alert-route ─▶ alerts.input (1 partition) ─ alert-match ─▶ alerts
                                                      ▲ ticks (leader timer)        │
    subscriptions (compacted) ═▶ GlobalTable on every worker                       ├─ alert-deliver ─▶ webhooks
                                                                                    │        └─ failed ─▶ alerts.deadletter
                                                                                    └─ reader ─▶ /alerts/stream, /api/alerts/live (SSE)

``alert-match`` reads a single-partition topic so that the shift and spike state of an entity is
whole in one place whatever the number of workers; matching is cheap next to enrichment, which
stays spread over all partitions.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import faust
import httpx
import orjson
from faust.tables.globaltable import GlobalTable

from streams import acks
from streams.alerts.articles import NotAnArticle, iso, parse_time, project_article, routing_dead_letter
from streams.alerts.delivery import DeliveryHub, DeliveryJob, DeliveryResult, WebhookSender, dead_letter
from streams.alerts.engine import AlertEngine, AlertState, EngineConfig, Outcome
from streams.alerts.feed import AlertFeed, FeedEvent
from streams.alerts.metrics import (
    ALERT_ARTICLES,
    ALERT_INVALID,
    ALERT_ROUTING_FAILED,
    ALERTS_OUT,
    ALERTS_SUPPRESSED,
    MATCH_SECONDS,
)
from streams.alerts.published import PublishedAlerts
from streams.alerts.state import Staged
from streams.alerts.subscriptions import Subscription, SubscriptionBook, SubscriptionRequests
from streams.alerts.webhooks import webhook_allowlist
from streams.outbound import guarded_async_client
from streams.schemas import registry_at
from streams.settings import Settings
from streams.stories import PositionConfig, StoryConfig, StoryDesk, StoryIndex, StoryState, sketch_article

log = logging.getLogger(__name__)


class TopicBackedGlobalTable(GlobalTable):
    """A GlobalTable whose changelog is a named topic of the pipeline (``subscriptions``) rather than
    ``<app>-<table>-changelog``. Faust's assignor looks the changelog up by its default name, so the
    name is taken from the topic given."""

    def _changelog_topic_name(self) -> str:
        if self._changelog_topic is not None:
            return self._changelog_topic.get_topic_name()
        return super()._changelog_topic_name()


@dataclass(frozen=True, slots=True)
class Alerting:
    """What ``register_alerting`` declared, for tests and tools."""

    subscriptions: Any
    alert_input: faust.TopicT
    engine: AlertEngine
    book: SubscriptionBook
    feed: AlertFeed
    route: Any
    match: Any
    deliver: Any
    # What the HTTP views (streams.web.subscriptions) need: the request judge, the acknowledged
    # write of a subscription, and whether the tables are restored (until then the API answers 503).
    requests: SubscriptionRequests
    write: Callable[[str, dict[str, Any] | None], Awaitable[None]]
    ready: Callable[[], bool]


def aiokafka_options(settings: Settings) -> dict[str, Any]:
    """Connection settings in aiokafka's vocabulary (for the worker's own alert reader)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    context = settings.ssl_context()
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = (
            settings.kafka_sasl_password.get_secret_value() if settings.kafka_sasl_password else None
        )
    return options


# How far back the reader starts on each partition of the alerts topic, for the fingerprints the
# matcher checks after a rebalance (PublishedAlerts): far more than a crash can leave unrecorded.
PUBLISHED_TAIL = 2000


async def read_alerts(settings: Settings, topic: str, feed: AlertFeed, published: PublishedAlerts) -> None:
    """Every alert of every partition into ``feed`` (no consumer group: each worker reads them all),
    starting a little before the end so that reconnecting SSE clients can be caught up; and every
    fingerprint, from further back, into ``published``."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        client_id=f"{settings.app_id}-alert-reader",
        **aiokafka_options(settings),
    )
    await consumer.start()
    try:
        while not consumer.assignment():  # without a group, every partition once metadata is in
            await asyncio.sleep(0.1)
        tps = sorted(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        begins = await consumer.beginning_offsets(tps)
        keep = settings.alert_sse_buffer // max(len(tps), 1)
        feed_from = {tp: max(begins[tp], ends[tp] - keep) for tp in tps}
        read_from = {tp: max(begins[tp], ends[tp] - max(keep, PUBLISHED_TAIL)) for tp in tps}
        for tp in tps:
            consumer.seek(tp, read_from[tp])

        async def end_offsets() -> dict[int, int]:
            return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}

        published.starting_at({tp.partition: read_from[tp] for tp in tps}, end_offsets)
        while True:
            batches = await consumer.getmany(timeout_ms=250)
            for tp, records in batches.items():
                for record in records:
                    if record.value is None or record.key is None:
                        published.record(tp.partition, record.offset, None)
                        continue
                    published.record(tp.partition, record.offset, fingerprint_of(record.value))
                    if record.offset < feed_from[tp]:  # older than the SSE memory: fingerprints only
                        continue
                    feed.publish(
                        FeedEvent(
                            record.key.decode("utf-8", errors="replace"),
                            tp.partition,
                            record.offset,
                            record.value.decode("utf-8", errors="replace"),
                        )
                    )
            await published.notify()
    finally:
        await consumer.stop()


def fingerprint_of(value: bytes) -> str | None:
    try:
        alert = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    fingerprint = alert.get("fingerprint") if isinstance(alert, dict) else None
    return fingerprint if isinstance(fingerprint, str) else None


def register_alerting(app: faust.App, topics: Any, settings: Settings) -> Alerting:
    """Declare alerting's topics, tables, agents and timer on ``app`` (the views: ``streams.web``)."""
    registry = registry_at(settings.schemas_dir)
    allowlist = webhook_allowlist(settings.alert_webhook_allowlist)
    requests = SubscriptionRequests(
        registry.validator("subscription.v1"),
        allowlist=allowlist,
        digest_minutes=settings.alert_digest_minutes,
    )
    book = SubscriptionBook(
        digest_minutes=settings.alert_digest_minutes,
        on_invalid=lambda key, why: log.warning("subscription %s is unusable and ignored: %s", key, why),
    )
    feed = AlertFeed(buffer=settings.alert_sse_buffer)
    published = PublishedAlerts()

    # --- State ----------------------------------------------------------------------------------
    # Subscriptions: every worker holds all of them (web API, delivery, matching). One partition,
    # as Faust advises for GlobalTables; the topic is the compacted `subscriptions` topic itself.
    subscriptions = TopicBackedGlobalTable(
        app,
        name="alert-subscriptions",
        default=None,
        key_type=str,
        partitions=1,
        changelog_topic=topics.subscriptions,
        recovery_buffer_size=1,
        standby_buffer_size=1,
        is_global=True,
        beacon=app.tables.beacon,
        help="subscription id → subscription.v1 document (the compacted subscriptions topic).",
    )
    app.tables.add(subscriptions)
    # Sized like the article topics (the broker default of 1 MB refused the copy of a 990 KB article,
    # silently): the copy carries no body, but a long article's entities and evidence can still be
    # large. `stancewire topics create` / the worker create it with the same size (kafka/admin.py).
    alert_input = app.topic(
        settings.topic("alerts_input"),
        partitions=1,
        replicas=settings.topic_replication,
        key_type=str,
        key_serializer="raw",
        value_serializer="orjson",
        internal=True,
        config={"max.message.bytes": str(settings.max_message_bytes)},
    )

    def table(name: str, what: str) -> Any:
        # Co-partitioned with alerts.input (1 partition): written only by alert-match, with its event.
        return app.Table(name, default=None, key_type=str, partitions=1, help=what)

    # The engine writes through Staged mappings: the tables (and their changelogs) get an event's state
    # only after its alerts were acknowledged (see Staged; docs/alerting.md, "After a crash").
    staged = [
        Staged(table("alert-articles", "article_id → shift/spike signals when first seen")),
        Staged(table("alert-shift", "holder|target → rolling sentiment history")),
        Staged(table("alert-spike", "entity_id → articles per tumbling window")),
        Staged(table("alert-fingerprints", "match fingerprint → when it was handled")),
        Staged(table("alert-digests", "subscription_id → held digest alerts")),
        Staged(table("alert-story-alerts", "subscription_id|story_id → the story's first alert")),
    ]
    engine = AlertEngine(
        EngineConfig(
            shift_window=settings.alert_shift_window,
            spike_window_s=settings.alert_spike_window_s,
            spike_baseline_windows=settings.alert_spike_baseline_windows,
            digest_max_items=settings.alert_digest_max_items,
        ),
        AlertState(*staged),
    )
    # Stories and positions (streams/stories) are judged in the same single-partition step as the
    # alerts: any article may join any open story, and a per-story subscription needs the article's
    # story before it is matched. The costly part, the MinHash of the body, is done in alert-route,
    # spread over every partition of articles.enriched.
    desk = StoryDesk(
        StoryIndex(
            StoryConfig.from_settings(settings),
            # The LSH bands, the entity index and the entity counts are derived from these two and
            # kept in memory (StoryIndex.reindex after each rebalance), not changelogged.
            StoryState(
                articles=table("story-articles", "article_id → story, signature, position flips"),
                stories=table("story-stories", "story_id → the story's summary"),
            ),
        ),
        table("story-positions", "holder|target → position over time"),
        PositionConfig(
            alpha=settings.position_alpha,
            threshold=settings.position_threshold,
            min_evidence=settings.position_min_evidence,
            window=settings.position_window,
        ),
    )

    def current() -> list[Subscription]:
        return book.compile(list(subscriptions.items()))

    def lookup(subscription_id: str) -> Subscription | None:
        return book.get(subscription_id, subscriptions.get(subscription_id))

    async def write(subscription_id: str, doc: dict[str, Any] | None) -> None:
        """Store (or, with None, delete) a subscription: on the topic first, acknowledged, then in this
        worker's table at once so that its next read sees it; other workers get it from the topic."""
        if doc is None:
            sent = await topics.subscriptions.send(key=subscription_id, value=None, value_serializer="raw")
        else:
            sent = await topics.subscriptions.send(key=subscription_id, value=doc)
        await sent
        if doc is None:
            subscriptions.data.pop(subscription_id, None)
        else:
            subscriptions.data[subscription_id] = doc

    # --- Matching -------------------------------------------------------------------------------
    @app.agent(topics.enriched, name="alert-route")
    async def route(stream: Any) -> None:
        # Every copy is acknowledged by the broker before the batch's offsets move on; a refused one
        # (too large, topic gone) is dead-lettered on alerts.deadletter with the reason.
        async for events in stream.take_events(64, within=0.05):
            pending: list[tuple[int, str, Awaitable[Any]]] = []
            copies: list[tuple[Any, dict[str, Any]]] = []
            for event in events:
                try:
                    projected = project_article(event.value)
                except NotAnArticle as exc:
                    ALERT_INVALID.inc()
                    log.warning("alerting skips an event on %s: %s", topics.enriched.get_topic_name(), exc)
                    continue
                copy = {
                    "type": "article",
                    "at": iso(datetime.now(UTC)),
                    "article": projected,
                    "sketch": sketch_article(event.value),
                }
                sent = await acks.send(alert_input, key=projected["article_id"], value=copy)
                pending.append((len(copies), alert_input.get_topic_name(), sent))
                copies.append((event, copy))
            for index, why in (await acks.acknowledged(pending)).items():
                event, copy = copies[index]
                ALERT_ROUTING_FAILED.inc()
                letter = routing_dead_letter(
                    copy,
                    error=why,
                    topic=event.message.topic,
                    partition=event.message.partition,
                    offset=event.message.offset,
                    max_payload_bytes=settings.deadletter_payload_max_bytes,
                )
                await acks.until_acked(topics.alerts_deadletter, key=letter["article_id"], value=letter)

    async def publish(outcome: Outcome) -> None:
        pending: list[tuple[int, str, Awaitable[Any]]] = []
        fresh = [alert for alert in outcome.alerts if alert.get("fingerprint") not in published]
        if len(fresh) < len(outcome.alerts):  # made before a crash, on the topic, not yet in the state
            ALERTS_SUPPRESSED.labels("already_published").inc(len(outcome.alerts) - len(fresh))
            outcome.alerts[:] = fresh
        for index, alert in enumerate(outcome.alerts):
            sent = await acks.send(topics.alerts, key=alert["subscription_id"], value=alert)
            pending.append((index, topics.alerts.get_topic_name(), sent))
        refused = await acks.acknowledged(pending)
        for index in refused:  # the alert is kept: again until the broker takes it
            alert = outcome.alerts[index]
            await acks.until_acked(topics.alerts, key=alert["subscription_id"], value=alert)
        for alert in outcome.alerts:
            ALERTS_OUT.labels(alert["kind"]).inc()
        ALERTS_SUPPRESSED.labels("muted").inc(outcome.muted)
        ALERTS_SUPPRESSED.labels("held_for_digest").inc(outcome.held)

    @app.agent(alert_input, name="alert-match")
    async def match(stream: Any) -> None:
        judged_in: int | None = None  # the group generation the topic was last read to its end in
        async for event in stream.events():
            if judged_in != app.consumer_generation_id:
                # After a rebalance (a start included) the events since the last commit are read
                # again; the alerts some of them made before a crash may be on the topic and not in
                # the state. Read the topic to its end first (PublishedAlerts).
                if not await published.wait_until_read(timeout=30.0):
                    log.warning("alert matching resumes without having read the alerts topic to its end")
                # The story tables were just recovered (or kept): rebuild the indexes derived from them.
                started = time.perf_counter()
                desk.stories.reindex()
                log.info(
                    "story indexes rebuilt from %d articles in %.2fs",
                    len(desk.stories.state.articles),
                    time.perf_counter() - started,
                )
                judged_in = app.consumer_generation_id
            message = event.value
            if not isinstance(message, Mapping):
                continue
            now = parse_time(message.get("at")) or datetime.now(UTC)
            try:
                if message.get("type") == "tick":
                    outcome = engine.on_tick(current(), now)
                elif message.get("type") == "article" and isinstance(message.get("article"), Mapping):
                    started = time.perf_counter()
                    story = desk.on_article(message["article"], message.get("sketch") or {}, now)
                    for story_event in story.events:
                        await topics.stories.send(key=story_event["story_id"], value=story_event)
                    outcome = engine.on_article(
                        message["article"], current(), now, story=story.story, positions=story.flips
                    )
                    MATCH_SECONDS.observe(time.perf_counter() - started)
                    ALERT_ARTICLES.labels("yes" if outcome.replayed else "no").inc()
                else:
                    continue
            except Exception:  # one malformed event must not stop alerting for everyone
                ALERT_INVALID.inc()
                log.exception("alert matching failed on %s@%s", event.message.partition, event.message.offset)
                for mapping in staged:
                    mapping.discard()
                continue
            await publish(outcome)
            for mapping in staged:  # the alerts are on the broker: now the state may say so
                mapping.commit()

    @app.timer(interval=settings.alert_tick_s, on_leader=True, name="alert-tick")
    async def tick() -> None:
        if any(s.mode == "digest" for s in current()):
            await alert_input.send(key="tick", value={"type": "tick", "at": iso(datetime.now(UTC))})

    # --- Delivery -------------------------------------------------------------------------------
    hubs: dict[str, DeliveryHub] = {}

    async def failed(job: DeliveryJob, result: DeliveryResult) -> None:
        await topics.alerts_deadletter.send(
            key=job.alert.get("subscription_id"),
            value=dead_letter(job, result, max_payload_bytes=settings.deadletter_payload_max_bytes),
        )

    def hub() -> DeliveryHub:
        if "hub" not in hubs:
            # Connections only to checked, pinned addresses; no redirects (one could lead past the
            # allowlist), no proxy from the environment (streams/outbound.py).
            client = guarded_async_client(
                allowlist,
                timeout=settings.alert_webhook_timeout_s,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            )
            sender = WebhookSender(
                client,
                allowlist=allowlist,
                attempts=settings.alert_webhook_attempts,
                backoff_s=settings.alert_webhook_backoff_s,
                backoff_max_s=settings.alert_webhook_backoff_max_s,
            )
            hubs["hub"] = DeliveryHub(sender, lookup, failed)
        return hubs["hub"]

    @app.agent(topics.alerts, name="alert-deliver")
    async def deliver(stream: Any) -> None:
        # Manual acks: an alert's offset is committed only once its webhook accepted it or it was
        # dead-lettered, so a crash redelivers (at least once; receivers dedupe on the fingerprint).
        manual = stream.noack()
        async for event in manual.events():
            alert = event.value
            subscription_id = alert.get("subscription_id") if isinstance(alert, Mapping) else None
            subscription = lookup(subscription_id) if isinstance(subscription_id, str) else None
            if subscription is None or not subscription.webhook_url:
                await manual.ack(event)
                continue
            message = event.message
            hub().submit(
                subscription.id,
                DeliveryJob(
                    alert,
                    message.topic,
                    message.partition,
                    message.offset,
                    done=functools.partial(manual.ack, event),
                ),
            )

    @app.task
    async def alert_reader() -> None:
        await read_alerts(settings, topics.alerts.get_topic_name(), feed, published)

    @app.task
    async def delivery_shutdown() -> None:
        try:
            await asyncio.Event().wait()  # until the worker stops and cancels this task
        finally:
            if "hub" in hubs:
                await hubs["hub"].close()
                await hubs["hub"].sender.client.aclose()

    started: dict[str, bool] = {}

    @app.task
    async def tables_restored() -> None:
        # Faust starts app tasks only once table recovery is complete: from now on the API is truthful.
        started["ready"] = True

    return Alerting(
        subscriptions,
        alert_input,
        engine,
        book,
        feed,
        route,
        match,
        deliver,
        requests=requests,
        write=write,
        ready=lambda: started.get("ready", False),
    )
