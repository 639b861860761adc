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
