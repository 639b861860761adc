"""Acceptance 3: 50 files dropped while `stancewire ingest watch` runs, 3 of them bad → 47 enriched,
3 in failed/ with reasons; a restarted watcher sends nothing again."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import REPO
from tests.integration.conftest import STANCEWIRE, Pipeline

pytestmark = pytest.mark.integration

TOWNS = [
    "Leeds", "Bristol", "Cardiff", "Glasgow", "Belfast", "Norwich", "Exeter", "Dundee", "Swansea", "Bradford",
    "Oxford", "Cambridge", "Derby", "Preston", "Carlisle", "Lincoln",
]  # fmt: skip
PROJECTS = ["bridge", "library", "tram line", "hospital wing", "sports centre", "flood barrier"]


def story(index: int) -> str:
    town = TOWNS[index % len(TOWNS)]
    project = PROJECTS[index % len(PROJECTS)]
    return (
        f"Officials in {town} said on Tuesday that the new {project} would open {index + 2} weeks later than "
        f"planned, after wet weather and a shortage of steel held up the work. The council leader said that "
        f"the delay was disappointing but that the cost to taxpayers would not rise."
    )


def drop(inbox: Path, name: str, content: bytes) -> None:
    """The writer's side of the contract: write under a temporary name, then rename into place."""
    temporary = inbox / f".{name}.tmp"
    temporary.write_bytes(content)
    temporary.rename(inbox / name)


BAD_FILES = {
    "wire-013.txt": (
        b"Dateline LONDON, Tuesday\n\nOfficials said the bridge would open late.\n",
        "seed_format",
    ),
    "wire-027.json": (b'{"body": "Officials said the bridge would open', "invalid_json"),
    "wire-041.txt": (
        "date 2025-03-04 By Jean Martin\n\nLe conseil municipal a annoncé mardi que le nouveau pont ouvrira "
        "avec plusieurs semaines de retard, à cause de la pluie et d'une pénurie d'acier sur le chantier.\n".encode(),
        "not_english",
    ),
}


def good_file(index: int) -> tuple[str, bytes]:
    body = story(index)
    if index % 3 == 0:
        return f"wire-{index:03}.txt", f"date 2025-03-04 By Staff Reporter\n\n{body}\n".encode()
    if index % 3 == 1:
        return f"wire-{index:03}.json", orjson.dumps(
            {"title": f"Delay in {TOWNS[index % len(TOWNS)]}", "body": body}
        )
    return f"wire-{index:03}.jsonl", orjson.dumps({"body": body, "published": "2025-03-04"}) + b"\n"


@pytest.fixture(scope="module")
def running(pipeline: Pipeline) -> Pipeline:
    pipeline.extra_env.update(
        {
            "STANCEWIRE_STANCE_MODEL_ENABLED": "false",
            "STANCEWIRE_INGEST_STATE_DIR": str(pipeline.data_dir / "ingest-state"),
            "STANCEWIRE_INGEST_WATCH_INTERVAL_S": "0.2",
        }
    )
    pipeline.start_worker()
    return pipeline


def test_fifty_files_dropped_while_watching(running: Pipeline, tmp_path: Path, registry) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    log = (tmp_path / "watch.out").open("wb")
    watcher = subprocess.Popen(
        [*STANCEWIRE, "ingest", "watch", str(inbox)],
        env=running.env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (inbox / "failed").is_dir() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watcher.poll() is None, watcher.stderr.read().decode() if watcher.stderr else ""
        names = []
        for index in range(50):
            name = next((n for n in BAD_FILES if n.startswith(f"wire-{index:03}.")), None)
            if name:
                content = BAD_FILES[name][0]
            else:
                name, content = good_file(index)
            drop(inbox, name, content)
            names.append(name)
            if index % 10 == 9:
                time.sleep(0.3)  # arrivals in bursts, some while the watcher is mid-scan

        def settled() -> bool:
            done = list((inbox / "done").iterdir())
            failed = [p for p in (inbox / "failed").iterdir() if not p.name.endswith(".reason.txt")]
            return len(done) + len(failed) == 50

        while not settled() and time.monotonic() < deadline:
            time.sleep(0.2)
        watcher.send_signal(signal.SIGTERM)
        _, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
        log.close()
    assert watcher.returncode == 0, err.decode()
    assert "47 done, 3 failed, 0 to retry, 47 articles sent" in err.decode()

    assert sorted(p.name for p in inbox.iterdir()) == ["done", "failed"]  # nothing left behind
    assert len(list((inbox / "done").iterdir())) == 47
    failed = sorted(p.name for p in (inbox / "failed").iterdir())
    assert failed == sorted([*BAD_FILES, *(f"{name}.reason.txt" for name in BAD_FILES)])
    for name, (_, reason) in BAD_FILES.items():
        text = (inbox / "failed" / f"{name}.reason.txt").read_text()
        assert text.startswith(f"{name} was refused at ") and f"{reason}: " in text

    reports = [orjson.loads(line) for line in (tmp_path / "watch.out").read_bytes().splitlines()]
    assert sorted(r["file"] for r in reports) == sorted(names)

    enriched = running.read_all("articles.enriched", expect=47)
    assert len(enriched) == 47 == len({e["article_id"] for e in enriched})
    assert {e["source"] for e in enriched} == {f"file:{inbox / n}" for n in names if n not in BAD_FILES}
    for event in enriched:
        registry.validate(event, "article.enriched.v1")
        assert event["ingested_at"] <= event["enriched_at"]

    # Restarted: nothing in the folder, nothing sent.
    again = running.cli("ingest", "watch", "--once", str(inbox), timeout=120)
    assert again.returncode == 0, again.stderr.decode()
    assert again.stdout == b""
    assert "0 done, 0 failed, 0 to retry, 0 articles sent" in again.stderr.decode()

    # A crash after sending but before the move leaves a file behind: it is done, and not resent.
    shutil.copy(inbox / "done" / "wire-000.txt", inbox / "wire-000.txt")
    shutil.copy(inbox / "failed" / "wire-013.txt", inbox / "wire-013.txt")  # a bad file is told again
    recovered = running.cli("ingest", "watch", "--once", str(inbox), timeout=120)
    assert recovered.returncode == 0, recovered.stderr.decode()
    by_file = {r["file"]: r for r in (orjson.loads(line) for line in recovered.stdout.splitlines())}
    assert by_file["wire-000.txt"]["status"] == "done" and by_file["wire-000.txt"]["sent"] == 0
    assert by_file["wire-013.txt"]["status"] == "failed"
    assert (inbox / "done" / "wire-000.1.txt").exists() and (
        inbox / "failed" / "wire-013.1.txt.reason.txt"
    ).exists()

    raw = running.read_all("articles.raw", expect=47)
    assert len(raw) == 47
