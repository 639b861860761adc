"""The commit guards on Faust's consumer: no offset is committed over a message not processed."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.types import TP, Message
from hypothesis import given
from hypothesis import strategies as st
from intervaltree import IntervalTree

from streams import commit_guard
from streams.commit_guard import committable_offset

TOPIC_PARTITION = TP("articles.raw", 0)


def test_an_in_order_run_is_committed_to_its_end() -> None:
    assert committable_offset([30, 31, 32], committed=30, in_flight=None) == (33, 3)


def test_a_run_stops_at_the_first_missing_offset() -> None:
    assert committable_offset([30, 31, 33, 34], committed=30, in_flight=33) == (32, 2)


def test_faust_issue_606_a_message_in_flight_at_the_head_is_not_committed_over() -> None:
    # The pull request's deterministic case: committed 2585, 2585 still being processed.
    assert committable_offset([2586, 2587, 2588, 2589], committed=2585, in_flight=2585) == (None, 0)


def test_one_offset_never_read_at_the_head_is_tolerated_only_where_offsets_have_holes() -> None:
    # On a compacted topic 2585 may be a record compaction removed: Faust's tolerance.
    assert committable_offset([2586, 2587], committed=2585, in_flight=None, holes=True) == (2588, 2)
    # On stancewire's topics every offset is a message: 2585 was skipped, and is read again.
    assert committable_offset([2586, 2587], committed=2585, in_flight=None) == (None, 0)


def test_a_head_more_than_one_past_the_committed_offset_waits() -> None:
    assert committable_offset([40, 41], committed=30, in_flight=None) == (None, 0)


def test_the_commit_stops_at_a_message_in_flight_and_keeps_the_acks_after_it() -> None:
    # 33 is taken by a stream and not finished, 34 and 35 are done: commit 33, keep 34 and 35.
    assert committable_offset([30, 31, 32, 34, 35], committed=30, in_flight=33) == (33, 3)
    assert committable_offset([30, 31, 32, 33, 34], committed=30, in_flight=32) == (32, 2)


def test_repeats_from_the_gap_merge_do_not_stop_the_run() -> None:
    assert committable_offset([30, 30, 31, 31, 32], committed=30, in_flight=None) == (33, 5)


def test_nothing_to_commit_without_acks_or_at_the_committed_offset() -> None:
    assert committable_offset([], committed=30, in_flight=None) == (None, 0)
    assert committable_offset([30, 31], committed=30, in_flight=30) == (None, 0)


def test_an_unknown_committed_offset_commits_the_run() -> None:
    assert committable_offset([0, 1, 2], committed=None, in_flight=None) == (3, 3)
    assert committable_offset([0, 1, 2], committed=None, in_flight=1) == (1, 1)


@given(
    st.lists(st.integers(0, 60), max_size=40),
    st.one_of(st.none(), st.integers(0, 60)),
    st.one_of(st.none(), st.integers(0, 60)),
    st.booleans(),
)
def test_a_commit_covers_only_acknowledged_offsets_and_never_one_in_flight(
    acked: list[int], committed: int | None, in_flight: int | None, holes: bool
) -> None:
    acked = sorted(acked)
    offset, used = committable_offset(acked, committed, in_flight, holes=holes)
    assert 0 <= used <= len(acked)
    if offset is None:
        return
    if in_flight is not None:
        assert offset <= in_flight
    if committed is not None:
        assert offset > committed
        # the one offset tolerated where there may be holes
        start = committed + 1 if holes and acked[0] == committed + 1 else committed
    else:
        start = acked[0]
    assert all(o in acked for o in range(start, offset))
    assert all(o < offset for o in acked[:used])


def _message(offset: int, generation: int, tp: TP = TOPIC_PARTITION) -> Message:
    return Message(
        tp.topic, tp.partition, offset, 0.0, 0, [], b"key", b"{}", None, tp=tp, generation_id=generation
    )


def _consumer(generation: int, committed: int | None, flow_on: bool = True, compacted: bool = False) -> Any:
    flow = {"on": flow_on}
    declared = SimpleNamespace(topics=(TOPIC_PARTITION.topic,), compacting=compacted)
    consumer = SimpleNamespace(
        flow=flow,
        app=SimpleNamespace(
            consumer_generation_id=generation,
            conf=SimpleNamespace(processing_guarantee="at_least_once"),
            topics=SimpleNamespace(acks_enabled_for=lambda topic: True, _topics=[declared]),
            flow_control=SimpleNamespace(is_active=lambda: flow["on"]),
        ),
        _acked=defaultdict(list),
        _acked_index=defaultdict(set),
        _gap=defaultdict(IntervalTree),
        _committed_offset=defaultdict(lambda: None),
        _unacked_messages=set(),
        _n_acked=0,
        _waiting_for_ack=None,
    )
    consumer._committed_offset[TOPIC_PARTITION] = committed
    return consumer


def test_an_ack_of_a_message_fetched_before_the_rebalance_does_not_count() -> None:
    consumer = _consumer(generation=3, committed=30)
    # 30 and 31 were fetched in generation 2 and skipped by the stream after the rebalance; they are
    # being fetched again (30, 31 of generation 3) and are not processed yet.
    stale = [_message(30, generation=2), _message(31, generation=2)]
    consumer._unacked_messages.update(stale)
    for message in stale:
        assert commit_guard._ack(consumer, message) is False
        assert message.acked and message not in consumer._unacked_messages  # finished for shutdown's sake
    assert consumer._acked[TOPIC_PARTITION] == []
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) is None  # Faust would commit 32 here
    fresh = _message(30, generation=3)
    consumer._unacked_messages.add(fresh)
    assert commit_guard._ack(consumer, fresh) is True
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 31


def test_faust_alone_commits_over_the_stale_messages() -> None:
    """The failure the guard is for, on Faust's own ack and _new_offset (as they were before install)."""
    consumer = _consumer(generation=3, committed=30)
    for offset in (30, 31):
        message = _message(offset, generation=2)
        consumer._unacked_messages.add(message)
        commit_guard._faust_ack(consumer, message)
    assert commit_guard._faust_new_offset(consumer, TOPIC_PARTITION) == 32


def test_an_ack_while_the_flow_is_held_does_not_count() -> None:
    # A recovery holds the flow: the stream skips what it takes off its queue and acks it unprocessed.
    consumer = _consumer(generation=2, committed=7, flow_on=False)
    skipped = [_message(offset, generation=2) for offset in range(7, 13)]
    consumer._unacked_messages.update(skipped)
    for message in skipped:
        assert commit_guard._ack(consumer, message) is False
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) is None
    consumer.flow["on"] = True
    processed = _message(7, generation=2)
    assert commit_guard._ack(consumer, processed) is True
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 8


def test_the_commit_waits_for_the_message_a_stream_still_holds() -> None:
    consumer = _consumer(generation=1, committed=30)
    messages = [_message(offset, generation=1) for offset in range(30, 35)]
    consumer._unacked_messages.update(messages)
    for message in (messages[0], messages[1], messages[3], messages[4]):  # 32 still in flight
        commit_guard._ack(consumer, message)
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 32
    assert consumer._acked[TOPIC_PARTITION] == [33, 34]
    commit_guard._ack(consumer, messages[2])
    consumer._committed_offset[TOPIC_PARTITION] = 32
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 35


def test_a_read_gap_on_a_compacted_topic_ends_before_the_message_read() -> None:
    consumer = _consumer(generation=1, committed=10, compacted=True)
    # Read 10, then 14 (11–13 compacted away): the gap is 11..13, not 11..14. 14 is on its way to the
    # stream (not taken yet, so not in flight): a commit must stop before it.
    asyncio.run(commit_guard._add_gap(consumer, TOPIC_PARTITION, 11, 14))
    assert sorted((span.begin, span.end) for span in consumer._gap[TOPIC_PARTITION]) == [(11, 14)]
    consumer._acked[TOPIC_PARTITION].extend([10, 15])
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 14


def test_a_fetch_that_jumps_after_a_seek_commits_nothing_it_skipped() -> None:
    """The fourth way (module doc): seeked to 153, a fetch from before the seek delivers 156 first.
    Faust records 154..155 as a read gap and tolerates 153 at the head; the commit must stay at 153
    until 153..155 are read again and processed."""
    consumer = _consumer(generation=10, committed=153)
    asyncio.run(commit_guard._add_gap(consumer, TOPIC_PARTITION, 154, 156))
    assert not consumer._gap[TOPIC_PARTITION]
    jumped = [_message(offset, generation=10) for offset in (156, 157)]
    for message in jumped:
        consumer._unacked_messages.add(message)
        commit_guard._ack(consumer, message)
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) is None
    for offset in (153, 154, 155):  # read again from the committed offset
        message = _message(offset, generation=10)
        consumer._unacked_messages.add(message)
        commit_guard._ack(consumer, message)
    assert commit_guard._new_offset(consumer, TOPIC_PARTITION) == 158


def test_faust_alone_commits_over_what_the_jump_skipped() -> None:
    consumer = _consumer(generation=10, committed=153)
    asyncio.run(commit_guard._faust_add_gap(consumer, TOPIC_PARTITION, 154, 156))
    message = _message(156, generation=10)
    consumer._unacked_messages.add(message)
    commit_guard._faust_ack(consumer, message)
    assert commit_guard._faust_new_offset(consumer, TOPIC_PARTITION) == 157


def test_acks_left_from_before_an_assignment_are_forgotten() -> None:
    consumer = _consumer(generation=1, committed=None)
    consumer._acked[TOPIC_PARTITION].extend([30, 31])
    consumer._acked_index[TOPIC_PARTITION].update({30, 31})
    commit_guard._forget(consumer, {TOPIC_PARTITION})
    assert not consumer._acked[TOPIC_PARTITION] and not consumer._acked_index[TOPIC_PARTITION]


def test_install_patches_faust_once() -> None:
    from faust.transport.consumer import Consumer

    commit_guard.install()
    commit_guard.install()
    assert Consumer._new_offset is commit_guard._new_offset
    assert Consumer.ack is commit_guard._ack
