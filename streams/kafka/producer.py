"""The CLI's producer to articles.raw: kafka-python, acks=all, keyed by article_id."""

from __future__ import annotations

from types import TracebackType

import orjson
from kafka import KafkaProducer

from streams.clock import utc_now_iso
from streams.models import RawArticle
from streams.settings import Settings


class ArticleProducer:
    def __init__(self, settings: Settings) -> None:
        self.topic = settings.topic("raw")
        self.failures = 0
        self._errors: list[BaseException] = []
        self._producer = KafkaProducer(
            acks="all",
            linger_ms=20,
            max_request_size=settings.max_message_bytes,
            key_serializer=lambda key: key.encode("utf-8"),
            value_serializer=orjson.dumps,
            client_id=f"{settings.app_id}-replay",
            **settings.kafka_python_config(),
        )

    def send(self, article: RawArticle) -> None:
        event = article.to_event()
        event["ingested_at"] = event["ingested_at"] or utc_now_iso()
        future = self._producer.send(self.topic, key=article.article_id, value=event)
        future.add_errback(self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.failures += 1
        self._errors.append(exc)

    def flush_failures(self) -> int:
        """Flush, and return how many sends failed after they were handed to the client."""
        self._producer.flush()
        return self.failures

    def __enter__(self) -> ArticleProducer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._producer.flush()
        self._producer.close()
