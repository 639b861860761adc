"""The seed-file format: a header line ``date YYYY-MM-DD By A and B``, then the body.

Authors are split on commas and on the word "and" ("By A, B and C").
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from streams.ingest.ids import article_id_for
from streams.models import RawArticle

_HEADER = re.compile(
    r"^\s*date\s+(?P<date>\d{4}-\d{2}-\d{2})(?:\s+By\s+(?P<authors>.+?))?\s*$", re.IGNORECASE
)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)


class SeedFormatError(ValueError):
    """The text is not in the seed format. The message names the file and line."""

    def __init__(self, origin: str, line: int | None, detail: str) -> None:
        self.origin = origin
        self.line = line
        self.detail = detail
        self.where = f"{origin}:{line}" if line is not None else origin
        super().__init__(f"{self.where}: {detail}")


def split_authors(text: str) -> list[str]:
    return [name.strip() for name in _AUTHOR_SPLIT.split(text) if name and name.strip()]


def parse_seed_text(text: str, *, origin: str = "<text>", source: str = "replay") -> RawArticle:
    """Parse one seed-format document. ``origin`` names it in error messages (a path, ``<stdin>``)."""
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise SeedFormatError(origin, None, "empty file, expected a header line 'date YYYY-MM-DD By A and B'")
    header = lines[header_index].lstrip("\ufeff")
    match = _HEADER.match(header)
    if match is None:
        shown = header.strip()[:80]
        raise SeedFormatError(
            origin, header_index + 1, f"expected a header line 'date YYYY-MM-DD By A and B', got {shown!r}"
        )
    try:
        published = date.fromisoformat(match["date"]).isoformat()
    except ValueError as exc:
        raise SeedFormatError(origin, header_index + 1, f"invalid date {match['date']!r}: {exc}") from None
    body = "\n".join(lines[header_index + 1 :]).strip()
    if not body:
        raise SeedFormatError(origin, header_index + 2, "the header is not followed by any body text")
    return RawArticle(
        article_id=article_id_for(body),
        body=body,
        published=published,
        authors=split_authors(match["authors"] or ""),
        source=source,
    )


def read_seed_file(path: Path, *, source: str | None = None) -> RawArticle:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SeedFormatError(str(path), None, f"not UTF-8 text (invalid byte at {exc.start})") from None
    return parse_seed_text(text, origin=str(path), source=source or "replay")
