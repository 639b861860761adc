"""Reading PolNeAR (Newell, Margolin & Ruths, LREC 2018) in place: articles, attributions, the split.

The folder is the training compartment laid out as ``text/<name>.txt``,
``attributions/<name>_<annotator>.ann`` (brat standoff) and ``metadata.tsv``. Nothing here copies it.

brat lines we read::

    T<n>\t<Type> <start> <end>[;<start> <end>...]\t<text>     Type in Source | Cue | Content | ...
    E<n>\t<Attribution|Attribution-no-source>:T<a> Source:T<s> Cue:T<c> Content:T<x> [Content2:T<y>]

Offsets are characters into the ``.txt``, end exclusive; the text column may run over several lines
(we never read it: the spans are taken from the article text).

**The held-out split** is fixed by a hash of the article name (see :func:`split_of`), decided before
any tuning: 20 % of the articles are ``heldout`` and are only scored, never inspected; the other 80 %
are ``dev``.
"""

from __future__ import annotations

import csv
import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Split = Literal["dev", "heldout", "all"]
SPLITS: tuple[str, ...] = ("dev", "heldout", "all")
SPLIT_SALT = "stancewire/polnear/v1"
HELDOUT_PERCENT = 20

Piece = tuple[int, int]

_T_LINE = re.compile(r"^(T\d+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)\t?")
_E_LINE = re.compile(r"^(E\d+)\t(.*)$")

# Double quotation marks only: single quotes are apostrophes too often to delimit a quote.
OPEN_QUOTES = frozenset("“„«")
CLOSE_QUOTES = frozenset("”»")
STRAIGHT_QUOTES = frozenset('"')


def split_of(name: str) -> Literal["dev", "heldout"]:
    """``heldout`` for a fixed ~20 % of article names, ``dev`` for the rest (stable across runs)."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{name}".encode()).hexdigest()
    return "heldout" if int(digest[:8], 16) % 100 < HELDOUT_PERCENT else "dev"


@dataclass(slots=True)
class GoldAttribution:
    id: str
    content: list[Piece]
    source: list[Piece] = field(default_factory=list)
    cue: list[Piece] = field(default_factory=list)
    direct: bool = False


@dataclass(slots=True)
class PolnearArticle:
    name: str
    annotator: str
    text: str
    attributions: list[GoldAttribution]


def _pieces(spec: str) -> list[Piece]:
    out: list[Piece] = []
    for part in spec.split(";"):
        start, end = part.split()
        out.append((int(start), int(end)))
    return out


def quote_regions(text: str) -> list[Piece]:
    """Stretches of ``text`` between paired double quotation marks, marks included.

    Pairing, paragraph by paragraph (a paragraph is a line): “ (or „ «) opens, ” (or ») closes a
    curly quote, a straight " opens when no quote is open and closes a straight one; a quote still open
    at the end of its paragraph ends there (news style for a quote running over several paragraphs).
    """
    regions: list[Piece] = []
    open_at = -1
    straight = False
    for i, ch in enumerate(text):
        if ch == "\n":
            if open_at >= 0:
                regions.append((open_at, i))
            open_at, straight = -1, False
        elif ch in OPEN_QUOTES or (ch in STRAIGHT_QUOTES and open_at < 0):
            open_at, straight = i, ch in STRAIGHT_QUOTES
        elif open_at >= 0 and (ch in CLOSE_QUOTES or (ch in STRAIGHT_QUOTES and straight)):
            regions.append((open_at, i + 1))
            open_at, straight = -1, False
    if open_at >= 0:
        regions.append((open_at, len(text)))
    return regions


def is_quoted(text: str, pieces: list[Piece], regions: list[Piece] | None = None) -> bool:
    """True when every letter or digit of the span lies inside a quotation (:func:`quote_regions`).

    This is the definition of a *direct* attribution in the gold: its Content, all pieces together,
    has at least one letter or digit and none outside quotation marks. A partial quote embedded in
    reported speech ('that Trump supports "Hillary-style healthcare"') is therefore not direct.
    """
    if regions is None:
        regions = quote_regions(text)
    starts = [r[0] for r in regions]
    seen_word = False
    for start, end in pieces:
        for i in range(start, end):
            if not text[i].isalnum():
                continue
            k = bisect_right(starts, i) - 1
            if k < 0 or not (regions[k][0] <= i < regions[k][1]):
                return False
            seen_word = True
    return seen_word


def parse_ann(ann: str, text: str) -> list[GoldAttribution]:
    """Attributions from one brat ``.ann`` file (relations without a Content are dropped)."""
    spans: dict[str, list[Piece]] = {}
    relations: list[tuple[str, str]] = []
    for line in ann.splitlines():
        match = _T_LINE.match(line)
        if match:
            spans[match.group(1)] = _pieces(match.group(3))
            continue
        rel = _E_LINE.match(line)
        if rel:
            relations.append((rel.group(1), rel.group(2)))
    out: list[GoldAttribution] = []
    regions = quote_regions(text)
    for rel_id, args in relations:
        roles: dict[str, list[Piece]] = {"Source": [], "Cue": [], "Content": []}
        for arg in args.split():
            role, _, ref = arg.partition(":")
            role = "Content" if role.startswith("Content") else role
            if role in roles and ref in spans:
                roles[role].extend(spans[ref])
        if not roles["Content"]:
            continue
        content = sorted(roles["Content"])
        out.append(
            GoldAttribution(
                id=rel_id,
                content=content,
                source=sorted(roles["Source"]),
                cue=sorted(roles["Cue"]),
                direct=is_quoted(text, content, regions),
            )
        )
    return out


def first_annotators(data_dir: Path) -> dict[str, list[str]]:
    """Annotator ids per article of the ``train`` compartment, in ``metadata.tsv`` order."""
    out: dict[str, list[str]] = {}
    meta = data_dir / "metadata.tsv"
    if not meta.exists():
        return out
    with meta.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row.get("compartment") == "train":
                out[row["filename"]] = [a for a in (row.get("annotators") or "").split("|") if a]
    return out


def article_names(data_dir: Path, split: Split = "all") -> list[str]:
    """Sorted names of the articles (``text/<name>.txt``) in ``split``."""
    names = sorted(p.stem for p in (data_dir / "text").glob("*.txt"))
    if split == "all":
        return names
    return [n for n in names if split_of(n) == split]


def _ann_path(data_dir: Path, name: str, annotators: list[str]) -> tuple[Path, str] | None:
    for annotator in annotators:
        path = data_dir / "attributions" / f"{name}_{annotator}.ann"
        if path.exists():
            return path, annotator
    found = sorted((data_dir / "attributions").glob(f"{name}_*.ann"))
    if found:
        return found[0], found[0].stem.rsplit("_", 1)[1]
    return None


def load_articles(data_dir: Path, split: Split = "all", limit: int | None = None) -> Iterator[PolnearArticle]:
    """Articles of ``split`` with the first listed annotator's attributions (sorted by name)."""
    annotators = first_annotators(data_dir)
    names = article_names(data_dir, split)
    if limit is not None:
        names = names[:limit]
    for name in names:
        text = _read(data_dir / "text" / f"{name}.txt")
        found = _ann_path(data_dir, name, annotators.get(name, []))
        if found is None:
            continue
        path, annotator = found
        yield PolnearArticle(
            name=name,
            annotator=annotator,
            text=text,
            attributions=parse_ann(_read(path), text),
        )


def _read(path: Path) -> str:
    """The file's characters exactly (no newline translation: brat offsets count every character)."""
    return path.read_bytes().decode("utf-8")


REPO_ROOT = Path(__file__).resolve().parents[2]


class PolnearMissing(FileNotFoundError):
    """The PolNeAR folder is not there (it is never shipped: it lives in ``../shared/data``)."""


def default_data_dir() -> Path:
    """``../shared/data/polnear-train`` beside the repository root."""
    return (REPO_ROOT / ".." / "shared" / "data" / "polnear-train").resolve()


def data_dir_or_raise(data_dir: Path | None = None) -> Path:
    path = data_dir if data_dir is not None else default_data_dir()
    if not (path / "text").is_dir() or not (path / "attributions").is_dir():
        raise PolnearMissing(
            f"PolNeAR not found at {path} (expected text/ and attributions/ there); "
            "skipping the quote evaluation. Pass --data-dir to point at it."
        )
    return path
