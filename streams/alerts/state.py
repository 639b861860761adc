"""Shift and spike state: plain JSON documents in, new documents and a signal out. Pure.

The state is about the world, not about a subscription: one document per (holder, target) for shift
and one per entity for spike, updated once per article. What the state said when the article arrived
is kept as the article's *signals*; rules with their own thresholds read those signals, so a replay
of the article sees exactly what the first pass saw.

Time is the article's own (its ``published`` date, else when it was enriched), so a dated sequence
replayed in a minute behaves like the weeks it describes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

from streams.alerts.articles import iso


def observe_shift(
    doc: Mapping[str, Any] | None,
    *,
    at: str,
    article_id: str,
    sentiment: float,
    window: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add one observation of a holder's sentiment toward a target.

    ``doc`` is ``{"history": [[at, article_id, sentiment], ...]}`` sorted by (at, article_id), the
    newest ``4 * window`` kept. Returns the new document and the signal: the rolling mean of the last
    ``window`` observations before this one (``before``, None without history) and including it
    (``after``), and how many observations ``before`` averaged.
    """
    history = [list(item) for item in (doc or {}).get("history", [])]
    entry = [at, article_id, float(sentiment)]
    keys = [(item[0], item[1]) for item in history]
    position = bisect.bisect_left(keys, (at, article_id))
    if position < len(history) and keys[position] == (at, article_id):
        history[position] = entry  # the same article again: replace, never count twice
    else:
        history.insert(position, entry)
    earlier = [item[2] for item in history[:position]][-window:]
    upto = [item[2] for item in history[: position + 1]][-window:]
    signal = {
        "before": sum(earlier) / len(earlier) if earlier else None,
        "after": sum(upto) / len(upto),
        "observations": len(earlier),
        "window": window,
        "sentiment": float(sentiment),
    }
    return {"history": history[-4 * window :]}, signal


def window_start(moment: datetime, size_s: int) -> int:
    """Start (epoch seconds) of the tumbling window of ``size_s`` seconds that holds ``moment``."""
    epoch = int(moment.timestamp())
    return epoch - epoch % size_s


def observe_spike(
    doc: Mapping[str, Any] | None,
    *,
    at: datetime,
    window_s: int,
    baseline_windows: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Count one more article mentioning an entity in the window holding ``at``.

    ``doc`` is ``{"windows": {"<window start epoch>": count}}``; windows older than the baseline of
    the newest window are dropped. The signal has the window's count before and after this article
    and the mean count of the ``baseline_windows`` windows before it (0 for windows never seen).
    """
    windows = {int(k): int(v) for k, v in (doc or {}).get("windows", {}).items()}
    start = window_start(at, window_s)
    previous = windows.get(start, 0)
    windows[start] = previous + 1
    baseline = sum(windows.get(start - i * window_s, 0) for i in range(1, baseline_windows + 1))
    newest = max(windows)
    horizon = newest - baseline_windows * window_s
    kept = {str(k): v for k, v in sorted(windows.items()) if k >= horizon}
    signal = {
        "window_start": iso(datetime.fromtimestamp(start, UTC)),
        "window_end": iso(datetime.fromtimestamp(start + window_s, UTC)),
        "previous": previous,
        "count": previous + 1,
        "baseline": baseline / baseline_windows,
        "baseline_windows": baseline_windows,
    }
    return {"windows": kept}, signal


_DELETED = object()


class Staged(MutableMapping[str, Any]):
    """A mapping whose writes wait: reads see them at once, the underlying mapping (a Faust table,
    whose every write goes to its changelog) gets them on ``commit``. The matcher commits only after
    the broker acknowledged the alerts of the event, so a crash in between leaves state that does not
    know the alerts, and the event, read again, makes the same alerts (same fingerprints) instead of
    none: an alert may repeat, it is never lost."""

    def __init__(self, backing: MutableMapping[str, Any]) -> None:
        self.backing = backing
        self.pending: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self.pending:
            value = self.pending[key]
            if value is _DELETED:
                raise KeyError(key)
            return value
        value = self.backing.get(key)
        if value is None and key not in self.backing:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.pending[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        for key in list(self.backing):
            if key not in self.pending:
                yield key
        for key, value in list(self.pending.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def commit(self) -> None:
        for key, value in self.pending.items():
            if value is _DELETED:
                self.backing.pop(key, None)
            else:
                self.backing[key] = value
        self.pending.clear()

    def discard(self) -> None:
        self.pending.clear()
