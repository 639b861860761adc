"""Webhook delivery: signed POSTs with retries, one queue and one task per subscription.

The policy (who may be called, what is retried, how long to wait, the signature, the dead letter)
is in ``webhooks`` and ``signing``; this module only does the I/O. A subscription's alerts are
delivered in order by its own task, so a slow or dead receiver only ever delays itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from streams.alerts.articles import iso, parse_time
from streams.alerts.metrics import WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES, WEBHOOK_QUEUED, WEBHOOK_SECONDS
from streams.alerts.signing import message_id, signed_headers
from streams.alerts.subscriptions import Subscription
from streams.alerts.webhooks import (
    Allowlist,
    WebhookNotAllowed,
    check_url,
    classify,
    retry_after,
    retry_delay,
)
from streams.netguard import redact_url

log = logging.getLogger(__name__)

USER_AGENT = "stancewire-alerts/1"


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    delivered: bool
    attempts: int
    reason: str | None = None  # webhook_failed | webhook_rejected | webhook_not_allowed
    error: str | None = None
    status: int | None = None
    host: str | None = None


@dataclass(slots=True)
class DeliveryJob:
    alert: Mapping[str, Any]
    topic: str | None
    partition: int | None
    offset: int | None
    done: Callable[[], Awaitable[Any]]  # acks the alert's Kafka message: the offset may be committed


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


class WebhookSender:
    """Sends one alert, with retries. ``client`` must be ``streams.outbound.guarded_async_client``
    (tests may hand in a transport of their own): it checks and pins the addresses the webhook's host
    resolves to when it connects; here the URL itself is checked before every attempt, so a document
    stored before the current rules (or written to the topic by hand) is refused, and dead-lettered,
    instead of being sent."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allowlist: Allowlist,
        attempts: int,
        backoff_s: float,
        backoff_max_s: float,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.allowlist = allowlist
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.sleep = sleep
        self.rand = rand
        self.clock = clock

    async def send(self, subscription: Subscription, alert: Mapping[str, Any]) -> DeliveryResult:
        url = subscription.webhook_url
        if not url:
            return DeliveryResult(True, 0)
        shown = redact_url(url)  # what log lines and dead letters may say about the URL
        body = orjson.dumps(alert)
        fingerprint = str(alert.get("fingerprint", ""))
        msg_id = message_id(subscription.id, fingerprint)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Stancewire-Subscription": subscription.id,
            "X-Stancewire-Fingerprint": fingerprint,
        }
        error, status, host = "", None, _hostname(url)
        for attempt in range(1, self.attempts + 1):
            wait: float | None = None
            try:
                target = check_url(url, self.allowlist)
                host = target.host
                signed = (
                    signed_headers(subscription.secret, msg_id, body, timestamp=int(self.clock()))
                    if subscription.secret
                    else {"webhook-id": msg_id}
                )
                response = await self.client.post(
                    target.url,
                    content=body,
                    headers={**headers, **signed, "X-Stancewire-Attempt": str(attempt)},
                )
            except WebhookNotAllowed as exc:
                WEBHOOK_ATTEMPTS.labels("not_allowed").inc()
                return DeliveryResult(False, attempt, "webhook_not_allowed", str(exc), host=host)
            except (httpx.HTTPError, ConnectionError) as exc:
                WEBHOOK_ATTEMPTS.labels("error").inc()
                error, status = f"{type(exc).__name__}: {exc}".rstrip(": "), None
            else:
                status = response.status_code
                verdict = classify(status)
                WEBHOOK_ATTEMPTS.labels(verdict).inc()
                if verdict == "delivered":
                    return DeliveryResult(True, attempt, status=status, host=host)
                error = f"HTTP {status} {response.reason_phrase}".strip()
                if verdict == "rejected":
                    return DeliveryResult(False, attempt, "webhook_rejected", error, status, host)
                wait = retry_after(response.headers.get("Retry-After"), cap=self.backoff_max_s)
            if attempt < self.attempts:
                delay = wait if wait is not None else self._delay(attempt)
                log.info(
                    "webhook %s for %s: %s; retry %d in %.2fs", shown, subscription.id, error, attempt, delay
                )
                await self.sleep(delay)
        error = f"{error} after {self.attempts} attempts"
        return DeliveryResult(False, self.attempts, "webhook_failed", error, status, host)

    def _delay(self, attempt: int) -> float:
        return retry_delay(attempt, base=self.backoff_s, cap=self.backoff_max_s, rand=self.rand())


def dead_letter(job: DeliveryJob, result: DeliveryResult, *, max_payload_bytes: int) -> dict[str, Any]:
    """A ``deadletter.v1`` event for an alert that could not be delivered (plus who, what, how often)."""
    payload = orjson.dumps(job.alert)
    kept = payload[:max_payload_bytes].decode("utf-8", errors="ignore")
    return {
        "schema": "deadletter.v1",
        "reason": result.reason or "webhook_failed",
        "error": result.error or "undeliverable",
        "payload": kept,
        "payload_encoding": "utf-8",
        "payload_bytes": len(payload),
        "payload_truncated": len(payload) > max_payload_bytes,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "article_id": job.alert.get("article_id"),
        "source_topic": job.topic,
        "source_partition": job.partition,
        "source_offset": job.offset,
        "received_at": iso(datetime.now(UTC)),
        "subscription_id": job.alert.get("subscription_id"),
        "fingerprint": job.alert.get("fingerprint"),
        "attempts": result.attempts,
        "last_status": result.status,
        "webhook_host": result.host,
    }


class DeliveryHub:
    """Per-subscription queues and tasks. ``submit`` never waits on a receiver."""

    def __init__(
        self,
        sender: WebhookSender,
        lookup: Callable[[str], Subscription | None],
        on_failed: Callable[[DeliveryJob, DeliveryResult], Awaitable[None]],
        *,
        idle_s: float = 60.0,
    ) -> None:
        self.sender = sender
        self.lookup = lookup
        self.on_failed = on_failed
        self.idle_s = idle_s
        self._queues: dict[str, asyncio.Queue[DeliveryJob]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, subscription_id: str, job: DeliveryJob) -> None:
        queue = self._queues.get(subscription_id)
        if queue is None:
            queue = self._queues[subscription_id] = asyncio.Queue()
        queue.put_nowait(job)
        WEBHOOK_QUEUED.inc()
        task = self._tasks.get(subscription_id)
        if task is None or task.done():
            self._tasks[subscription_id] = asyncio.create_task(
                self._run(subscription_id, queue), name=f"webhook:{subscription_id}"
            )

    @property
    def queued(self) -> int:
        return sum(q.qsize() for q in self._queues.values())

    async def _run(self, subscription_id: str, queue: asyncio.Queue[DeliveryJob]) -> None:
        while True:
            try:
                job = await asyncio.wait_for(queue.get(), timeout=self.idle_s)
            except TimeoutError:
                if queue.empty():  # idle: let the task go; the next submit starts a new one
                    self._queues.pop(subscription_id, None)
                    self._tasks.pop(subscription_id, None)
                    return
                continue
            WEBHOOK_QUEUED.dec()
            try:
                await self._deliver(subscription_id, job)
            except Exception:  # one broken alert must not stop this subscription's deliveries
                log.exception("webhook delivery for %s crashed", subscription_id)
            finally:
                await job.done()

    async def _deliver(self, subscription_id: str, job: DeliveryJob) -> None:
        subscription = self.lookup(subscription_id)  # the current version: URL or secret may have changed
        if subscription is None or not subscription.webhook_url:
            WEBHOOK_DELIVERIES.labels("no_webhook").inc()
            return
        result = await self.sender.send(subscription, job.alert)
        if result.delivered:
            WEBHOOK_DELIVERIES.labels("delivered").inc()
            created = parse_time(job.alert.get("created_at"))
            if created is not None:
                WEBHOOK_SECONDS.observe(max(0.0, time.time() - created.timestamp()))
            return
        WEBHOOK_DELIVERIES.labels(result.reason or "failed").inc()
        log.warning(
            "alert %s for %s dead-lettered after %d attempt(s): %s",
            job.alert.get("fingerprint"),
            subscription_id,
            result.attempts,
            result.error,
        )
        await self.on_failed(job, result)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(BaseException):
                await task
        self._tasks.clear()
        self._queues.clear()
