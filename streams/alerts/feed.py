"""The alert feed behind ``GET /alerts/stream`` and ``GET /api/alerts/live``: every alert this worker
reads, fanned out to its SSE clients (by subscription, or all of them), with a short memory for
clients that reconnect with Last-Event-ID.

No Kafka here: the worker's reader calls ``publish`` for each record of the alerts topic. Event ids
are ``<partition>:<offset>``; a subscription's alerts all live in one partition (the topic is keyed
by subscription id), so one id is a complete position for one subscription's stream. For the stream
of all alerts one id is not a position across partitions: it is caught up from the memory's arrival
order instead (see ``AlertFeed.replay``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from streams.alerts.metrics import SSE_CLIENTS


@dataclass(frozen=True, slots=True)
class FeedEvent:
    subscription_id: str
    partition: int
    offset: int
    data: str

    @property
    def id(self) -> str:
        return f"{self.partition}:{self.offset}"


def parse_event_id(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    partition, _, offset = value.strip().partition(":")
    try:
        return int(partition), int(offset)
    except ValueError:
        return None


class SlowClient(Exception):
    """The client fell more than its queue behind: it is dropped and reconnects with Last-Event-ID."""


class _Listener:
    """One SSE client: ``subscription_id`` None listens to every alert."""

    def __init__(self, subscription_id: str | None, size: int) -> None:
        self.subscription_id = subscription_id
        self.queue: asyncio.Queue[FeedEvent | None] = asyncio.Queue(maxsize=size)
        self.overflowed = False
        self.closed = False

    def offer(self, event: FeedEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.queue.get_nowait()
            self.queue.put_nowait(None)  # wakes the reader, who sees the overflow

    def close(self) -> None:
        self.closed = True
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[FeedEvent]:
        while True:
            event = await self.queue.get()
            if self.overflowed:
                raise SlowClient(self.subscription_id)
            if event is None:  # the worker is shutting down: end the stream, the client reconnects
                return
            yield event


class AlertFeed:
    def __init__(self, *, buffer: int = 1000, client_queue: int = 256) -> None:
        self._recent: deque[FeedEvent] = deque(maxlen=max(buffer, 0) or None)
        self._keep = buffer > 0
        self._client_queue = client_queue
        self._listeners: set[_Listener] = set()

    def publish(self, event: FeedEvent) -> None:
        if self._keep:
            self._recent.append(event)
        for listener in list(self._listeners):
            if listener.subscription_id is None or listener.subscription_id == event.subscription_id:
                listener.offer(event)

    def replay(self, subscription_id: str | None, after: tuple[int, int] | None) -> list[FeedEvent]:
        """Remembered events of ``subscription_id`` after position ``after`` (none without one).

        All alerts (``subscription_id`` None): what arrived after the event with that id, in the order
        this worker read them; an id the memory no longer holds (or never did: another worker, a
        restart) catches up nothing, and the client reloads from the store (GET /api/alerts). Alerts
        of different partitions may have been read in another order before a restart, so a client
        can see one twice: it dedupes on the alert's fingerprint, as webhook receivers do."""
        if after is None:
            return []
        partition, offset = after
        if subscription_id is None:
            events = list(self._recent)
            for index, e in enumerate(events):
                if e.partition == partition and e.offset == offset:
                    return events[index + 1 :]
            return []
        return [
            e
            for e in self._recent
            if e.subscription_id == subscription_id and e.partition == partition and e.offset > offset
        ]

    def close(self) -> None:
        """End every stream (on shutdown, so that open connections do not hold the web server)."""
        for listener in list(self._listeners):
            listener.close()

    @property
    def clients(self) -> int:
        return len(self._listeners)

    @asynccontextmanager
    async def listen(
        self, subscription_id: str | None, last_event_id: str | None = None
    ) -> AsyncIterator[_Listener]:
        """A listener of ``subscription_id``'s alerts (None: every alert), caught up after
        ``last_event_id``; its queue is bounded and a client that falls behind is dropped."""
        listener = _Listener(subscription_id, self._client_queue)
        for event in self.replay(subscription_id, parse_event_id(last_event_id))[-self._client_queue :]:
            listener.offer(event)
        self._listeners.add(listener)
        SSE_CLIENTS.inc()
        try:
            yield listener
        finally:
            self._listeners.discard(listener)
            SSE_CLIENTS.dec()
