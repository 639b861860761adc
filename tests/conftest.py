from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SEED_FILE = SEEDS / "000_08fdfb15822a403d.txt"


@pytest.fixture(scope="session")
def nlp():
    from streams.enrich.nlp import load_nlp
    from streams.settings import get_settings

    return load_nlp(get_settings().spacy_model)


@pytest.fixture(scope="session")
def registry():
    from streams.schemas import registry_at

    return registry_at(REPO / "schemas")


@pytest.fixture(scope="session")
def seed_article():
    from streams.ingest import read_seed_file

    return read_seed_file(SEED_FILE)
