"""Alerting: subscriptions, rules, alerts and their delivery (docs/alerting.md).

The pure core — ``rules``, ``match``, ``state``, ``digest``, ``engine``, ``subscriptions``,
``webhooks``, ``signing``, ``articles`` — works on plain dicts and imports neither Faust nor Kafka.
The edges — ``agents`` (Faust), ``web`` (aiohttp views), ``delivery`` (httpx), ``feed`` (SSE fan-out)
— only wire them. Importing this package loads no edge.
"""

from __future__ import annotations

from typing import Any


def register_alerting(app: Any, topics: Any, settings: Any) -> Any:
    """Declare alerting's topics, tables, agents and views on a Faust app (``streams.app``)."""
    from streams.alerts.agents import register_alerting as register

    return register(app, topics, settings)
