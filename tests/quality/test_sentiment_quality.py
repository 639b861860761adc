"""Acceptance figure as a regression guard: the shipped sentiment model on the NewsMTSC validation part.

Skipped, with the reason, where ../shared/data is not beside the clone."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from streams.evaluation.sentiment import default_data_dir
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    not (default_data_dir() / "train.jsonl").is_file(), reason=f"no NewsMTSC data at {default_data_dir()}"
)


def test_trained_model_beats_the_threshold_and_the_vader_baseline():
    run = subprocess.run(
        [sys.executable, "-m", "streams", "eval", "sentiment", "--json"],
        capture_output=True,
        cwd=REPO,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr.decode()
    report = orjson.loads(run.stdout)
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    trained, vader = report["trained"], report["vader"]
    assert trained["macro_f1"] >= 0.75
    assert trained["macro_f1"] > vader["macro_f1"] + 0.1
