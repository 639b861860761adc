"""Drop folder: which files are taken, what a file holds, where it goes, and the watcher's one step."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from streams.cli.ingest import Watcher
from streams.ingest import RawArticleDecoder, article_id_for
from streams.ingest.dropfolder import DropFolder, classify, free_name, read_drop_file, reason_text
from streams.ingest.files import InputProblem
from streams.ingest.state import IngestState
from streams.models import RawArticle
from streams.settings import Settings

BODY = "The prime minister said on Sunday that the government would support the plan for peace talks."
OTHER = "The central bank kept interest rates unchanged on Thursday and said that inflation was falling."
THIRD = "The opposition leader criticized the budget and said that it would hurt families on low incomes."
NOW = "2025-03-05T10:00:00.000Z"


@pytest.fixture(scope="module")
def decoder(registry):
    return RawArticleDecoder(registry, max_body_bytes=10_000)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("story.txt", "pick"),
        ("batch.jsonl", "pick"),
        ("no-suffix", "pick"),
        (".story.txt", "hidden"),
        (".~lock.story.txt#", "hidden"),
        ("story.txt.tmp", "temporary"),
        ("story.json.PART", "temporary"),
        ("download.crdownload", "temporary"),
        ("story.txt~", "temporary"),
    ],
)
def test_classify(name, expected):
    assert classify(name) == expected


def test_classify_skips_folders():
    assert classify("done", is_file=False) == "not_a_file"


def test_free_name():
    taken = {"a.txt", "a.1.txt", "b"}
    assert free_name("c.txt", taken.__contains__) == "c.txt"
    assert free_name("a.txt", taken.__contains__) == "a.2.txt"
    assert free_name("b", taken.__contains__) == "b.1"
    assert free_name("x.tar.gz", {"x.tar.gz"}.__contains__) == "x.1.tar.gz"


def test_seed_file_is_read_with_source_and_ingestion_time(tmp_path, decoder):
    path = write(tmp_path, "a.txt", f"date 2025-03-04 By Jo Bloggs and Al Smith\n\n{BODY}\n")
    verdict = read_drop_file(path, decoder, ingested_at=NOW)
    assert verdict.ok
    (article,) = verdict.articles
    assert article.source == f"file:{path}" and article.ingested_at == NOW
    assert article.published == "2025-03-04" and article.authors == ["Jo Bloggs", "Al Smith"]
    assert article.article_id == article_id_for(BODY)


def test_json_list_and_jsonl_files(tmp_path, decoder):
    listing = write(
        tmp_path,
        "b.json",
        orjson.dumps([{"body": BODY, "source": "elsewhere"}, {"id": "w-2", "body": OTHER}]),
    )
    lines = write(
        tmp_path,
        "c.jsonl",
        orjson.dumps({"body": BODY}).decode() + "\n\n" + orjson.dumps({"body": THIRD}).decode() + "\n",
    )
    a = read_drop_file(listing, decoder, ingested_at=NOW)
    b = read_drop_file(lines, decoder, ingested_at=NOW)
    assert a.ok and [x.article_id for x in a.articles] == [article_id_for(BODY), "w-2"]
    assert {x.source for x in a.articles} == {f"file:{listing}"}  # the file's own claim is overridden
    assert b.ok and len(b.articles) == 2


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad-header.txt", f"Dateline: somewhere\n{BODY}", "seed_format"),
        ("header-only.txt", "date 2025-03-04 By Jo\n\n", "seed_format"),
        ("broken.json", '{"body": "unterminated', "invalid_json"),
        ("nobody.json", '{"title": "no body"}', "missing_body"),
        (
            "french.txt",
            "date 2025-03-04\n\n"
            + "Le gouvernement a présenté mardi un projet de budget qui prévoit des économies importantes dans les dépenses publiques et la défense."
            * 2,
            "not_english",
        ),
        ("binary.txt", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "seed_format"),
        ("empty.jsonl", "\n\n", "empty_file"),
        ("half.jsonl", orjson.dumps({"body": BODY}).decode() + "\n{oops\n", "invalid_json"),
    ],
)
def test_bad_files(tmp_path, decoder, name, content, reason):
    verdict = read_drop_file(write(tmp_path, name, content), decoder, ingested_at=NOW)
    assert not verdict.ok
    assert reason in [p.reason for p in verdict.problems]


def test_too_large_file(tmp_path, decoder):
    verdict = read_drop_file(write(tmp_path, "big.txt", "x" * 5000), decoder, ingested_at=NOW, max_bytes=1000)
    assert [p.reason for p in verdict.problems] == ["file_too_large"]


def test_reason_text_names_every_problem_and_the_fix():
    text = reason_text(
        "half.jsonl",
        [InputProblem("/in/half.jsonl:2", "invalid_json", "not valid JSON: unexpected character")],
        at=NOW,
    )
    assert text.startswith(f"half.jsonl was refused at {NOW}; nothing in it was sent.")
    assert "invalid_json: /in/half.jsonl:2: not valid JSON: unexpected character" in text
    assert "rename it into place" in text


def test_candidates_are_complete_files_oldest_first(tmp_path):
    folder = DropFolder(tmp_path)
    folder.prepare()
    for index, name in enumerate(["b.txt", "a.txt", ".hidden.txt", "c.txt.tmp", "d.part"]):
        path = write(tmp_path, name, "x")
        os.utime(path, (1_000_000 + index, 1_000_000 + index))
    os.utime(tmp_path / "a.txt", (999_999, 999_999))
    assert [p.name for p in folder.candidates()] == ["a.txt", "b.txt"]


def test_moves_keep_both_copies_and_write_reason_files(tmp_path):
    folder = DropFolder(tmp_path)
    folder.prepare()
    problems = [InputProblem("x", "seed_format", "no header")]
    first = folder.move_failed(write(tmp_path, "x.txt", "1"), problems, at=NOW)
    second = folder.move_failed(write(tmp_path, "x.txt", "2"), problems, at=NOW)
    assert first == tmp_path / "failed" / "x.txt" and second == tmp_path / "failed" / "x.1.txt"
    assert (tmp_path / "failed" / "x.txt.reason.txt").read_text().startswith("x.txt was refused")
    assert (tmp_path / "failed" / "x.1.txt.reason.txt").exists()
    assert folder.move_done(write(tmp_path, "y.txt", "1")) == tmp_path / "done" / "y.txt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done", "failed"]  # no temp files left


# --- the watcher's step, with a fake producer ---------------------------------------------------------


class FakeSink:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[RawArticle] = []
        self.failures = 0
        self.fail = fail

    def send(self, article: RawArticle) -> None:
        if self.fail:
            self.failures += 1
        else:
            self.sent.append(article)

    def flush_failures(self) -> int:
        return self.failures


def watcher(tmp_path: Path, decoder, sink: FakeSink) -> tuple[Watcher, DropFolder, IngestState]:
    folder = DropFolder(tmp_path / "in")
    (tmp_path / "in").mkdir(exist_ok=True)
    folder.prepare()
    state = IngestState(tmp_path / "state")
    return Watcher(Settings(), folder, state, sink, decoder), folder, state


def test_watcher_sends_then_moves_and_a_restart_sends_nothing(tmp_path, decoder):
    sink = FakeSink()
    step, folder, state = watcher(tmp_path, decoder, sink)
    path = write(folder.directory, "a.json", orjson.dumps([{"body": BODY}, {"body": OTHER}, {"body": BODY}]))
    report = step.handle(path)
    assert report["status"] == "done" and report["sent"] == 2 and report["duplicates"] == 1
    assert [a.body for a in sink.sent] == [BODY, OTHER]
    assert (folder.done / "a.json").exists() and not path.exists()
    # The same content dropped again (or a crash before the move): nothing is sent, the file is done.
    again = write(folder.directory, "a.json", orjson.dumps([{"body": OTHER}]))
    report = step.handle(again)
    assert report["status"] == "done" and report["sent"] == 0 and report["duplicates"] == 1
    assert (folder.done / "a.1.json").exists() and len(sink.sent) == 2
    state.close()


def test_watcher_moves_a_bad_file_to_failed_with_its_reason(tmp_path, decoder):
    sink = FakeSink()
    step, folder, state = watcher(tmp_path, decoder, sink)
    path = write(folder.directory, "mixed.json", orjson.dumps([{"body": BODY}, {"title": "no body"}]))
    report = step.handle(path)
    assert report["status"] == "failed" and report["sent"] == 0 and sink.sent == []
    assert [p["reason"] for p in report["problems"]] == ["missing_body"]
    reason = (folder.failed / "mixed.json.reason.txt").read_text()
    assert "missing_body" in reason and "mixed.json[1]" in reason
    assert not state.has_content(article_id_for(BODY))  # all or nothing: the good one was not sent
    state.close()


def test_watcher_leaves_the_file_when_kafka_fails(tmp_path, decoder):
    sink = FakeSink(fail=True)
    step, folder, state = watcher(tmp_path, decoder, sink)
    path = write(folder.directory, "a.txt", f"date 2025-03-04\n\n{BODY}")
    report = step.handle(path)
    assert report["status"] == "retry" and "did not acknowledge 1 of 1" in report["error"]
    assert path.exists() and not state.has_content(article_id_for(BODY))
    sink.fail = False
    assert step.handle(path)["status"] == "done" and len(sink.sent) == 1
    state.close()
