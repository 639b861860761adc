"""Reading topics outside Faust (``stancewire tail``, tests, benchmarks): kafka-python, JSON values."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from kafka import KafkaConsumer

from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: Any


def _value(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def tail_topic(
    settings: Settings, topic: str, *, from_beginning: bool = False, limit: int = 0, idle_timeout: float = 0.0
) -> Iterator[Record]:
    consumer = KafkaConsumer(
        topic,
        group_id=None,
        client_id=f"{settings.app_id}-tail-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        **settings.kafka_python_config(),
    )
    seen = 0
    last = time.monotonic()
    try:
        while True:
            batches = consumer.poll(timeout_ms=500)
            for records in batches.values():
                for message in records:
                    last = time.monotonic()
                    yield Record(
                        message.topic,
                        message.partition,
                        message.offset,
                        message.key.decode("utf-8", errors="replace") if message.key else None,
                        _value(message.value),
                    )
                    seen += 1
                    if limit and seen >= limit:
                        return
            if idle_timeout and time.monotonic() - last > idle_timeout:
                return
    finally:
        consumer.close()
