"""A drop folder: files written into a directory become articles; each file ends in ``done/`` or
``failed/`` (with ``<name>.reason.txt`` beside it). No Kafka here: the watcher (CLI) sends.

Writers write under a temporary name (``.name``, ``name.tmp``, ``name.part``) and rename into place,
so a name that is not temporary is a complete file. A file is all or nothing: when any article in it
is refused, none is sent and the whole file goes to ``failed/``, so fixing it and dropping it again
is the whole recovery.

The move is the state: a file still in the folder has not been handled. A crash after sending but
before the move makes the file come round again; its articles are then in the dedup store and nothing
is sent twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from streams.ingest.files import InputProblem, read_path
from streams.ingest.ids import article_id_for
from streams.ingest.raw import RawArticleDecoder
from streams.models import RawArticle

DONE_DIR = "done"
FAILED_DIR = "failed"
REASON_SUFFIX = ".reason.txt"
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")

Pickup = Literal["pick", "hidden", "temporary", "not_a_file"]


def classify(name: str, *, is_file: bool = True) -> Pickup:
    """Whether the watcher takes a directory entry: complete files only."""
    if not is_file:
        return "not_a_file"
    if name.startswith("."):
        return "hidden"
    if name.lower().endswith(TEMPORARY_SUFFIXES):
        return "temporary"
    return "pick"


def free_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name``, or ``stem.N.suffix`` with the smallest N that is free: a file dropped twice under the
    same name keeps both copies in ``done/`` / ``failed/``."""
    if not taken(name):
        return name
    stem, dot, suffix = name.partition(".")
    for number in range(1, 1_000_000):
        candidate = f"{stem}.{number}{dot}{suffix}"
        if not taken(candidate):
            return candidate
    raise FileExistsError(f"no free name for {name}")


@dataclass(slots=True)
class FileVerdict:
    """What a dropped file holds: the articles to send, or why the file is refused."""

    path: Path
    articles: list[RawArticle] = field(default_factory=list)
    problems: list[InputProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.articles)


def read_drop_file(
    path: Path, decoder: RawArticleDecoder, *, ingested_at: str, max_bytes: int | None = None
) -> FileVerdict:
    """Parse one file (seed format, ``.json`` object or list, ``.jsonl``) and check every article the
    way the worker will (schema, size, language). Every article records ``file:<path>`` and
    ``ingested_at``, whatever the file said: they describe how it entered this pipeline."""
    verdict = FileVerdict(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        verdict.problems.append(InputProblem(str(path), "unreadable", error.strerror or str(error)))
        return verdict
    if max_bytes is not None and size > max_bytes:
        verdict.problems.append(
            InputProblem(
                str(path), "file_too_large", f"the file is {size:,} bytes, over the limit of {max_bytes:,}"
            )
        )
        return verdict
    source = f"file:{path}"
    for item in read_path(path, decoder, source=source):
        if isinstance(item, InputProblem):
            verdict.problems.append(item)
        else:
            item.source = source
            item.ingested_at = ingested_at
            verdict.articles.append(item)
    if not verdict.articles and not verdict.problems:
        verdict.problems.append(InputProblem(str(path), "empty_file", "the file holds no article"))
    return verdict


def content_hashes(articles: Iterable[RawArticle]) -> list[str]:
    return [article_id_for(article.body) for article in articles]


def reason_text(name: str, problems: Iterable[InputProblem], *, at: str) -> str:
    """The ``<name>.reason.txt`` written beside a refused file: what is wrong, where, and what to do."""
    lines = [f"{name} was refused at {at}; nothing in it was sent.", ""]
    for problem in problems:
        lines.append(f"{problem.reason}: {problem.origin}: {problem.message}")
    lines += [
        "",
        "Fix the file and drop it into the folder again (write it under a temporary name such as",
        "'.name' or 'name.tmp', then rename it into place).",
    ]
    return "\n".join(lines) + "\n"


class DropFolder:
    """The folder and its ``done/`` and ``failed/`` subfolders."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.done = directory / DONE_DIR
        self.failed = directory / FAILED_DIR

    def prepare(self) -> None:
        self.done.mkdir(parents=True, exist_ok=True)
        self.failed.mkdir(parents=True, exist_ok=True)

    def candidates(self) -> list[Path]:
        """Complete files waiting in the folder, oldest first (then by name)."""
        found: list[tuple[float, str, Path]] = []
        with os.scandir(self.directory) as entries:
            for entry in entries:
                try:
                    is_file = entry.is_file(follow_symlinks=False)
                    if classify(entry.name, is_file=is_file) != "pick":
                        continue
                    found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name, Path(entry.path)))
                except FileNotFoundError:  # renamed or removed while we looked
                    continue
        return [path for _, _, path in sorted(found)]

    def move_done(self, path: Path) -> Path:
        return self._move(path, self.done)

    def move_failed(self, path: Path, problems: Iterable[InputProblem], *, at: str) -> Path:
        target = self._move(path, self.failed)
        reason = target.with_name(target.name + REASON_SUFFIX)
        tmp = reason.with_name("." + reason.name + ".tmp")
        tmp.write_text(reason_text(path.name, problems, at=at), encoding="utf-8")
        tmp.replace(reason)
        return target

    @staticmethod
    def _move(path: Path, folder: Path) -> Path:
        name = free_name(
            path.name,
            lambda candidate: (
                (folder / candidate).exists() or (folder / (candidate + REASON_SUFFIX)).exists()
            ),
        )
        target = folder / name
        path.replace(target)  # same filesystem: atomic
        return target
