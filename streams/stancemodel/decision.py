"""Which stance class a pair gets: the most probable one after per-class decision biases.

The 5 classes are very unequal (valid: 955 none, 285 p → q negative, 29 q → p positive), so the plain
argmax of calibrated probabilities under-reports the rare directions and macro-F1 pays for it. One
additive bias per class on the log-probabilities, chosen on the valid split (as Park et al.'s data
README directs: "select models and thresholds on valid"), moves the decision without touching the
probabilities: a stance's ``confidence`` stays the calibrated probability of the class it was given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bias grid for each non-"none" class (class 0 stays at 0: only differences matter).
GRID = np.round(np.linspace(-1.0, 3.0, 21), 3)


def decide(probabilities: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """Class index per row of ``probabilities`` (shape (n, k) or (k,))."""
    return np.asarray(np.argmax(_scores(probabilities, bias), axis=-1))


def decision_distribution(probabilities: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """The probabilities the decision compares: softmax(log p + bias). Its largest entry is the class
    :func:`decide` gives, so a signed strength read from it (p(positive) − p(negative) in the chosen
    direction) always agrees with that class in sign; without biases it is ``probabilities``."""
    if bias is None:
        return probabilities
    return _softmax(_scores(probabilities, bias))


def decide_with_distribution(
    probabilities: np.ndarray, bias: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`decide` and :func:`decision_distribution` of the same rows, the logarithm taken once."""
    scores = _scores(probabilities, bias)
    classes = np.asarray(np.argmax(scores, axis=-1))
    return classes, (probabilities if bias is None else _softmax(scores))


def _scores(probabilities: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """What the decision compares: log-probabilities plus the per-class biases."""
    logp = np.log(np.clip(probabilities, 1e-12, 1.0))
    return logp if bias is None else logp + bias


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True))


def macro_f1(gold: np.ndarray, predicted: np.ndarray, classes: int) -> float:
    total = 0.0
    for k in range(classes):
        tp = int(np.sum((gold == k) & (predicted == k)))
        fp = int(np.sum((gold != k) & (predicted == k)))
        fn = int(np.sum((gold == k) & (predicted != k)))
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / classes


def fit_bias(probabilities: np.ndarray, gold: Sequence[int], rounds: int = 3) -> np.ndarray:
    """Per-class biases maximising macro-F1 on (probabilities, gold), by coordinate ascent on a grid;
    ties keep the smaller move, so an uninformative class keeps a bias of 0."""
    labels = np.asarray(gold)
    classes = probabilities.shape[1]
    logp = np.log(np.clip(probabilities, 1e-12, 1.0))
    bias = np.zeros(classes)
    best = macro_f1(labels, np.argmax(logp + bias, axis=1), classes)
    for _ in range(rounds):
        changed = False
        for k in range(1, classes):
            for value in sorted(GRID, key=abs):
                trial = bias.copy()
                trial[k] = value
                score = macro_f1(labels, np.argmax(logp + trial, axis=1), classes)
                if score > best + 1e-9:
                    best, bias, changed = score, trial, True
        if not changed:
            break
    return bias
