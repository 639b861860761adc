"""Enrichment in a child process (streams/enrich_runner.py): the same outcomes as on a thread, dedup
marks handed over, and nothing lost when the child dies: a real child process, real models."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.enrich_runner import ProcessRunner, ThreadRunner, _child_process
from streams.ingest import InvalidArticle, RawArticleDecoder
from streams.ingest.raw import article_id_of
from streams.processing import BatchResult, IncomingMessage
from streams.settings import Settings

BODY = (
    "Chancellor Olaf Scholz said on Monday in Berlin that Germany strongly supports the European "
    "Commission's plan. The opposition leader Friedrich Merz rejected it and criticised Scholz."
)
POISON = b"POISON"


def message(document: dict[str, Any], offset: int) -> IncomingMessage:
    document = {"ingested_at": "2026-12-07T09:00:00Z", **document}
    return IncomingMessage(
        value=orjson.dumps(document), key=None, topic="articles.raw", partition=0, offset=offset
    )


def kills_the_child_on_poison(messages: list[IncomingMessage], marks: dict[str, Any]) -> BatchResult:
    """Runs in the child: dies as native code would (no exception, no clean-up) on a poison message."""
    if any(POISON in (m.value or b"") for m in messages):
        os._exit(7)
    return _child_process(messages, marks)


def without_times(events: list[Any]) -> list[Any]:
    return [{k: v for k, v in e.items() if k != "enriched_at"} for e in events]


@pytest.fixture
def runner():
    made = ProcessRunner(Settings())
    yield made
    made.close()


def test_a_batch_in_the_child_gives_what_it_gives_on_a_thread(runner):
    messages = [
        message({"article_id": "a", "body": BODY, "source": "wire"}, 0),
        message({"body": BODY + " Merz spoke in Munich."}, 1),  # id from the body
        message({"article_id": "a", "body": BODY, "source": "wire"}, 2),  # in-batch duplicate
        message({"title": "no body"}, 3),
    ]
    thread = ThreadRunner(Settings())
    try:
        on_thread = asyncio.run(thread.process(messages, lambda _id: None))
    finally:
        thread.close()
    in_child = asyncio.run(runner.process(messages, lambda _id: None))
    assert len(in_child.enriched) == 2 and in_child.stances
    assert without_times(in_child.enriched) == without_times(on_thread.enriched)
    assert without_times(in_child.stances) == without_times(on_thread.stances)
    assert without_times(in_child.mentions) == without_times(on_thread.mentions)
    assert in_child.duplicates == on_thread.duplicates == ["a"]
    assert [d["reason"] for _, d in in_child.dead] == ["missing_body"]


def test_the_dedup_marks_of_the_worker_reach_the_child(runner):
    derived = RawArticleDecoder.from_settings(Settings()).decode(orjson.dumps({"body": BODY})).article_id
    marks = {
        "seen-same": {"body_sha256": None},  # an old mark without a hash: the same body
        derived: {"body_sha256": "0" * 64},  # another body under the id derived from this one
    }
    asked: list[str] = []

    def already_seen(article_id: str) -> Any:
        asked.append(article_id)
        return marks.get(article_id)

    result = asyncio.run(
        runner.process(
            [
                message({"article_id": "seen-same", "body": BODY}, 0),
                message({"body": BODY}, 1),
                message({"article_id": "new", "body": BODY}, 2),
            ],
            already_seen,
        )
    )
    assert asked == ["seen-same", derived, "new"]
    assert result.duplicates == ["seen-same"]
    assert [(d["reason"], d["article_id"]) for _, d in result.dead] == [("id_conflict", derived)]
    assert [a["article_id"] for a in result.enriched] == ["new"]


def test_a_child_killed_under_a_batch_is_replaced_and_no_article_is_lost(runner):
    long_body = " ".join([BODY] * 40)
    messages = [message({"article_id": f"k{i}", "body": long_body}, i) for i in range(6)]

    async def scenario() -> BatchResult:
        pid = await runner.child_pid()
        batch = asyncio.ensure_future(runner.process(messages, lambda _id: None))
        await asyncio.sleep(0.5)
        assert not batch.done()
        os.kill(pid, signal.SIGKILL)
        return await batch

    result = asyncio.run(scenario())
    assert runner.restarts == 1
    assert sorted(a["article_id"] for a in result.enriched) == [f"k{i}" for i in range(6)]
    assert not result.dead


def test_an_article_that_kills_the_child_alone_is_dead_lettered_and_the_others_are_enriched():
    runner = ProcessRunner(Settings(), work=kills_the_child_on_poison)
    try:
        result = asyncio.run(
            runner.process(
                [
                    message({"article_id": "before", "body": BODY}, 0),
                    message({"article_id": "poison", "body": BODY + " POISON"}, 1),
                    message({"article_id": "after", "body": BODY}, 2),
                    message({"article_id": "before", "body": BODY}, 3),  # still a duplicate
                ],
                lambda _id: None,
            )
        )
        again = asyncio.run(
            runner.process([message({"article_id": "later", "body": BODY}, 4)], lambda _: None)
        )
    finally:
        runner.close()
    assert sorted(a["article_id"] for a in result.enriched) == ["after", "before"]
    assert result.duplicates == ["before"]
    ((letter_message, letter),) = result.dead
    assert letter_message.offset == 1
    assert letter["reason"] == "enrichment_failed" and letter["article_id"] == "poison"
    assert "exit code 7" in letter["error"]
    assert runner.restarts == 2  # once for the batch, once for the poison alone
    assert [a["article_id"] for a in again.enriched] == ["later"]


def test_models_that_do_not_load_stop_the_batch_rather_than_dead_letter_it(tmp_path):
    runner = ProcessRunner(Settings(stance_model_dir=tmp_path / "missing"))
    try:
        with pytest.raises(RuntimeError, match="did not load"):
            asyncio.run(runner.process([message({"body": BODY}, 0)], lambda _id: None))
    finally:
        runner.close()
    assert runner.restarts == 0


def test_the_child_ends_when_the_worker_is_killed(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(
        "import asyncio\n"
        "from streams.enrich_runner import ProcessRunner\n"
        "from streams.settings import Settings\n"
        "if __name__ == '__main__':\n"
        "    runner = ProcessRunner(Settings())\n"
        "    print(asyncio.run(runner.child_pid()), flush=True)\n"
        "    import time; time.sleep(600)\n"
    )
    worker = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, cwd=Path(__file__).parents[2]
    )
    try:
        assert worker.stdout is not None
        child = int(worker.stdout.readline())
        os.kill(child, 0)  # alive
        worker.kill()
        worker.wait()
        deadline = time.monotonic() + 20
        while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        state = (
            Path(f"/proc/{child}/stat").read_text().split()[2] if Path(f"/proc/{child}").exists() else None
        )
        assert state in (None, "Z"), f"the enrichment child {child} outlived its worker ({state})"
    finally:
        worker.kill()


DOCUMENTS = st.dictionaries(
    st.sampled_from(["article_id", "id", "body", "title", "source"]),
    st.one_of(
        st.none(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.text(max_size=40),
        st.sampled_from(["", "  ", BODY]),
    ),
    max_size=5,
)


@pytest.fixture(scope="module")
def decoder():
    made = RawArticleDecoder.from_settings(Settings())
    made.check_language = False
    return made


@settings(max_examples=300, deadline=None)
@given(document=DOCUMENTS)
def test_the_id_read_ahead_of_decoding_is_the_id_decoding_gives(decoder, document):
    payload = orjson.dumps(document)
    try:
        decoded = decoder.decode(payload).article_id
    except InvalidArticle:
        return
    assert article_id_of(payload) == decoded
