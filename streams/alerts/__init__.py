"""Alerting: subscriptions, rules, alerts and their delivery (docs/alerting.md).

The pure core — ``rules``, ``match``, ``state``, ``digest``, ``engine``, ``subscriptions``,
``webhooks``, ``signing``, ``articles`` — works on plain dicts and imports neither Faust nor Kafka.
The edges — ``agents`` (Faust), ``delivery`` (httpx), ``feed`` (SSE fan-out) — only wire them; the
HTTP views are in ``streams.web`` with every other edge of the web server. Importing this package
loads no edge. ``verify`` checks a delivered webhook.
"""

from __future__ import annotations

from typing import Any

# The receiver's side of a webhook (Standard Webhooks): pure, importable without Faust.
from streams.alerts.signing import DEFAULT_TOLERANCE_S, SignatureError, verify

__all__ = ["DEFAULT_TOLERANCE_S", "SignatureError", "register_alerting", "verify"]


def register_alerting(app: Any, topics: Any, settings: Any) -> Any:
    """Declare alerting's topics, tables and agents on a Faust app (``streams.app``); the returned
    ``Alerting`` is what ``streams.web.register_web`` needs for the subscription views."""
    from streams.alerts.agents import register_alerting as register

    return register(app, topics, settings)
