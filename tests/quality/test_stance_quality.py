"""The shipped stance model on real annotated news (Park et al.'s valid split, read in place).

Acceptance figures as regression guards, and one property over every stance the pipeline publishes
for the seed and the valid sentences: its sentiment never contradicts its polarity in sign.
The data-dependent parts skip, with the reason, where ../shared/data is not beside the clone."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from streams.evaluation.directed import default_data_dir, load
from streams.evaluation.stances import article_for
from streams.models import Stance
from tests.conftest import REPO

#: Set a little under the shipped model's valid figures (docs/quality.md): a retrained model that
#: falls below them is worse than what ships.
CLASSIFIER_GUARD = 0.66  # shipped: 0.6885 (stance-pairs-v1; the joint model alone: 0.6242)
END_TO_END_GUARD = 0.60  # shipped: 0.6315 (the joint model alone: 0.5806)
HAS_DATA = (default_data_dir() / "valid.txt").is_file()
needs_data = pytest.mark.skipif(not HAS_DATA, reason=f"no directed-sentiment data at {default_data_dir()}")


def contradictions(stances: list[Stance]) -> list[Stance]:
    return [
        s
        for s in stances
        if (s["polarity"] == "support" and s["sentiment"] < 0)
        or (s["polarity"] == "oppose" and s["sentiment"] > 0)
        or (s["polarity"] == "neutral" and s["sentiment"] != 0)
    ]


@pytest.fixture(scope="module")
def enricher():
    from streams.enrich.pipeline import Enricher
    from streams.settings import Settings

    return Enricher.from_settings(Settings())


def test_no_seed_stance_contradicts_its_polarity(enricher, seed_article):
    (article,) = enricher.enrich_batch([seed_article])
    assert article["stances"]
    assert contradictions(article["stances"]) == []


@needs_data
def test_no_stance_on_the_valid_sentences_contradicts_its_polarity(enricher):
    items, _ = load("valid")
    stances: list[Stance] = []
    for first in range(0, len(items), 64):
        batch = [article_for(item, first + k) for k, item in enumerate(items[first : first + 64])]
        for article in enricher.enrich_batch(batch):
            stances.extend(article["stances"])
    assert len(stances) > 100  # the model does speak on real news
    assert contradictions(stances) == []


@needs_data
def test_eval_stances_keeps_its_figures_and_beats_the_rules_of_before():
    run = subprocess.run(
        [sys.executable, "-m", "streams", "eval", "stances", "--json", "--no-entity-rules"],
        capture_output=True,
        cwd=REPO,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr.decode()
    report = orjson.loads(run.stdout)
    levels = {name: figures["macro_f1"] for name, figures in report["levels"].items()}
    print(orjson.dumps(levels, option=orjson.OPT_INDENT_2).decode())
    classifier = levels["classifier (annotated spans)"]
    end_to_end = levels["end to end (model)"]
    rules = levels["end to end (rules only, before)"]
    # Regression guards a little under the shipped model's figures (docs/quality.md), not targets.
    assert classifier >= CLASSIFIER_GUARD
    assert end_to_end >= END_TO_END_GUARD
    assert end_to_end > rules + 0.15
