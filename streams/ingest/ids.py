"""Stable article ids, so that replaying the same text twice names the same article twice."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_for_id(text: str) -> str:
    # NFKC folds curly/straight variants of the same code point family and full-width forms;
    # whitespace and case differences between two copies of one wire story do not make a new story.
    text = unicodedata.normalize("NFKC", text)
    return _WHITESPACE.sub(" ", text).strip().casefold()


def article_id_for(body: str) -> str:
    """A 16-hex-digit id from the normalized body (64 bits: collisions are negligible for a wire)."""
    return hashlib.sha256(normalize_for_id(body).encode("utf-8")).hexdigest()[:16]
