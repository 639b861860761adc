"""The fingerprints of the alerts already on the ``alerts`` topic, as this worker's reader sees them.

The matcher writes its state (the fingerprints it has handled among it) only after the broker has
acknowledged the event's alerts, so a crash can never lose an alert. What a crash can do is fall
between the two: the alerts are on the topic, their state is not yet on the changelog, and the event
read again makes the same alerts again. The window is the producer's changelog delay, which under
load is seconds, not milliseconds: the fault suite's ten kills of one worker made 3 duplicates of
561 alerts (docs/alerting.md, "After a crash").

So the matcher also asks the topic itself. The worker's alert reader (which already reads every alert
for the SSE feed) records each fingerprint here; after every rebalance the matcher waits until the
reader has reached the topic's end as it was then (``wait_until_read``), and leaves out an alert
whose fingerprint is already there. Pure bookkeeping; the Kafka side is ``agents.read_alerts``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping


class PublishedAlerts:
    """The last ``capacity`` fingerprints read from the alerts topic, and how far each partition is read."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._order: deque[str] = deque()
        self._known: set[str] = set()
        self._read_to: dict[int, int] = {}  # partition → next offset the reader will see
        self._ends: Callable[[], Awaitable[Mapping[int, int]]] | None = None
        self._progress = asyncio.Condition()

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._known

    def __len__(self) -> int:
        return len(self._known)

    def starting_at(
        self, positions: Mapping[int, int], ends: Callable[[], Awaitable[Mapping[int, int]]]
    ) -> None:
        """The reader starts: where it reads from, and how to ask the topic's current end offsets."""
        self._read_to.update(positions)
        self._ends = ends

    def record(self, partition: int, offset: int, fingerprint: str | None) -> None:
        self._read_to[partition] = max(self._read_to.get(partition, 0), offset + 1)
        if fingerprint and fingerprint not in self._known:
            self._known.add(fingerprint)
            self._order.append(fingerprint)
            while len(self._order) > self.capacity:
                self._known.discard(self._order.popleft())

    def reached(self, ends: Mapping[int, int]) -> bool:
        return all(self._read_to.get(partition, -1) >= end for partition, end in ends.items())

    async def notify(self) -> None:
        """The reader has read a batch (or found nothing new): wake whoever waits."""
        async with self._progress:
            self._progress.notify_all()

    async def wait_until_read(self, timeout: float) -> bool:
        """Until the reader has read every alert on the topic now; False when it did not within ``timeout``
        (no reader yet, a broker away): the caller goes on, as it would have without this check."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._ends is None:  # the reader has not started yet
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.05)
        try:
            ends = await asyncio.wait_for(self._ends(), max(deadline - loop.time(), 0.01))
        except Exception:  # TimeoutError included: the broker did not answer in time
            return False
        async with self._progress:
            while not self.reached(ends):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(self._progress.wait(), remaining)
                except TimeoutError:
                    return False
        return True
