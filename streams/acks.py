"""Sends that are acknowledged, or whose failure is retrieved and reported. Thin Faust edge helpers.

Faust's ``await topic.send(...)`` only hands a message to the producer: the broker's answer comes
later on the returned future, and a refusal nobody awaits ends as "Future exception was never
retrieved" with the message gone. Every send of the pipeline goes through ``send`` (a refusal on the
spot becomes a failed future too) and its future is awaited with ``acknowledged`` or ``until_acked``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")


async def send(topic: Any, *, key: Any, value: Any) -> Awaitable[Any]:
    """Hand one message to the producer; the returned future settles with the broker's answer."""
    try:
        return await topic.send(key=key, value=value)
    except Exception as exc:  # refused before it left (too large for the client, serializer, ...)
        failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        return failed


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def acknowledged(pending: Sequence[tuple[K, str, Awaitable[Any]]]) -> dict[K, str]:
    """Await every ``(owner, topic, future)``; ``{owner: why}`` for the owners with a refused send
    (the first refusal of each)."""
    failures: dict[K, str] = {}
    for owner, topic, sent in pending:
        try:
            await sent
        except Exception as exc:
            log.error("Kafka refused an event of %s on %s: %s", owner, topic, describe(exc))
            failures.setdefault(owner, f"{topic}: {describe(exc)}")
    return failures


async def until_acked(topic: Any, *, key: Any, value: Any, max_delay_s: float = 30.0) -> None:
    """For the last place a message can go (a dead-letter topic): retried with backoff until the
    broker acknowledges it. Meanwhile the agent does not move on, its offsets are not committed and
    /healthz reports the partition stalled."""
    delay = 0.5
    while True:
        try:
            await (await send(topic, key=key, value=value))
            return
        except Exception as exc:
            log.error(
                "%s not acknowledged (%s); retrying in %.1fs", topic.get_topic_name(), describe(exc), delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
