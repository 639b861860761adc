"""The bench's accounting of a worker's threads (bench/harness.py)."""

from __future__ import annotations

import os
import threading

from bench.harness import split_threads, thread_cpu, thread_run_queue_waits


def test_the_busiest_thread_is_the_enrichment_and_its_wait_for_a_cpu_is_its_own() -> None:
    before = {100: 1.0, 101: 10.0, 102: 0.5}
    after = {100: 3.0, 101: 70.0, 102: 1.5, 103: 0.25}
    waits = ({101: 2.0, 102: 9.0}, {101: 3.5, 102: 20.0})
    split = split_threads(100, before, after, waits)
    assert split == {
        "event_loop": 2.0,
        "enrich_thread": 60.0,
        "other_threads": 1.25,
        "enrich_waited_for_cpu": 1.5,
    }
    assert "enrich_waited_for_cpu" not in split_threads(100, before, after)


def test_this_process_threads_are_read_from_proc() -> None:
    cpu, waits = thread_cpu(os.getpid()), thread_run_queue_waits(os.getpid())
    me = threading.get_native_id()
    assert me in cpu and me in waits
    assert cpu[me] >= 0 and waits[me] >= 0
