"""Directed sentiment between two entities (Park, Pan & Joo, Findings of ACL 2021), read in place.

``../shared/data/directed-sentiment/{train,valid}.txt``: tab-separated ``sentence, p, q, label``; in
the sentence p and q are wrapped in square brackets, p's first. Labels: 0 none, 1 p → q positive,
2 q → p positive, 3 p → q negative, 4 q → p negative. Only train (training) and valid (selection,
the figures in docs/quality.md) are read; the test split is left for independent evaluation.

The brackets sometimes cut a word ("[Los Angele]s"): the span is what the brackets hold, as annotated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Class names in label order (``LABELS[label]``).
LABELS = ("none", "p→q positive", "q→p positive", "p→q negative", "q→p negative")
SHORT_LABELS = ("none", "p+q", "q+p", "p-q", "q-p")
#: Label of the same pair read the other way round (q, p): directions swap, "none" stays.
SWAPPED = (0, 2, 1, 4, 3)
CALIBRATION_SEED = "stancewire-directed-calibration-v1"
CALIBRATION_PERCENT = 5
_BRACKETED = re.compile(r"\[([^\[\]]+)\]")


class DirectedDataMissing(FileNotFoundError):
    """The directed-sentiment folder is not there (commands skip with this message)."""


@dataclass(frozen=True, slots=True)
class DirectedItem:
    """One annotated pair: ``text[p[0]:p[1]]`` is p, ``text[q[0]:q[1]]`` is q (brackets removed)."""

    text: str
    p: tuple[int, int]
    q: tuple[int, int]
    label: int


def default_data_dir() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "directed-sentiment"


def data_file(split: str, data_dir: Path | None = None) -> Path:
    if split not in ("train", "valid"):
        raise ValueError("split must be 'train' or 'valid' (the test split is reserved)")
    path = (data_dir or default_data_dir()) / f"{split}.txt"
    if not path.is_file():
        raise DirectedDataMissing(
            f"directed-sentiment data not found at {path}: put Park et al.'s {split}.txt there "
            "(../shared/data/directed-sentiment beside the repository) or pass --data-dir; skipping."
        )
    return path


def parse_line(line: str) -> DirectedItem | None:
    """One item, or None for a line whose brackets do not give p and q (counted by the caller)."""
    fields = line.rstrip("\n").split("\t")
    if len(fields) != 4:
        return None
    marked, p_name, q_name, label_text = fields
    try:
        label = int(label_text)
    except ValueError:
        return None
    if not 0 <= label < len(LABELS):
        return None
    text_parts: list[str] = []
    spans: list[tuple[str, int, int]] = []
    cursor = 0
    length = 0
    for match in _BRACKETED.finditer(marked):
        before = marked[cursor : match.start()]
        text_parts.append(before)
        length += len(before)
        inner = match.group(1)
        spans.append((inner, length, length + len(inner)))
        text_parts.append(inner)
        length += len(inner)
        cursor = match.end()
    text_parts.append(marked[cursor:])
    text = "".join(text_parts)
    p = next(((s, e) for name, s, e in spans if name == p_name), None)
    q = next(((s, e) for name, s, e in spans if name == q_name and (s, e) != p), None)
    if p is None or q is None or p == q or not text[p[0] : p[1]].strip() or not text[q[0] : q[1]].strip():
        return None
    if p[0] < q[1] and q[0] < p[1]:
        return None
    return DirectedItem(text, p, q, label)


def parse_lines(lines: Iterable[str]) -> tuple[list[DirectedItem], int]:
    """(items, number of lines skipped because their brackets did not give two spans)."""
    items: list[DirectedItem] = []
    skipped = 0
    for line in lines:
        if not line.strip():
            continue
        item = parse_line(line)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return items, skipped


def load(split: str, data_dir: Path | None = None) -> tuple[list[DirectedItem], int]:
    with data_file(split, data_dir).open(encoding="utf-8") as handle:
        return parse_lines(handle)


def is_calibration(text: str, seed: str = CALIBRATION_SEED, percent: int = CALIBRATION_PERCENT) -> bool:
    """Part of the training file kept out of training to fit the softmax temperature (by sentence)."""
    return int(hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()[:8], 16) % 100 < percent


def calibration_rule() -> str:
    return (
        f"calibration iff int(sha256(f'{{seed}}:{{sentence}}').hexdigest()[:8], 16) % 100 < "
        f"{CALIBRATION_PERCENT}; seed={CALIBRATION_SEED!r} (applied to train.txt)"
    )
