"""`stancewire analyze` is the embedded default: no broker, schema-valid article.enriched lines."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson

from tests.conftest import REPO, SEEDS


def run_analyze(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # Point Kafka at a port nothing listens on: analyze must not need a broker at all.
    env = {**os.environ, "STANCEWIRE_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    return subprocess.run(
        [sys.executable, "-m", "streams", "analyze", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )


def test_analyze_seeds_without_a_broker_prints_schema_valid_events(registry):
    run = run_analyze(str(SEEDS))
    assert run.returncode == 0, run.stderr.decode()
    events = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert len(events) == len([p for p in SEEDS.iterdir() if p.is_file()])
    for event in events:
        registry.validate(event, "article.enriched.v1")
        assert event["entities"] and event["quotes"] and event["stances"]


def test_analyze_reads_json_lines_on_stdin_and_reports_bad_lines(registry):
    lines = b"\n".join(
        [
            orjson.dumps(
                {"id": "a1", "body": "Angela Merkel said on Monday that Germany would back the plan."}
            ),
            b"{not json",
            orjson.dumps({"id": "a2", "title": "no body"}),
        ]
    )
    run = run_analyze(stdin=lines)
    assert run.returncode == 0, run.stderr.decode()
    (event,) = [orjson.loads(line) for line in run.stdout.splitlines()]
    assert event["article_id"] == "a1"
    registry.validate(event, "article.enriched.v1")
    stderr = run.stderr.decode()
    assert "<stdin>:2" in stderr and "<stdin>:3" in stderr
