"""Temperature scaling and the calibration error, on synthetic logits."""

from __future__ import annotations

import numpy as np
import pytest

from streams.sentiment.calibration import (
    calibration_figures,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
)
from streams.sentiment.model import softmax


def overconfident(n: int = 3000, accuracy: float = 0.7, margin: float = 12.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    predicted = np.where(rng.random(n) < accuracy, labels, (labels + rng.integers(1, 3, n)) % 3)
    logits = rng.normal(0.0, 0.1, (n, 3))
    logits[np.arange(n), predicted] += margin
    return logits, labels


def test_temperature_cools_an_overconfident_model():
    logits, labels = overconfident()
    temperature = fit_temperature(logits, labels)
    assert temperature > 2.0
    assert negative_log_likelihood(logits, labels, temperature) < negative_log_likelihood(logits, labels)
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits / temperature), labels)
    assert before > 0.25 and after < 0.05
    # The labels never change: only the confidence does.
    assert (softmax(logits / temperature).argmax(1) == logits.argmax(1)).all()
    figures = calibration_figures(logits, labels, temperature)
    assert figures["ece_scaled"] < figures["ece"] and figures["nll_scaled"] < figures["nll"]


def test_a_calibrated_model_keeps_a_temperature_near_one():
    rng = np.random.default_rng(1)
    logits = rng.normal(0.0, 2.0, (20000, 3))
    probabilities = softmax(logits)
    labels = (rng.random((len(logits), 1)) > probabilities.cumsum(axis=1)).sum(axis=1)
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.1)
    assert expected_calibration_error(probabilities, labels) < 0.03


def test_empty_inputs():
    empty = np.zeros((0, 3))
    assert fit_temperature(empty, np.zeros(0, dtype=int)) == 1.0
    assert expected_calibration_error(empty, np.zeros(0, dtype=int)) == 0.0
