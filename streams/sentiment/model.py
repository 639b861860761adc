"""The trained target-sentiment model at run time: onnxruntime + tokenizers + numpy, nothing heavier.

Load it once per process (:func:`shared_model`), then score many targets per call: items are encoded
in one tokenizer batch, sorted by length so each batch pads little, run ``batch_size`` at a time and
returned in the caller's order.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from streams.inference import cpu_session
from streams.sentiment.base import POLARITIES, Polarity, TargetSentiment, check_span
from streams.sentiment.encoding import TargetEncoder

MODEL_NAME = "target-sentiment-v1"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / MODEL_NAME
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "manifest.json"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class TargetSentimentModel:
    """Sentiment of a text toward a target span, from the fine-tuned MiniLM exported to ONNX.

    ``threads`` is onnxruntime's ``intra_op_num_threads`` (1 per worker process by default: run one
    worker per core). ``score`` is p(positive) - p(negative).

    ``batch_size`` is how many targets go through one onnxruntime call; ``None`` takes the artifact's
    ``default_batch_size``. A dynamically quantized (int8) model quantizes activations with one scale
    per call, so targets scored in the same call nudge each other's scores: its manifest sets 1, which
    keeps every score independent of its neighbours at almost no cost in speed (no padding either).
    Tokenization is batched whatever the size.
    """

    name = "trained"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        threads: int = 1,
        batch_size: int | None = None,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        manifest_path = self.model_dir / MANIFEST_FILE
        if not manifest_path.is_file():
            raise FileNotFoundError(
                f"no target-sentiment model at {self.model_dir} (missing {MANIFEST_FILE})"
            )
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        labels = tuple(self.manifest.get("labels", POLARITIES))
        if sorted(labels) != sorted(POLARITIES):
            raise ValueError(f"unexpected labels in the manifest: {labels}")
        self.labels: tuple[Polarity, ...] = cast(tuple[Polarity, ...], labels)
        self.max_length = int(self.manifest.get("max_length", 128))
        #: Softmax temperature fitted on a calibration part of the training data (1.0: none).
        self.temperature = float(self.manifest.get("temperature", 1.0))
        if not self.temperature > 0:
            raise ValueError(f"temperature must be positive, not {self.temperature}")
        if batch_size is None:
            batch_size = int(self.manifest.get("default_batch_size", 32))
        self.batch_size = max(1, batch_size)
        self.encoder = TargetEncoder.from_file(self.model_dir / TOKENIZER_FILE, max_length=self.max_length)
        self.session = cpu_session(self.model_dir / MODEL_FILE, threads)
        self._input_names = {i.name for i in self.session.get_inputs()}
        self._negative = self.labels.index("negative")
        self._positive = self.labels.index("positive")

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", MODEL_NAME))

    def probabilities(self, items: Sequence[tuple[str, int, int]]) -> np.ndarray:
        """Class probabilities, shape (len(items), 3), columns in :attr:`labels` order."""
        return softmax(self.logits(items) / self.temperature)

    def logits(self, items: Sequence[tuple[str, int, int]]) -> np.ndarray:
        """Raw model logits, shape (len(items), 3), columns in :attr:`labels` order."""
        for index, (text, start, end) in enumerate(items):
            try:
                check_span(text, start, end)
            except ValueError as exc:
                raise ValueError(f"item {index}: {exc}") from None
        ids = self.encoder.encode(items)
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for first in range(0, len(order), self.batch_size):
            chunk = order[first : first + self.batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = np.full((len(chunk), width), self.encoder.pad_id, dtype=np.int64)
            attention = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = ids[i]
                attention[row, : len(ids[i])] = 1
            feeds = {"input_ids": input_ids, "attention_mask": attention}
            feeds = {name: value for name, value in feeds.items() if name in self._input_names}
            logits = self.session.run(["logits"], feeds)[0]
            out[chunk] = np.asarray(logits, dtype=np.float32)
        return out

    def predict(self, items: Sequence[tuple[str, int, int]]) -> list[TargetSentiment]:
        """One result per (text, start, end) item, in order; ``ValueError`` on a span outside its text."""
        probs = self.probabilities(items)
        results: list[TargetSentiment] = []
        for row in probs:
            best = int(row.argmax())
            score = float(np.clip(row[self._positive] - row[self._negative], -1.0, 1.0))
            results.append(
                TargetSentiment(
                    polarity=self.labels[best],
                    score=score,
                    probabilities={label: float(p) for label, p in zip(self.labels, row, strict=True)},
                )
            )
        return results


@functools.lru_cache(maxsize=4)
def _cached(model_dir: str, threads: int, batch_size: int | None) -> TargetSentimentModel:
    return TargetSentimentModel(model_dir, threads=threads, batch_size=batch_size)


def shared_model(
    model_dir: str | Path | None = None, *, threads: int = 1, batch_size: int | None = None
) -> TargetSentimentModel:
    """The process-wide model for this artifact: loaded on the first call, reused after."""
    folder = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    return _cached(str(folder.resolve()), threads, batch_size)
