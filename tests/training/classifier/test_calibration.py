"""Temperature scaling and threshold selection on constructed examples."""

from __future__ import annotations

import numpy as np
import pytest

from model.card import Calibration
from model.lesions import LESION_CLASSES
from model.predictor import class_probabilities
from training.classifier.calibration import (
    choose_risk_thresholds,
    fit_temperature,
    kth_highest,
    youden_threshold,
)
from training.evaluation.metrics import expected_calibration_error


def sensitivity(labels: np.ndarray, probabilities: np.ndarray, threshold: float) -> float:
    return float(np.mean(probabilities[labels == 1] >= threshold))


def test_kth_highest_meets_the_share_exactly_and_is_the_highest() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([1] * 30 + [0] * 70)
    probabilities = np.where(labels == 1, rng.beta(5, 2, 100), rng.beta(2, 5, 100))
    threshold = kth_highest(probabilities[labels == 1], 0.9)
    assert sensitivity(labels, probabilities, threshold) == pytest.approx(27 / 30)
    higher = np.nextafter(threshold, 1.0)
    assert sensitivity(labels, probabilities, higher) < 0.9


def test_kth_highest_on_a_hand_made_example() -> None:
    melanomas = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.1])
    assert kth_highest(melanomas, 0.9) == 0.3
    assert kth_highest(melanomas, 0.5) == 0.7
    assert kth_highest(melanomas, 1.0) == 0.1
    assert kth_highest(np.array([]), 0.9) == np.inf  # no photos of the class: no constraint


def test_kth_highest_with_tied_scores() -> None:
    labels = np.array([1, 1, 1, 1, 0, 0])
    probabilities = np.array([0.8, 0.5, 0.5, 0.5, 0.5, 0.1])
    threshold = kth_highest(probabilities[labels == 1], 0.75)
    assert threshold == 0.5 and sensitivity(labels, probabilities, threshold) == 1.0


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


def test_temperature_lowers_ece_of_overconfident_logits() -> None:
    rng = np.random.default_rng(3)
    true_logits = rng.normal(-1.5, 2.0, 5000)
    labels = (rng.random(5000) < 1 / (1 + np.exp(-true_logits))).astype(int)
    overconfident = np.stack([np.zeros(5000), 4.0 * true_logits], axis=1)
    raw = class_probabilities(overconfident, Calibration("temperature", slope=1.0))[:, 1]
    calibration = fit_temperature(overconfident, labels, balanced=False)
    assert calibration.method == "temperature"
    assert calibration.slope == pytest.approx(0.25, abs=0.03)
    calibrated = class_probabilities(overconfident, calibration)[:, 1]
    assert expected_calibration_error(labels, calibrated) < 0.02
    assert expected_calibration_error(labels, raw) > expected_calibration_error(labels, calibrated)


def test_temperature_rejects_labels_out_of_range() -> None:
    with pytest.raises(ValueError, match="Received"):
        fit_temperature(np.zeros((2, 3)), [0, 3])


def test_risk_thresholds_flag_the_required_shares_on_validation() -> None:
    rng = np.random.default_rng(2)
    labels = np.arange(800) % len(LESION_CLASSES)
    probabilities = rng.dirichlet(np.ones(len(LESION_CLASSES)), 800)
    probabilities[np.arange(800), labels] += 0.3
    probabilities /= probabilities.sum(axis=1, keepdims=True)

    thresholds = choose_risk_thresholds(labels, probabilities, LESION_CLASSES)

    malignant = probabilities[:, [1, 2, 4, 5]].sum(axis=1)  # melanoma, bcc, akiec, scc
    names = np.array(LESION_CLASSES)[labels]
    assert np.mean(malignant[names == "melanoma"] >= thresholds.screening) >= 0.90
    for carcinoma in ("bcc", "scc"):
        assert np.mean(malignant[names == carcinoma] >= thresholds.screening) >= 0.95
    urgent = probabilities[:, [1, 5]].sum(axis=1)
    assert np.mean(urgent[names == "bkl"] >= thresholds.balanced) <= 0.10 + 1 / 100
