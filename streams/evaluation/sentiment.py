"""Target-dependent sentiment quality on NewsMTSC (Hamborg & Donnay, EACL 2021), as plain functions.

The data is read in place from ``../shared/data/newsmtsc/train.jsonl`` (never copied into the repo) and
divided deterministically into a training part and a held-out validation part by a hash of each
sentence's ``primary_gid`` (:func:`split_items`): all targets of one sentence fall on the same side.
Only the NewsMTSC *training* split is used here; its test splits are left for independent evaluation.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from streams.sentiment.base import POLARITIES, SentimentScorer

#: NewsMTSC polarity codes.
POLARITY_OF_CODE = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}
TRAIN_FILE = "train.jsonl"
DEFAULT_SPLIT_SEED = "stancewire-newsmtsc-v1"
DEFAULT_VALIDATION_PERCENT = 15
CALIBRATION_SEED = "stancewire-newsmtsc-calibration-v1"
CALIBRATION_PERCENT = 8
SPLIT_RULE = (
    "validation iff int(sha256(f'{seed}:{primary_gid}').hexdigest()[:8], 16) % 100 < {percent}; "
    "seed={seed!r}, percent={percent}"
)


class SentimentDataMissing(FileNotFoundError):
    """The NewsMTSC folder is not there (the evaluation and training commands skip with this message)."""


@dataclass(frozen=True, slots=True)
class SentimentItem:
    """One annotated target: ``text[start:end]`` is the mention, ``label`` one of :data:`POLARITIES`."""

    gid: str
    text: str
    start: int
    end: int
    label: str

    @property
    def span(self) -> tuple[str, int, int]:
        return (self.text, self.start, self.end)


def default_data_dir() -> Path:
    """``../shared/data/newsmtsc`` beside the repository root."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "newsmtsc"


def data_file(data_dir: Path | None = None) -> Path:
    """The NewsMTSC train.jsonl, or :class:`SentimentDataMissing` with a message saying what is missing."""
    folder = data_dir or default_data_dir()
    path = folder / TRAIN_FILE
    if not path.is_file():
        raise SentimentDataMissing(
            f"NewsMTSC training data not found at {path}: put the NewsMTSC train.jsonl there "
            "(../shared/data/newsmtsc beside the repository) or pass --data-dir; skipping."
        )
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_lines(lines: Iterable[str | bytes]) -> list[SentimentItem]:
    """Items from NewsMTSC JSON lines (one sentence a line, several targets each)."""
    items: list[SentimentItem] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = orjson.loads(line)
        text = record["sentence_normalized"]
        gid = str(record["primary_gid"])
        for target in record["targets"]:
            start, end = int(target["from"]), int(target["to"])
            if text[start:end] != target["mention"]:
                raise ValueError(f"line {number}: offsets {start}-{end} do not give {target['mention']!r}")
            label = POLARITY_OF_CODE[float(target["polarity"])]
            items.append(SentimentItem(gid, text, start, end, label))
    return items


def load_newsmtsc(data_dir: Path | None = None) -> list[SentimentItem]:
    with data_file(data_dir).open("rb") as handle:
        return parse_lines(handle)


def is_validation(
    gid: str, seed: str = DEFAULT_SPLIT_SEED, percent: int = DEFAULT_VALIDATION_PERCENT
) -> bool:
    bucket = int(hashlib.sha256(f"{seed}:{gid}".encode()).hexdigest()[:8], 16) % 100
    return bucket < percent


def split_items(
    items: Sequence[SentimentItem],
    seed: str = DEFAULT_SPLIT_SEED,
    percent: int = DEFAULT_VALIDATION_PERCENT,
) -> tuple[list[SentimentItem], list[SentimentItem]]:
    """(training part, validation part), by sentence, in the input order; the same on every machine."""
    train: list[SentimentItem] = []
    validation: list[SentimentItem] = []
    for item in items:
        (validation if is_validation(item.gid, seed, percent) else train).append(item)
    return train, validation


def split_rule(seed: str = DEFAULT_SPLIT_SEED, percent: int = DEFAULT_VALIDATION_PERCENT) -> str:
    return SPLIT_RULE.replace("{seed!r}", repr(seed)).replace("{percent}", str(percent))


def calibration_split(
    train_items: Sequence[SentimentItem],
    seed: str = CALIBRATION_SEED,
    percent: int = CALIBRATION_PERCENT,
) -> tuple[list[SentimentItem], list[SentimentItem]]:
    """(fitting part, calibration part) of the *training* part, by sentence with another hash seed.

    The calibration part is kept out of gradient training and used only to fit the softmax
    temperature, so the validation part stays untouched by anything but the choice of epoch.
    """
    return split_items(train_items, seed, percent)


@dataclass(slots=True)
class ClassFigures:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class SentimentReport:
    """Macro-F1 over the three classes (NewsMTSC's F1m), accuracy, per-class figures, confusion."""

    macro_f1: float
    accuracy: float
    per_class: dict[str, ClassFigures]
    #: confusion[gold][predicted] = count
    confusion: dict[str, dict[str, int]]
    count: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {
                name: {
                    "precision": round(c.precision, 4),
                    "recall": round(c.recall, 4),
                    "f1": round(c.f1, 4),
                    "support": c.support,
                }
                for name, c in self.per_class.items()
            },
            "confusion": self.confusion,
            "count": self.count,
            "seconds": round(self.seconds, 3),
            "targets_per_second": round(self.count / self.seconds, 1) if self.seconds > 0 else None,
            **self.extra,
        }


def score(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = POLARITIES
) -> SentimentReport:
    """Figures of predicted labels against gold labels (same length, labels from ``labels``)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    confusion = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        if g not in confusion or p not in confusion:
            raise ValueError(f"unknown label in pair ({g!r}, {p!r})")
        confusion[g][p] += 1
    per_class: dict[str, ClassFigures] = {}
    for label in labels:
        tp = confusion[label][label]
        predicted_count = sum(confusion[g][label] for g in labels)
        support = sum(confusion[label].values())
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassFigures(precision, recall, f1, support)
    total = len(gold)
    correct = sum(confusion[label][label] for label in labels)
    return SentimentReport(
        macro_f1=sum(c.f1 for c in per_class.values()) / len(labels),
        accuracy=correct / total if total else 0.0,
        per_class=per_class,
        confusion=confusion,
        count=total,
    )


def evaluate(model: SentimentScorer, items: Sequence[SentimentItem]) -> SentimentReport:
    """Run ``model`` on the items (one call: the model batches) and score it against their labels."""
    began = time.perf_counter()
    predictions = model.predict([item.span for item in items])
    seconds = time.perf_counter() - began
    report = score([item.label for item in items], [p.polarity for p in predictions])
    report.seconds = seconds
    return report
