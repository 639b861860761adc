"""Webhook policy: which targets may be called, which answers are retried, how long to wait. Pure.

Who may be called is ``streams.netguard``'s rule for every outbound request: by default a webhook may
not reach an address that is not global (loopback, private, link-local, carrier-grade NAT, multicast,
reserved, in any spelling), so a subscription cannot make the worker probe the internal network; an
allowlist (``STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST``) opens exactly what an operator names. The URL is
checked and normalized when the subscription is made, checked again before every attempt, and the
addresses its host resolves to are checked and pinned when the connection is opened
(``streams.outbound``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from streams.netguard import Allowlist, NotAllowed, Target, check_resolved, check_url

__all__ = [
    "ALLOWLIST_SETTING",
    "Allowlist",
    "Target",
    "WebhookNotAllowed",
    "check_addresses",
    "check_url",
    "classify",
    "retry_after",
    "retry_delay",
    "webhook_allowlist",
]

Verdict = Literal["delivered", "retry", "rejected"]

ALLOWLIST_SETTING = "STANCEWIRE_ALERT_WEBHOOK_ALLOWLIST"

# One exception for every refusal of a target, whichever check (URL, resolved address) made it.
WebhookNotAllowed = NotAllowed


def webhook_allowlist(text: str | Iterable[str]) -> Allowlist:
    """The webhook allowlist from its setting (refusals name the setting that would allow them)."""
    return Allowlist.parse(text, setting=ALLOWLIST_SETTING)


def check_addresses(host: str, addresses: Iterable[str], allowlist: Allowlist, port: int = 443) -> None:
    """Every address ``host`` resolved to must be public or allowlisted."""
    check_resolved(host, port, addresses, allowlist)


def classify(status: int) -> Verdict:
    """2xx delivered; 408, 425, 429 and 5xx worth another try; anything else a refusal."""
    if 200 <= status < 300:
        return "delivered"
    if status in (408, 425, 429) or status >= 500:
        return "retry"
    return "rejected"


def retry_delay(attempt: int, *, base: float, cap: float, jitter: float = 0.1, rand: float = 0.5) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): base·2^(attempt−1), at most ``cap``,
    spread by ±``jitter`` (``rand`` in [0, 1) picks where; 0.5 is the middle)."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return max(0.0, delay * (1 + jitter * (2 * rand - 1)))


def retry_after(value: str | None, *, cap: float) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds, at most ``cap``; None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(cap, float(value))
    try:
        moment = parsedate_to_datetime(value)
        return min(cap, max(0.0, (moment - datetime.now(UTC)).total_seconds()))
    except (TypeError, ValueError):
        return None
