"""PublishedAlerts: the fingerprints already on the alerts topic, and waiting for the reader."""

from __future__ import annotations

import asyncio

from streams.alerts.agents import fingerprint_of
from streams.alerts.published import PublishedAlerts


def test_fingerprints_are_remembered_up_to_the_capacity() -> None:
    published = PublishedAlerts(capacity=3)
    for offset, fingerprint in enumerate(["a", "b", "a", "c", "d"]):
        published.record(0, offset, fingerprint)
    assert "a" not in published and {"b", "c", "d"} == {f for f in "abcd" if f in published}
    assert len(published) == 3


def test_reached_is_per_partition_and_starts_where_the_reader_starts() -> None:
    published = PublishedAlerts()

    async def ends() -> dict[int, int]:
        return {0: 5, 1: 0}

    published.starting_at({0: 3, 1: 0}, ends)
    assert published.reached({1: 0}) and not published.reached({0: 5, 1: 0})
    published.record(0, 3, "x")
    published.record(0, 4, None)  # a record without a fingerprint still moves the position
    assert published.reached({0: 5, 1: 0})


def test_wait_until_read_returns_once_the_reader_reaches_the_end() -> None:
    async def scenario() -> tuple[bool, bool]:
        published = PublishedAlerts()

        async def ends() -> dict[int, int]:
            return {0: 2}

        async def reader() -> None:
            await asyncio.sleep(0.05)
            published.starting_at({0: 0}, ends)
            for offset in range(2):
                await asyncio.sleep(0.02)
                published.record(0, offset, f"fp{offset}")
                await published.notify()

        task = asyncio.create_task(reader())
        done = await published.wait_until_read(timeout=5)
        await task
        return done, "fp1" in published

    assert asyncio.run(scenario()) == (True, True)


def test_wait_until_read_gives_up_without_a_reader() -> None:
    assert asyncio.run(PublishedAlerts().wait_until_read(timeout=0.2)) is False


def test_wait_until_read_gives_up_when_the_reader_stalls() -> None:
    async def scenario() -> bool:
        published = PublishedAlerts()

        async def ends() -> dict[int, int]:
            return {0: 10}

        published.starting_at({0: 0}, ends)
        return await published.wait_until_read(timeout=0.2)

    assert asyncio.run(scenario()) is False


def test_fingerprint_of_reads_the_alert_json() -> None:
    assert fingerprint_of(b'{"fingerprint": "abc", "kind": "match"}') == "abc"
    assert fingerprint_of(b"not json") is None
    assert fingerprint_of(b"[1, 2]") is None
    assert fingerprint_of(b'{"fingerprint": 3}') is None
