"""The store's consumer: the enriched and alerts topics into the store, each row exactly once.

Its own consumer group (``<app_id>-store``), so it reads every event whatever the worker's agents do.
One poll is one batch: decoded, checked against its schema, written in one transaction
(``Store.apply``), and only then are the batch's offsets committed. A crash anywhere before the offset
commit makes the next owner of the partitions read the batch again, and the writes are idempotent:
at least once + idempotent = each row once (docs/store.md).

An event that is not JSON, not an object or not valid for its schema is logged, counted
(``stancewire_store_events_skipped_total``) and skipped; the consumer goes on. A database that cannot
be reached (or an SQLite file locked for longer than its busy timeout) stops nothing either: the batch
is read again after a back-off. An event the database itself refuses (a value PostgreSQL cannot store)
is found by writing the batch one event at a time, then skipped like an invalid one.

Runs as ``stancewire store run``, or as a child process of the worker (``register_store``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from streams.schemas import SchemaRegistry, describe, registry_at
from streams.settings import Settings
from streams.store.metrics import (
    STORE_BATCH_SECONDS,
    STORE_EVENTS_APPLIED,
    STORE_EVENTS_SKIPPED,
    STORE_RETRIES,
)
from streams.store.writer import Store, open_store

log = logging.getLogger(__name__)

#: What each topic carries: the store's event kind and the schema its events must fit.
KINDS = {"enriched": ("enriched", "article.enriched.v1"), "alerts": ("alert", "alert.v1")}
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class Skipped:
    reason: str  # empty | not_json | not_object | schema_invalid (refused_by_database | not_storable: later)
    detail: str


def decode(value: bytes | None, schema_name: str, registry: SchemaRegistry) -> dict[str, Any] | Skipped:
    """A record's value as an event of ``schema_name``, or why it cannot be one. Pure."""
    if not value:
        return Skipped("empty", "no value")
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return Skipped("not_json", str(exc))
    if not isinstance(event, dict):
        return Skipped("not_object", f"a JSON {type(event).__name__}, not an object")
    error = registry.first_error(schema_name, event)
    if error is not None:
        return Skipped("schema_invalid", describe(error))
    return event


def group_id(settings: Settings) -> str:
    return f"{settings.app_id}-store"


class StoreConsumer:
    """The loop: poll, decode, ``store.apply``, commit. ``run`` blocks until ``stop`` is set."""

    def __init__(self, settings: Settings, store: Store, registry: SchemaRegistry | None = None) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry or registry_at(settings.schemas_dir)
        self.topics = {settings.topic(name): kind for name, kind in KINDS.items()}
        self.failures = 0

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop``; a crash of the Kafka client is logged and the client made anew."""
        while not stop.is_set():
            try:
                self._consume(stop)
            except Exception:
                log.exception("store consumer failed; starting again in 5 s")
                stop.wait(5.0)

    def _kafka(self) -> Any:
        from kafka import KafkaConsumer

        s = self.settings
        return KafkaConsumer(
            *self.topics,
            group_id=group_id(s),
            client_id=f"{s.app_id}-store",
            enable_auto_commit=False,
            # A new store fills itself from everything the topics still hold.
            auto_offset_reset="earliest",
            max_poll_records=s.store_max_batch,
            fetch_min_bytes=s.store_fetch_min_bytes,
            fetch_max_wait_ms=s.store_fetch_max_wait_ms,
            max_partition_fetch_bytes=s.max_message_bytes,
            fetch_max_bytes=max(s.max_message_bytes, 16 * 1024 * 1024),
            session_timeout_ms=int(s.kafka_session_timeout_s * 1000),
            heartbeat_interval_ms=int(s.kafka_heartbeat_interval_s * 1000),
            **s.kafka_python_config(),
        )

    def _consume(self, stop: threading.Event) -> None:
        consumer = self._kafka()
        log.info(
            "store consumer: group %s, topics %s, store %s",
            group_id(self.settings),
            list(self.topics),
            self.store.url,
        )
        try:
            while not stop.is_set():
                batch = consumer.poll(timeout_ms=500)
                if batch:
                    self.handle(consumer, batch, stop)
        finally:
            # No commit on close: every processed batch is committed already, and what is not must be
            # read again.
            consumer.close(autocommit=False)

    def handle(self, consumer: Any, batch: Mapping[Any, list[Any]], stop: threading.Event) -> None:
        events: list[tuple[str, dict[str, Any]]] = []
        for tp, records in batch.items():
            kind, schema_name = self.topics[tp.topic]
            for record in records:
                item = decode(record.value, schema_name, self.registry)
                if isinstance(item, Skipped):
                    self._skip(tp.topic, record, item)
                else:
                    events.append((kind, item))
        started = time.perf_counter()
        try:
            self.store.apply(events)
        except (OperationalError, InterfaceError, DisconnectionError) as exc:
            # The database is away or busy: nothing of the batch is written (one transaction). Rewind
            # and read it again after a back-off, without committing anything.
            self._rewind(consumer, batch, exc, stop)
            return
        except Exception:
            # Something in the batch is refused by the database itself (or, schema-valid as it is,
            # cannot be made into rows): write what can be written, one event at a time, and skip (and
            # count) the rest, so that one event cannot stop the store by being read again forever.
            self._one_by_one(events)
        STORE_BATCH_SECONDS.observe(time.perf_counter() - started)
        for kind, _ in events:
            STORE_EVENTS_APPLIED.labels(kind).inc()
        self.failures = 0
        self._commit(consumer, batch)

    def _one_by_one(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        kept = []
        for kind, event in events:
            try:
                self.store.apply([(kind, event)])
                kept.append((kind, event))
            except (OperationalError, InterfaceError, DisconnectionError):
                raise
            except Exception as exc:
                topic = next(t for t, (k, _) in self.topics.items() if k == kind)
                key = event.get("article_id") if kind == "enriched" else event.get("fingerprint")
                reason = "refused_by_database" if isinstance(exc, DBAPIError) else "not_storable"
                log.warning("store: %s event %s skipped (%s): %s", kind, key, reason, exc)
                STORE_EVENTS_SKIPPED.labels(topic, reason).inc()
        events[:] = kept

    def _skip(self, topic: str, record: Any, skipped: Skipped) -> None:
        log.warning(
            "store: skipped %s[%s]@%s (%s): %s",
            topic,
            record.partition,
            record.offset,
            skipped.reason,
            skipped.detail,
        )
        STORE_EVENTS_SKIPPED.labels(topic, skipped.reason).inc()

    def _rewind(
        self, consumer: Any, batch: Mapping[Any, list[Any]], exc: Exception, stop: threading.Event
    ) -> None:
        delay = BACKOFF_S[min(self.failures, len(BACKOFF_S) - 1)]
        self.failures += 1
        STORE_RETRIES.inc()
        log.warning("store: database error, batch read again in %.0f s: %s", delay, exc)
        for tp, records in batch.items():
            consumer.seek(tp, records[0].offset)
        stop.wait(delay)

    def _commit(self, consumer: Any, batch: Mapping[Any, list[Any]]) -> None:
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata

        offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in batch.items()}
        try:
            consumer.commit(offsets)
        except KafkaError as exc:
            # Typically a rebalance took the partitions meanwhile: their new owner reads the batch again
            # from the last committed offset, and writing it twice changes nothing.
            log.warning("store: offsets not committed (%s); the batch will be read again", exc)


def _run_child(settings: Settings) -> None:
    """The store consumer's own process (``register_store``): ends with its parent, stops on SIGTERM."""
    import ctypes
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Linux: SIGTERM when the worker dies, even by SIGKILL (no orphan left consuming).
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    logging.basicConfig(
        level=logging.WARNING, format="[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
    )
    # Second to the enrichment for the CPU: on a busy machine the store trails a little, the worker's
    # throughput does not pay for it (docs/performance.md, "The store consumer").
    with contextlib.suppress(OSError):
        os.nice(settings.store_nice)
    StoreConsumer(settings, open_store(settings)).run(stop)


def register_store(app: Any, settings: Settings) -> Store:
    """Open the store for a Faust app (``streams.app.create_app``) and, unless
    ``store_consumer_enabled`` is off, run its consumer in a child process while the worker runs.

    A process, not a thread of the worker: the worker's throughput is bound by one interpreter lock
    that the enrichment needs whole, and decoding, validating and writing every event cost the
    pipeline about 8 % of its samples (docs/performance.md) when the consumer shared it. The child
    gets the worker's settings, dies with the worker (SIGKILL included) and is started again if it
    exits on its own. The store is returned and also set as ``app.stancewire_store``, where the
    API's views find it (SQLite in WAL mode or PostgreSQL: readers and the writer do not block).
    """
    store = open_store(settings)
    app.stancewire_store = store
    if not settings.store_consumer_enabled:
        return store

    @app.task
    async def store_consumer() -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # no fork of a process with threads and a loop
        child: Any = None
        try:
            while True:
                if child is None or not child.is_alive():
                    if child is not None:
                        log.warning("store consumer exited (code %s); starting it again", child.exitcode)
                    child = context.Process(
                        target=_run_child, args=(settings,), name="store-consumer", daemon=True
                    )
                    child.start()
                await asyncio.sleep(2.0)
        finally:
            if child is not None and child.is_alive():
                # SIGTERM: the consumer finishes its batch and leaves its group at once (its
                # partitions move without waiting for the session timeout).
                child.terminate()
                await asyncio.to_thread(child.join, 30)

    return store
