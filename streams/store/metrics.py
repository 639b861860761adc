"""Prometheus metrics of the store's consumer (served by the worker's /metrics when it runs there)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

STORE_EVENTS_APPLIED = Counter(
    "stancewire_store_events_applied_total",
    "Events written to the store (redeliveries included: writes are idempotent).",
    ["kind"],
)
STORE_EVENTS_SKIPPED = Counter(
    "stancewire_store_events_skipped_total",
    "Events the store's consumer logged and skipped: not JSON, not an object, schema-invalid, "
    "or refused by the database.",
    ["topic", "reason"],
)
STORE_BATCH_SECONDS = Histogram(
    "stancewire_store_batch_seconds",
    "Time to write one polled batch to the store (one transaction).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STORE_RETRIES = Counter(
    "stancewire_store_retries_total", "Batches the store's consumer will read again after a database error."
)
