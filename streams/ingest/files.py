"""Articles from files, folders and JSON lines: what ``replay`` and ``analyze`` read.

A ``.json`` file holds one raw article (or a list of them), ``.jsonl``/``.ndjson`` one per line, any
other file is seed-format text. Problems come back as :class:`InputProblem` values so that one bad
file is reported and skipped while the rest go through.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import orjson

from streams.ingest.errors import InvalidArticle
from streams.ingest.raw import RawArticleDecoder
from streams.ingest.seedformat import SeedFormatError, read_seed_file
from streams.models import RawArticle

JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})


@dataclass(frozen=True, slots=True)
class InputProblem:
    origin: str  # file[:line] or <stdin>:line
    reason: str
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


def expand_paths(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
        else:
            yield path


def _from_document(
    decoder: RawArticleDecoder, document: object, origin: str, source: str
) -> RawArticle | InputProblem:
    try:
        article = decoder.from_document(document)
    except InvalidArticle as error:
        return InputProblem(origin, error.reason, error.message)
    if article.source == "unknown":
        article.source = source
    return article


def read_json_lines(
    lines: Iterable[str | bytes], decoder: RawArticleDecoder, *, origin: str, source: str
) -> Iterator[RawArticle | InputProblem]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield InputProblem(where, "invalid_json", f"not valid JSON: {exc}")
            continue
        yield _from_document(decoder, document, where, source)


def read_path(
    path: Path, decoder: RawArticleDecoder, *, source: str | None = None
) -> Iterator[RawArticle | InputProblem]:
    origin = str(path)
    source = source or f"file:{path}"
    if not path.exists():
        yield InputProblem(origin, "not_found", "no such file or directory")
        return
    if path.suffix.lower() in JSON_LINES_SUFFIXES:
        with path.open("rb") as handle:
            yield from read_json_lines(handle, decoder, origin=origin, source=source)
        return
    if path.suffix.lower() == ".json":
        try:
            document = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            yield InputProblem(origin, "invalid_json", f"not valid JSON: {exc}")
            return
        documents = document if isinstance(document, list) else [document]
        for index, item in enumerate(documents):
            yield _from_document(
                decoder, item, f"{origin}[{index}]" if isinstance(document, list) else origin, source
            )
        return
    try:
        article = read_seed_file(path, source=source)
    except SeedFormatError as error:
        yield InputProblem(error.where, "seed_format", error.detail)
        return
    except OSError as error:
        yield InputProblem(origin, "unreadable", error.strerror or str(error))
        return
    # Seed files go through the same checks as any article (size, language) before they are sent.
    yield _from_document(decoder, article.to_event(), origin, source)


def read_inputs(
    paths: Sequence[Path],
    decoder: RawArticleDecoder,
    *,
    stdin: TextIO | None = None,
    source: str | None = None,
) -> Iterator[RawArticle | InputProblem]:
    """Articles from ``paths`` (files or folders, in order), or JSON lines from ``stdin`` if no path."""
    if not paths or [str(p) for p in paths] == ["-"]:
        if stdin is not None:
            yield from read_json_lines(stdin, decoder, origin="<stdin>", source=source or "replay")
        return
    for path in expand_paths(paths):
        yield from read_path(path, decoder, source=source)
