"""Softmax temperature scaling (Guo et al., 2017) and the expected calibration error, in numpy.

A fine-tuned classifier trained to a low loss is over-confident: without scaling nearly every score
would sit at ±1. One temperature, fitted on data kept out of training, makes the probabilities (and so
``score`` = p(positive) − p(negative)) mean what they say; it never changes the predicted label.
"""

from __future__ import annotations

import itertools

import numpy as np

from streams.sentiment.model import softmax


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    scaled = logits / temperature
    shifted = scaled - scaled.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, low: float = 0.25, high: float = 50.0) -> float:
    """The temperature in [low, high] minimising the NLL of ``labels`` (grid search in log space, then refined)."""
    if len(labels) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(low), np.log(high), 400))
    losses = [negative_log_likelihood(logits, labels, t) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = np.linspace(lo, hi, 101)
    return float(fine[int(np.argmin([negative_log_likelihood(logits, labels, t) for t in fine]))])


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |confidence − accuracy| over equal-width confidence bins, weighted by bin size."""
    if len(labels) == 0:
        return 0.0
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)


def calibration_figures(logits: np.ndarray, labels: np.ndarray, temperature: float) -> dict[str, float]:
    return {
        "nll": round(negative_log_likelihood(logits, labels, 1.0), 4),
        "nll_scaled": round(negative_log_likelihood(logits, labels, temperature), 4),
        "ece": round(expected_calibration_error(softmax(logits), labels), 4),
        "ece_scaled": round(expected_calibration_error(softmax(logits / temperature), labels), 4),
    }
