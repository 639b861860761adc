"""The SSE fan-out: per-subscription listeners, replay after Last-Event-ID, slow clients dropped."""

from __future__ import annotations

import asyncio

import pytest

from streams.alerts.feed import AlertFeed, FeedEvent, SlowClient, parse_event_id


def event(sid: str, offset: int, partition: int = 0) -> FeedEvent:
    return FeedEvent(sid, partition, offset, f'{{"n": {offset}}}')


def test_listeners_get_only_their_subscription_and_reconnects_catch_up() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        feed = AlertFeed(buffer=10)
        got: list[str] = []
        async with feed.listen("a") as listener:
            for offset, sid in enumerate(["a", "b", "a"]):
                feed.publish(event(sid, offset))
            iterator = listener.__aiter__()
            got.append((await anext(iterator)).id)
            got.append((await anext(iterator)).id)
        assert feed.clients == 0
        feed.publish(event("a", 3))  # while disconnected
        caught_up: list[str] = []
        async with feed.listen("a", last_event_id="0:0") as again:
            iterator = again.__aiter__()
            caught_up.append((await anext(iterator)).id)
            caught_up.append((await anext(iterator)).id)
        return got, caught_up

    got, caught_up = asyncio.run(scenario())
    assert got == ["0:0", "0:2"]
    assert caught_up == ["0:2", "0:3"]


def test_a_client_that_falls_behind_is_dropped() -> None:
    async def scenario() -> None:
        feed = AlertFeed(buffer=0, client_queue=2)
        async with feed.listen("a") as listener:
            for offset in range(5):
                feed.publish(event("a", offset))
            with pytest.raises(SlowClient):
                async for _ in listener:
                    pass

    asyncio.run(scenario())


def test_event_ids() -> None:
    assert parse_event_id("1:42") == (1, 42)
    assert parse_event_id(None) is None and parse_event_id("junk") is None


def test_closing_the_feed_ends_every_stream() -> None:
    async def scenario() -> list[str]:
        feed = AlertFeed()
        got: list[str] = []
        async with feed.listen("a") as listener:
            feed.publish(event("a", 0))
            feed.close()
            async for item in listener:
                got.append(item.id)
        return got

    assert asyncio.run(scenario()) == ["0:0"]


def test_a_listener_of_every_alert_gets_all_subscriptions_and_catches_up_in_arrival_order() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        feed = AlertFeed(buffer=10)
        got: list[str] = []
        async with feed.listen(None) as listener:
            feed.publish(event("a", 0, partition=0))
            feed.publish(event("b", 0, partition=1))
            iterator = listener.__aiter__()
            got.append((await anext(iterator)).id)
            got.append((await anext(iterator)).id)
        feed.publish(event("a", 1, partition=0))  # while disconnected
        feed.publish(event("c", 1, partition=1))
        caught_up: list[str] = []
        async with feed.listen(None, last_event_id="1:0") as again:
            iterator = again.__aiter__()
            caught_up.append((await anext(iterator)).id)
            caught_up.append((await anext(iterator)).id)
        # An id the memory does not hold (forgotten, or another worker's): nothing to catch up.
        unknown = [e.id for e in feed.replay(None, (7, 99))]
        return got, caught_up, unknown

    got, caught_up, unknown = asyncio.run(scenario())
    assert got == ["0:0", "1:0"]
    assert caught_up == ["0:1", "1:1"]  # what arrived after 1:0, whichever partition
    assert unknown == []


def test_a_slow_listener_of_every_alert_is_dropped_and_the_others_keep_theirs() -> None:
    async def scenario() -> list[str]:
        feed = AlertFeed(buffer=0, client_queue=2)
        async with feed.listen(None) as slow, feed.listen("a") as fine:
            feed.publish(event("a", 0))
            for offset in range(1, 5):
                feed.publish(event("b", offset))
            with pytest.raises(SlowClient):
                async for _ in slow:
                    pass
            return [(await anext(fine.__aiter__())).id]

    assert asyncio.run(scenario()) == ["0:0"]
