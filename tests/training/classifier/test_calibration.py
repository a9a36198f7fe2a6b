"""Platt scaling and threshold selection on constructed examples."""

from __future__ import annotations

import numpy as np
import pytest

from model.card import Thresholds
from model.predictor import calibrate
from training.classifier.calibration import (
    choose_thresholds,
    fit_platt,
    screening_threshold,
    youden_threshold,
)
from training.evaluation.metrics import expected_calibration_error


def sensitivity(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> float:
    return float(np.mean(probabilities[labels == 1] >= threshold))


def test_screening_threshold_meets_target_exactly_and_is_the_highest() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([1] * 30 + [0] * 70)
    probabilities = np.where(labels == 1, rng.beta(5, 2, 100), rng.beta(2, 5, 100))
    threshold = screening_threshold(labels, probabilities, min_sensitivity=0.9)
    assert sensitivity(labels, probabilities, threshold) == pytest.approx(27 / 30)
    higher = np.nextafter(threshold, 1.0)
    assert sensitivity(labels, probabilities, higher) < 0.9


def test_screening_threshold_on_a_hand_made_example() -> None:
    labels = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0])
    probabilities = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.1, 0.2, 0.35, 0.05])
    assert screening_threshold(labels, probabilities, 0.9) == 0.3
    assert screening_threshold(labels, probabilities, 0.5) == 0.7
    assert screening_threshold(labels, probabilities, 1.0) == 0.1


def test_screening_threshold_with_tied_probabilities() -> None:
    labels = np.array([1, 1, 1, 1, 0, 0])
    probabilities = np.array([0.8, 0.5, 0.5, 0.5, 0.5, 0.1])
    threshold = screening_threshold(labels, probabilities, 0.75)
    assert threshold == 0.5 and sensitivity(labels, probabilities, threshold) == 1.0


def test_screening_threshold_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="min_sensitivity=0"):
        screening_threshold([1, 0], [0.5, 0.2], min_sensitivity=0.0)
    with pytest.raises(ValueError, match="at least one melanoma"):
        screening_threshold([0, 0], [0.5, 0.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        screening_threshold([1, 0], [1.5, 0.2])
    with pytest.raises(ValueError, match="equal length"):
        screening_threshold([1, 0, 1], [0.5, 0.2])


def test_youden_threshold_separates_a_separable_set() -> None:
    labels = np.array([0, 0, 0, 1, 1, 1])
    probabilities = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    threshold = youden_threshold(labels, probabilities)
    assert threshold == 0.6


def test_youden_threshold_maximises_j() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    probabilities = np.clip(rng.normal(0.35 + 0.3 * labels, 0.15), 0, 1)
    best = youden_threshold(labels, probabilities)

    def j(t: float) -> float:
        predicted = probabilities >= t
        return predicted[labels == 1].mean() - predicted[labels == 0].mean()

    assert all(j(best) >= j(t) - 1e-12 for t in np.unique(probabilities))


def test_choose_thresholds_returns_card_thresholds() -> None:
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 200)
    probabilities = np.clip(rng.normal(0.3 + 0.4 * labels, 0.2), 0, 1)
    thresholds = choose_thresholds(labels, probabilities)
    assert isinstance(thresholds, Thresholds)
    assert sensitivity(labels, probabilities, thresholds.screening) >= 0.9


def test_platt_lowers_ece_of_overconfident_logits() -> None:
    rng = np.random.default_rng(3)
    true_logits = rng.normal(-1.5, 2.0, 5000)
    labels = (rng.random(5000) < 1 / (1 + np.exp(-true_logits))).astype(int)
    overconfident = 4.0 * true_logits + 1.0
    raw = 1 / (1 + np.exp(-overconfident))
    calibration = fit_platt(overconfident, labels)
    assert calibration.method == "platt"
    assert calibration.slope == pytest.approx(0.25, abs=0.03)
    calibrated = calibrate(overconfident, calibration)
    assert expected_calibration_error(labels, calibrated) < 0.02
    assert expected_calibration_error(labels, calibrated) < expected_calibration_error(labels, raw)


def test_platt_is_finite_on_separable_data() -> None:
    calibration = fit_platt([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], [0, 0, 0, 1, 1, 1])
    assert np.isfinite([calibration.slope, calibration.intercept]).all()
    assert calibration.slope > 0


def test_platt_rejects_a_single_class() -> None:
    with pytest.raises(ValueError, match="both classes"):
        fit_platt([0.1, 0.2], [1, 1])
