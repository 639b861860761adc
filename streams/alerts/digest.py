"""Muting and digests: what happens to a subscription's new alert, decided on plain data. Pure.

* muted (``muted_until`` in the future): the matches are recorded (so they never come back on a
  replay) and no alert goes out;
* instant: the alert goes out;
* digest every N minutes: the first alert after a quiet period goes out at once; later ones are held
  and go out together, as one ``digest`` alert, once N minutes have passed since the last one (on
  the next alert or the next tick, whichever comes first).

A subscription's digest state is ``{"last_sent_at": iso | None, "pending": [alert, ...],
"dropped": int}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from streams.alerts.articles import iso, parse_time
from streams.alerts.match import build_digest
from streams.alerts.subscriptions import Subscription


@dataclass(slots=True)
class Decision:
    send: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] | None = None  # the new digest state; None: unchanged
    outcome: str = "sent"  # sent | muted | held


def _due(state: Mapping[str, Any], minutes: float, now: datetime) -> bool:
    last = parse_time(state.get("last_sent_at"))
    return last is None or now - last >= timedelta(minutes=minutes)


def _flush(subscription: Subscription, state: Mapping[str, Any], now: datetime) -> Decision:
    pending = list(state.get("pending") or [])
    alert = build_digest(
        subscription, pending, minutes=subscription.minutes, dropped=int(state.get("dropped") or 0), now=now
    )
    return Decision([alert], {"last_sent_at": iso(now), "pending": [], "dropped": 0})


def admit(
    subscription: Subscription,
    alert: dict[str, Any],
    state: Mapping[str, Any] | None,
    *,
    now: datetime,
    max_items: int = 100,
) -> Decision:
    """What to do with a new alert of ``subscription`` given its digest ``state``."""
    if subscription.muted(now):
        return Decision(outcome="muted")
    if subscription.mode != "digest":
        return Decision([alert])
    state = state or {}
    pending = list(state.get("pending") or [])
    if not pending and _due(state, subscription.minutes, now):
        return Decision([alert], {"last_sent_at": iso(now), "pending": [], "dropped": 0})
    pending.append(alert)
    dropped = int(state.get("dropped") or 0)
    if len(pending) > max_items:
        dropped += len(pending) - max_items
        pending = pending[-max_items:]
    held = {"last_sent_at": state.get("last_sent_at"), "pending": pending, "dropped": dropped}
    if _due(held, subscription.minutes, now):
        return _flush(subscription, held, now)
    return Decision(state=held, outcome="held")


def tick(subscription: Subscription, state: Mapping[str, Any] | None, *, now: datetime) -> Decision:
    """Called periodically: send the held alerts whose period is over (held on while muted)."""
    if (
        subscription.muted(now)
        or not state
        or not state.get("pending")
        or not _due(state, subscription.minutes, now)
    ):
        return Decision(outcome="held")
    return _flush(subscription, state, now)
