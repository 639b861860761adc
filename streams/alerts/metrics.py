"""Prometheus metrics of alerting, on the worker's /metrics next to the pipeline's own."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ALERT_ARTICLES = Counter(
    "stancewire_alert_articles_total", "Articles the alert matcher has evaluated.", ["replay"]
)
ALERT_INVALID = Counter(
    "stancewire_alert_invalid_total", "Events on articles.enriched alerting could not use."
)
ALERT_ROUTING_FAILED = Counter(
    "stancewire_alert_routing_failed_total",
    "Enriched articles whose copy for alert matching Kafka refused (dead-lettered on alerts.deadletter).",
)
ALERTS_OUT = Counter("stancewire_alerts_total", "Alerts published on the alerts topic.", ["kind"])
ALERTS_SUPPRESSED = Counter(
    "stancewire_alerts_suppressed_total", "New matches not alerted at once.", ["reason"]
)
MATCH_SECONDS = Histogram(
    "stancewire_alert_match_seconds",
    "Time to evaluate every subscription on one article.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
WEBHOOK_ATTEMPTS = Counter("stancewire_webhook_attempts_total", "Webhook POSTs tried.", ["result"])
WEBHOOK_DELIVERIES = Counter(
    "stancewire_webhook_deliveries_total", "Alerts handled by webhook delivery.", ["outcome"]
)
WEBHOOK_SECONDS = Histogram(
    "stancewire_webhook_delivery_seconds",
    "From an alert's created_at to its webhook being accepted.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
WEBHOOK_QUEUED = Gauge("stancewire_webhook_queued", "Alerts waiting for webhook delivery on this worker.")
SSE_CLIENTS = Gauge("stancewire_sse_clients", "Open /alerts/stream connections.")
