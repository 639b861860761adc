"""The joint stance + sentiment model at run time: onnxruntime + tokenizers + numpy, nothing heavier.

One encoder pass per sentence reads every candidate span of it at once (see :mod:`.encoding`); two
small heads in numpy then give

* for each requested pair (holder candidate i, target candidate j) the 5 directed classes of Park et
  al. (none, i → j positive, j → i positive, i → j negative, j → i negative), the pair read both ways
  and averaged, so that (i, j) and (j, i) always agree;
* for each span the sentiment of the sentence toward it (negative / neutral / positive, NewsMTSC).

Probabilities are softmax(logits / T) with one temperature per head fitted on data kept out of
training (the manifest says which), so a probability of 0.8 is right about 8 times in 10.

Load it once per process (:func:`shared_model`). Sentences go through onnxruntime one per call: the
int8 model quantizes activations per call, so a batch would make a sentence's scores depend on its
neighbours; one unpadded sentence per call costs about the same.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from streams.inference import cpu_session
from streams.sentiment.base import POLARITIES, TargetSentiment, check_span
from streams.stancemodel.decision import decide, decide_with_distribution
from streams.stancemodel.encoding import MarkedSentence, SpanMarker

MODEL_NAME = "stance-sentiment-v1"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "data" / "models" / MODEL_NAME
#: The same architecture trained on directed stance alone (``--sentiment-weight 0``): its pair head
#: reads stances better than the joint model's, its target head is untrained (docs/stances.md).
PAIR_MODEL_NAME = "stance-pairs-v1"
DEFAULT_PAIR_MODEL_DIR = DEFAULT_MODEL_DIR.parent / PAIR_MODEL_NAME
MODEL_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
HEADS_FILE = "heads.npz"
MANIFEST_FILE = "manifest.json"
#: Index of the same class when the pair is read the other way round (Park et al.'s labels).
SWAPPED = (0, 2, 1, 4, 3)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True))


def _erf(x: np.ndarray) -> np.ndarray:
    """erf, vectorised (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.asarray(sign * (1.0 - poly * np.exp(-a * a)))


def _gelu(x: np.ndarray) -> np.ndarray:
    """torch's exact GELU (the erf form), which the pair head was trained with."""
    return np.asarray(0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))), dtype=np.float32)


@dataclass(frozen=True, slots=True)
class SentenceRequest:
    """A sentence, its candidate spans (character offsets, not overlapping) and the pairs to read."""

    text: str
    spans: tuple[tuple[int, int], ...]
    pairs: tuple[tuple[int, int], ...] = ()
    #: False: the caller needs no sentiment toward the spans, only the pairs' stances (with two
    #: models, :class:`PairAndTargetModels`, the sentiment model then does not read the sentence).
    sentiment: bool = True


def check_requests(requests: Sequence[SentenceRequest]) -> None:
    """``ValueError`` naming the request, unless every span is a piece of its text and every pair
    names two different spans of its request."""
    for index, request in enumerate(requests):
        for start, end in request.spans:
            try:
                check_span(request.text, start, end)
            except ValueError as exc:
                raise ValueError(f"request {index}: {exc}") from None
        for i, j in request.pairs:
            if not (0 <= i < len(request.spans) and 0 <= j < len(request.spans)) or i == j:
                raise ValueError(f"request {index}: pair ({i}, {j}) does not name two of its spans")


@dataclass(frozen=True, slots=True)
class SentenceResult:
    """Per span and per requested pair: calibrated probabilities (``raw``: logits), or None when the
    span fell outside the model's window of a very long sentence."""

    span_scores: list[np.ndarray | None]
    pair_scores: list[np.ndarray | None]
    #: The class each pair gets (``StanceSentimentModel.stance_class``); None where unread.
    pair_classes: list[int | None]
    #: Per pair, the distribution the decision compares (``decision.decision_distribution``).
    pair_decision: list[np.ndarray | None] = field(default_factory=list)

    @property
    def span_logits(self) -> list[np.ndarray | None]:
        return self.span_scores

    @property
    def pair_logits(self) -> list[np.ndarray | None]:
        return self.pair_scores


class StanceSentimentModel:
    """Directed stance between marked entities and sentiment toward each, one encoder pass a sentence."""

    name = "trained"

    def __init__(self, model_dir: str | Path | None = None, *, threads: int = 1) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        manifest_path = self.model_dir / MANIFEST_FILE
        if not manifest_path.is_file():
            raise FileNotFoundError(f"no stance model at {self.model_dir} (missing {MANIFEST_FILE})")
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        if tuple(self.manifest.get("sentiment_labels", POLARITIES)) != POLARITIES:
            raise ValueError("unexpected sentiment labels in the manifest")
        self.stance_labels = tuple(self.manifest["stance_labels"])
        temperatures = self.manifest.get("temperatures", {})
        self.stance_temperature = float(temperatures.get("stance", 1.0))
        self.sentiment_temperature = float(temperatures.get("sentiment", 1.0))
        if not (self.stance_temperature > 0 and self.sentiment_temperature > 0):
            raise ValueError("temperatures must be positive")
        bias = self.manifest.get("stance_decision_bias")
        #: Per-class decision biases on log-probabilities (``streams.stancemodel.decision``).
        self.stance_bias = np.asarray(bias, dtype=np.float64) if bias is not None else None
        self.marker = SpanMarker.from_file(
            self.model_dir / TOKENIZER_FILE, max_length=int(self.manifest.get("max_length", 128))
        )
        with np.load(self.model_dir / HEADS_FILE) as heads:
            self._heads = {name: np.asarray(heads[name], dtype=np.float32) for name in heads.files}
        self.session = cpu_session(self.model_dir / MODEL_FILE, threads)
        self._outputs = ["states"]
        self.sentences_encoded = 0

    def stance_class(self, probabilities: np.ndarray) -> int:
        """The class a pair's reading gives (see :mod:`streams.stancemodel.decision`)."""
        return int(decide(probabilities, self.stance_bias))

    @property
    def version(self) -> str:
        return str(self.manifest.get("version", MODEL_NAME))

    # -- heads ---------------------------------------------------------------------------------------
    def _pair_logits(
        self, h: np.ndarray, pairs: np.ndarray, mean: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Logits of each pair read forward (i, j) and backward (j, i), for the span states ``h``.

        The hidden layer over [h_i, h_j, h_i·h_j, mean] is split by blocks of its weight, so each
        span is multiplied once, not once per pair, and the symmetric product term serves both
        readings: a sentence of n spans costs two n-row products and one row per pair. Both readings
        then go through the activation and the output layer as one array.
        """
        heads = self._heads
        w = heads["pair_hidden_weight"]
        size = h.shape[1]
        first, second = h @ w[:size], h @ w[size : 2 * size]
        i, j = pairs[:, 0], pairs[:, 1]
        shared = (h[i] * h[j]) @ w[2 * size : 3 * size] + (mean @ w[3 * size :] + heads["pair_hidden_bias"])
        hidden = _gelu(np.concatenate([first[i] + second[j] + shared, first[j] + second[i] + shared]))
        logits = hidden @ heads["pair_out_weight"] + heads["pair_out_bias"]
        return logits[: len(pairs)], logits[len(pairs) :]

    def _target_logits(self, h_t: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """linear([h_t, mean]), the weight split by blocks so that ``mean`` is multiplied once."""
        heads = self._heads
        w = heads["target_out_weight"]
        size = h_t.shape[1]
        return np.asarray(h_t @ w[:size] + (mean @ w[size:] + heads["target_out_bias"]))

    # -- the one call ----------------------------------------------------------------------------------
    def analyze(self, requests: Sequence[SentenceRequest], *, raw: bool = False) -> list[SentenceResult]:
        """One result per request, in order. ``raw``: logits (pairs: the log of the two readings'
        mean probability) instead of calibrated probabilities."""
        check_requests(requests)
        return self.read(requests, self.mark(requests), raw=raw)

    def mark(self, requests: Sequence[SentenceRequest]) -> list[MarkedSentence]:
        """The model's input for each request: its tokens with every span marked."""
        return self.marker.encode([(r.text, r.spans) for r in requests])

    def read(
        self,
        requests: Sequence[SentenceRequest],
        marked: Sequence[MarkedSentence],
        *,
        raw: bool = False,
        spans: bool = True,
    ) -> list[SentenceResult]:
        """:meth:`analyze` for requests already checked and marked by this model's tokenizer.
        ``spans=False``: no sentiment toward the spans (all None), for a caller that takes it elsewhere.

        Matrix products run per sentence, so that a sentence's scores never depend on the other
        sentences of the call; the per-pair steps (softmax, decision) run on all pairs of a sentence
        at once. Every sentence is encoded first and the heads read them after, so that the heads'
        weights stay in the CPU's cache from one sentence to the next instead of being pushed out by
        the encoder's."""
        encoded: list[tuple[np.ndarray, np.ndarray] | None] = []
        for request, sentence in zip(requests, marked, strict=True):
            if not request.spans:
                encoded.append(None)
                continue
            ids = np.array([sentence.ids], dtype=np.int64)
            states = self.session.run(self._outputs, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
            states = states[0][0]
            self.sentences_encoded += 1
            encoded.append((states[[p for p in sentence.positions if p is not None]], states.mean(axis=0)))
        return [
            self._heads_of(request, sentence, item, raw=raw, spans=spans)
            for request, sentence, item in zip(requests, marked, encoded, strict=True)
        ]

    def _heads_of(
        self,
        request: SentenceRequest,
        sentence: MarkedSentence,
        item: tuple[np.ndarray, np.ndarray] | None,
        *,
        raw: bool,
        spans: bool,
    ) -> SentenceResult:
        """One sentence's result from its span states ``h`` (the spans in the window) and mean state."""
        if item is None:
            return SentenceResult([], [], [])
        h, mean = item
        row_of = {k: n for n, k in enumerate(k for k, p in enumerate(sentence.positions) if p is not None)}
        span_scores: list[np.ndarray | None] = [None] * len(request.spans)
        if spans and row_of:
            logits = self._target_logits(h, mean)
            span_rows = logits if raw else softmax(logits / self.sentiment_temperature)
            for k, n in row_of.items():
                span_scores[k] = span_rows[n]
        count = len(request.pairs)
        pair_scores: list[np.ndarray | None] = [None] * count
        pair_classes: list[int | None] = [None] * count
        pair_decision: list[np.ndarray | None] = [None] * count
        readable = [n for n, (i, j) in enumerate(request.pairs) if i in row_of and j in row_of]
        if readable:
            pairs = np.array(
                [[row_of[request.pairs[n][0]], row_of[request.pairs[n][1]]] for n in readable],
                dtype=np.int64,
            )
            forward_logits, backward_logits = self._pair_logits(h, pairs, mean)
            forward = softmax(forward_logits)
            backward = softmax(backward_logits)[:, SWAPPED]
            log_mean = np.log(np.clip((forward + backward) / 2, 1e-12, 1.0))
            rows = log_mean if raw else softmax(log_mean / self.stance_temperature)
            for n, row in zip(readable, rows, strict=True):
                pair_scores[n] = row
            if not raw:
                classes, decisions = decide_with_distribution(rows, self.stance_bias)
                for n, label, decided in zip(readable, classes.tolist(), decisions, strict=True):
                    pair_classes[n] = int(label)
                    pair_decision[n] = decided
        return SentenceResult(span_scores, pair_scores, pair_classes, pair_decision)

    # -- the sentiment scorer protocol (``stancewire eval sentiment``, tone) ----------------------------
    def predict(self, items: Sequence[tuple[str, int, int]]) -> list[TargetSentiment]:
        """Sentiment toward each (text, start, end), the targets of one text read in one pass as the
        pipeline does; a target overlapping another of the same text goes into a pass of its own."""
        for index, (text, start, end) in enumerate(items):
            try:
                check_span(text, start, end)
            except ValueError as exc:
                raise ValueError(f"item {index}: {exc}") from None
        requests: list[list[tuple[int, int]]] = []
        texts: list[str] = []
        placed: list[tuple[int, int]] = []
        by_text: dict[str, list[int]] = {}
        for text, start, end in items:
            span = (start, end)
            slot = None
            for r in by_text.get(text, []):
                spans = requests[r]
                if span in spans or not any(start < e and s < end for s, e in spans):
                    slot = r
                    break
            if slot is None:
                slot = len(requests)
                requests.append([])
                texts.append(text)
                by_text.setdefault(text, []).append(slot)
            if span not in requests[slot]:
                requests[slot].append(span)
            placed.append((slot, requests[slot].index(span)))
        results = self.analyze([SentenceRequest(t, tuple(s)) for t, s in zip(texts, requests, strict=True)])
        out: list[TargetSentiment] = []
        for slot, k in placed:
            row = results[slot].span_scores[k]
            probabilities = row if row is not None else np.array([0.0, 1.0, 0.0])
            out.append(sentiment_of(probabilities))
        return out


class PairAndTargetModels:
    """Stances from one artifact's pair head, sentiment from another's target head.

    Trained together, one encoder serves both heads, but longer training for stances costs target
    sentiment (docs/stances.md, "Training runs that did not ship"). Here the stance model encodes the
    sentences that hold a pair, the joint model every sentence that wants sentiment, and each result
    takes its span scores from the one and its pair scores from the other. Same interface as one model.
    """

    name = "trained"

    def __init__(
        self, pairs: StanceSentimentModel, targets: StanceSentimentModel, *, skip_none: float = 0.8
    ) -> None:
        self.pairs = pairs
        self.targets = targets
        self.model_dir = pairs.model_dir
        #: A sentence whose every pair the joint model reads as none with at least this probability
        #: keeps that reading, unread by the stance model (about a quarter of the sentences with a pair
        #: on valid; 1: the stance model reads every pair). Selected on valid (docs/stances.md).
        self.skip_none = skip_none
        self._same_marking = (
            pairs.marker.tokenizer.to_str() == targets.marker.tokenizer.to_str()
            and pairs.marker.max_length == targets.marker.max_length
        )

    @property
    def version(self) -> str:
        return f"{self.pairs.version} + {self.targets.version}"

    @property
    def sentences_encoded(self) -> int:
        return self.pairs.sentences_encoded + self.targets.sentences_encoded

    def stance_class(self, probabilities: np.ndarray) -> int:
        return self.pairs.stance_class(probabilities)

    def analyze(self, requests: Sequence[SentenceRequest], *, raw: bool = False) -> list[SentenceResult]:
        """``raw``: logits, and the stance model reads every sentence with a pair.

        The joint model reads every request that wants sentiment (all of them when ``raw``); the
        stance model then reads the requests with a pair, except those the joint model read as none
        for every pair (``skip_none``). A request that wants no sentiment and holds no pair is not
        read at all: its spans score None."""
        check_requests(requests)
        marked = self.targets.mark(requests)
        joint = [n for n, r in enumerate(requests) if raw or r.sentiment]
        results: list[SentenceResult | None] = [None] * len(requests)
        read = self.targets.read([requests[n] for n in joint], [marked[n] for n in joint], raw=raw)
        for n, result in zip(joint, read, strict=True):
            results[n] = result
        with_pairs = []
        for n, request in enumerate(requests):
            known = results[n]
            if request.pairs and (
                raw
                or known is None
                or any(row is None or row[0] < self.skip_none for row in known.pair_scores)
            ):
                with_pairs.append(n)
        chosen = [requests[n] for n in with_pairs]
        # The shipped pair of artifacts shares one tokenizer: the sentences are marked once.
        stance_input = [marked[n] for n in with_pairs] if self._same_marking else self.pairs.mark(chosen)
        for n, stance in zip(
            with_pairs, self.pairs.read(chosen, stance_input, raw=raw, spans=False), strict=True
        ):
            known = results[n]
            unread: list[np.ndarray | None] = [None] * len(requests[n].spans)
            span_scores = known.span_scores if known is not None else unread
            results[n] = SentenceResult(
                span_scores, stance.pair_scores, stance.pair_classes, stance.pair_decision
            )
        return [
            result if result is not None else SentenceResult([None] * len(request.spans), [], [])
            for request, result in zip(requests, results, strict=True)
        ]

    def predict(self, items: Sequence[tuple[str, int, int]]) -> list[TargetSentiment]:
        return self.targets.predict(items)


def sentiment_of(probabilities: np.ndarray) -> TargetSentiment:
    best = int(np.argmax(probabilities))
    score = float(np.clip(probabilities[2] - probabilities[0], -1.0, 1.0))
    return TargetSentiment(
        polarity=POLARITIES[best],
        score=score,
        probabilities={label: float(p) for label, p in zip(POLARITIES, probabilities, strict=True)},
    )


@functools.lru_cache(maxsize=4)
def _cached(model_dir: str, threads: int) -> StanceSentimentModel:
    return StanceSentimentModel(model_dir, threads=threads)


def shared_model(model_dir: str | Path | None = None, *, threads: int = 1) -> StanceSentimentModel:
    """The process-wide model for this artifact: loaded on the first call, reused after."""
    folder = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
    return _cached(str(folder.resolve()), threads)
