"""Offsets are committed only over messages this worker has processed: guards on Faust's consumer.

An article whose offset is committed before it is processed is lost when the worker dies before it
gets to it: nothing reads it again. faust-streaming 0.15.3 does that in (at least) three ways; the
fault suite lost articles to the first one (docs/ingestion.md, "Commits" and "Measured"):

1. **Stale acks.** A message fetched before a rebalance and taken off its queue after it, or taken
   while a rebalance or a table recovery holds the flow, is skipped by the stream and *acknowledged*
   (``Stream.__aiter__``: "we want to ack the filtered out message").
   Between the revocation and the new assignment the consumer knows no committed offset for the
   partition, so the ack counts; after the assignment the next commit goes over it, while the message
   is only being fetched again.
2. **A head gap of one** (faust-streaming issue #606, pull request #707): ``_new_offset`` withholds a
   commit only when the first acked offset is *more* than one past the committed one, so a single
   message at the head, in flight or never read, is committed over.
3. **Read gaps.** When the fetch jumps (offset > last read + 1), ``_add_gap`` records the offsets in
   between as acknowledged, for the holes compaction and transaction markers leave. It also counts
   the message just read (``last + 1 .. offset`` inclusive), and it is fooled by a seek: after
   ``perform_seek`` the "last read" offset is the *next* one to read, so a fetch from before the seek
   that delivers ``c + 3`` after a seek to ``c`` records ``c + 1 .. c + 2`` as acknowledged, and with
   the head gap of one the commit passes ``c .. c + 2``, never processed. Three consecutive articles
   lost in a rebalance with no ack refused (docs/ingestion.md, "Measured") fit this.

The guards: an ack counts only for a message fetched in the current group generation while the flow
is on; the ack state of a partition starts empty at each assignment; a commit never goes past the
lowest offset of a message the stream has taken and not finished (#707's rule); and on a topic whose
offsets have no holes (every topic stancewire acknowledges: none is compacted, no producer is
transactional) there is no head gap and no read gap at all: a commit covers only offsets a stream
acknowledged, one after the other from the committed offset. A hole there means messages were
skipped, so the commit stops at it; the messages come again after the next rebalance (the health
watchdog asks for one when a partition stops committing). On a compacted topic Faust's tolerance
stays, with the read gap ending before the message read. Each guard is a no-op on the normal path
(in-order acks of the current generation, flow on), so what they cost is a duplicate now and then:
a message whose ack was not counted is read and processed again, and the dedup table counts it as a
duplicate.

``install()`` patches ``faust.transport.consumer.Consumer`` once per process; the decision logic is
the plain function ``committable_offset``.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from faust.transport.consumer import Consumer
from faust.types.enums import ProcessingGuarantee
from faust.types.tuples import ack_lock
from mode.utils.futures import notify

log = logging.getLogger(__name__)

_installed = False


def committable_offset(
    acked: list[int], committed: int | None, in_flight: int | None, *, holes: bool = False
) -> tuple[int | None, int]:
    """What may be committed for one partition: ``(offset or None, how many of acked it uses)``.

    ``acked`` is sorted (repeats allowed: Faust's gap merge can add an offset twice); ``committed`` the
    partition's committed offset (the next one to read), None when unknown; ``in_flight`` the lowest
    offset taken by a stream and not yet acknowledged. The commit is the end of the run of consecutive
    offsets at the head of ``acked``, never past ``in_flight``. A head that starts past ``committed``
    is a message not acknowledged yet: no commit. Only where the partition's offsets may have
    ``holes`` (a compacted topic) is exactly one past tolerated, as Faust does: a compacted record or
    a transaction marker occupies an offset that is never read.
    """
    if not acked:
        return None, 0
    if committed is not None and acked[0] - committed > (1 if holes else 0):
        return None, 0
    expected = acked[0]
    used = 0
    for offset in acked:
        if offset < expected:  # a repeat
            used += 1
            continue
        if offset != expected:
            break
        expected = offset + 1
        used += 1
    candidate = expected
    if in_flight is not None and in_flight < candidate:
        candidate = in_flight
        used = bisect_left(acked, candidate)
    if committed is not None and candidate <= committed:
        return None, used
    if used == 0:
        return None, 0
    return candidate, used


def _current(consumer: Any, message: Any) -> bool:
    """An ack that may count: the message was fetched in this generation, and the flow is on. While a
    rebalance or a recovery holds the flow, the stream skips what it takes off its queues and acks it
    unprocessed; a real ack in that window is for a partition about to be revoked or just assigned,
    whose ack state is dropped anyway (``_forget``)."""
    generation = message.generation_id
    if generation is not None and generation != consumer.app.consumer_generation_id:
        return False
    return bool(consumer.app.flow_control.is_active())


def _ack(self: Any, message: Any) -> bool:
    """``Consumer.ack`` that counts an ack only when ``_current`` says it may."""
    with ack_lock:
        if message.acked:
            return False
        if _current(self, message):
            return bool(_faust_ack(self, message))
        # Finished as far as shutdown and rebalances are concerned, but its offset is not acknowledged:
        # the message is read again from the committed offset (a duplicate at worst).
        message.acked = True
        self._unacked_messages.discard(message)
        notify(self._waiting_for_ack)
        log.info(
            "not acknowledging %s[%s]@%s: fetched in generation %s, now %s, flow %s",
            message.topic,
            message.partition,
            message.offset,
            message.generation_id,
            self.app.consumer_generation_id,
            "on" if self.app.flow_control.is_active() else "held",
        )
        return False


def _in_flight(consumer: Any, tp: Any) -> int | None:
    """The lowest offset on ``tp`` a stream has taken and not finished, in this generation."""
    generation = consumer.app.consumer_generation_id
    lowest: int | None = None
    for message in list(consumer._unacked_messages):
        if message.tp != tp or message.acked:
            continue
        if message.generation_id is not None and message.generation_id != generation:
            continue
        if lowest is None or message.offset < lowest:
            lowest = message.offset
    return lowest


def _may_have_holes(consumer: Any, topic: str) -> bool:
    """Whether ``topic`` may have offsets a consumer never reads: declared compacting, or written in
    transactions (exactly-once processing). Neither holds for any topic stancewire acknowledges."""
    guarantee = getattr(getattr(consumer.app, "conf", None), "processing_guarantee", None)
    if guarantee in (ProcessingGuarantee.EXACTLY_ONCE, ProcessingGuarantee.EXACTLY_ONCE.value):
        return True
    return any(
        topic in getattr(channel, "topics", ()) and bool(getattr(channel, "compacting", False))
        for channel in list(getattr(consumer.app.topics, "_topics", ()))
    )


def _new_offset(self: Any, tp: Any) -> int | None:
    """``Consumer._new_offset`` with ``committable_offset``'s rules; Faust's gap merge kept (``_add_gap``
    records gaps only where the topic may have holes)."""
    acked = self._acked[tp]
    if not acked:
        return None
    gaps = self._gap[tp]
    if gaps:
        highest = max(acked)
        spans = sorted(gaps.overlap(0, highest), key=lambda span: span.begin)
        if spans:
            filled = [offset for span in spans for offset in range(span.begin, span.end)]
            acked.extend(filled)
            gaps.chop(0, max(filled[-1], highest + 1))
    acked.sort()
    offset, used = committable_offset(
        acked, self._committed_offset[tp], _in_flight(self, tp), holes=_may_have_holes(self, tp.topic)
    )
    if used:
        self._acked_index[tp].difference_update(acked[:used])
        del acked[:used]
    return offset


async def _add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None:
    """``Consumer._add_gap`` whose gap ends before ``offset_to``, the message just read; on a topic
    without holes no gap at all (the offsets in between were skipped, not absent)."""
    if not _may_have_holes(self, tp.topic):
        log.info(
            "%s[%s]: read %s after %s; the offsets between are not counted as acknowledged",
            tp.topic,
            tp.partition,
            offset_to,
            offset_from - 1,
        )
        return
    if offset_to - 1 >= offset_from:
        await _faust_add_gap(self, tp, offset_from, offset_to - 1)


async def _on_partitions_assigned(self: Any, assigned: set[Any], generation_id: int = 0) -> None:
    """Acks recorded between the revocation and this assignment belong to no generation: dropped."""
    _forget(self, assigned)
    await _faust_on_partitions_assigned(self, assigned, generation_id)


def _forget(consumer: Any, partitions: Iterable[Any]) -> None:
    for tp in partitions:
        consumer._acked.pop(tp, None)
        consumer._acked_index.pop(tp, None)
        consumer._gap.pop(tp, None)


_faust_ack = Consumer.ack
_faust_new_offset = Consumer._new_offset
_faust_add_gap = Consumer._add_gap
_faust_on_partitions_assigned = Consumer.on_partitions_assigned


def install() -> None:
    """Patch Faust's consumer (once per process)."""
    global _installed
    if _installed:
        return
    Consumer.ack = _ack  # type: ignore[method-assign]
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]
    Consumer._add_gap = _add_gap  # type: ignore[method-assign]
    Consumer.on_partitions_assigned = _on_partitions_assigned  # type: ignore[method-assign]
    _installed = True
