"""What /healthz says, decided from probes. Pure: the worker's probe task (streams/web/health.py) feeds it.

Two things make a worker ``degraded`` (HTTP 503, ``"status": "degraded"``, with the problems named):

* **the broker is unreachable**: no metadata answer for ``broker_timeout_s`` (also right after start,
  once that grace has passed without one answer);
* **a partition is stalled**: one of the watched partitions assigned to this worker (the topics the
  pipeline's agents read: articles.raw, articles.enriched, alerts.input) has messages after its
  committed offset, and the committed offset has not moved for ``stall_s``.

Offsets are Kafka's: ``end`` is the offset the next message will get, ``committed`` the next one the
group will read (None: the group never committed, read as 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class PartitionWatch:
    committed: int
    end: int
    progress_at: float  # when the committed offset last moved, or the partition had nothing to do


@dataclass(slots=True)
class Health:
    stall_s: float
    broker_timeout_s: float
    started_at: float
    broker_ok_at: float | None = None
    broker_error: str | None = None
    partitions: dict[str, PartitionWatch] = field(default_factory=dict)

    def broker_failed(self, error: str) -> None:
        self.broker_error = error

    def observe(
        self,
        now: float,
        ends: Mapping[str, int] | None = None,
        committed: Mapping[str, int | None] | None = None,
    ) -> None:
        """A successful probe: the broker answered, and (when given) the end offsets of the watched
        partitions assigned to this worker, with their committed offsets. Partitions not in ``ends``
        are no longer this worker's."""
        self.broker_ok_at = now
        self.broker_error = None
        if ends is None:
            return
        for name in list(self.partitions):
            if name not in ends:
                del self.partitions[name]
        for name, end in ends.items():
            done = (committed or {}).get(name) or 0
            before = self.partitions.get(name)
            if before is None or done != before.committed or done >= end:
                self.partitions[name] = PartitionWatch(done, end, now)
            else:
                before.end = end

    def stalled(self, now: float, after_s: float) -> list[str]:
        """The watched partitions with messages waiting and no commit for ``after_s``."""
        return [
            name
            for name, watch in sorted(self.partitions.items())
            if watch.end > watch.committed and now - watch.progress_at > after_s
        ]

    def report(self, now: float) -> dict[str, Any]:
        problems: list[str] = []
        if self.broker_ok_at is None:
            if now - self.started_at > self.broker_timeout_s:
                problems.append(
                    f"broker unreachable: no answer since the worker started {now - self.started_at:.0f}s ago"
                    + (f" ({self.broker_error})" if self.broker_error else "")
                )
        elif now - self.broker_ok_at > self.broker_timeout_s:
            problems.append(
                f"broker unreachable: last answer {now - self.broker_ok_at:.0f}s ago"
                + (f" ({self.broker_error})" if self.broker_error else "")
            )
        stalled = []
        for name in self.stalled(now, self.stall_s):
            watch = self.partitions[name]
            lag = watch.end - watch.committed
            stalled.append({"partition": name, "lag": lag, "stalled_s": round(now - watch.progress_at, 1)})
            problems.append(
                f"partition {name} stalled: {lag} behind, no progress for {now - watch.progress_at:.0f}s"
            )
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "broker": {
                "reachable": not any(p.startswith("broker") for p in problems),
                "last_answer_s": None if self.broker_ok_at is None else round(now - self.broker_ok_at, 1),
            },
            "partitions": {
                name: {"lag": max(w.end - w.committed, 0), "idle_s": round(now - w.progress_at, 1)}
                for name, w in sorted(self.partitions.items())
            },
            "stalled": stalled,
        }
