"""Evaluation metrics: values on known cases, per-source grouping, JSON output."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from model.card import Thresholds
from training.evaluation.metrics import (
    binary_metrics,
    bootstrap_auc,
    expected_calibration_error,
    metrics_by_source,
    threshold_metrics,
    wilson_interval,
)

THRESHOLDS = Thresholds(screening=0.3, balanced=0.6)


def noisy_scores(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.2).astype(int)
    probabilities = np.clip(rng.normal(0.3 + 0.35 * labels, 0.18), 0, 1)
    return labels, probabilities


def test_ece_is_zero_when_calibrated_per_bin_and_known_otherwise() -> None:
    labels = np.array([0, 1, 0, 1])
    assert expected_calibration_error(labels, [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)
    assert expected_calibration_error([0, 0, 1, 1], [0.9, 0.9, 0.1, 0.1]) == pytest.approx(0.9)
    assert expected_calibration_error([1], [1.0]) == pytest.approx(0.0)


def test_bootstrap_auc_matches_sklearn_and_brackets_it() -> None:
    labels, scores = noisy_scores()
    auc, low, high = bootstrap_auc(labels, scores, n_bootstrap=300, seed=1)
    assert auc == pytest.approx(roc_auc_score(labels, scores))
    assert low < auc < high and high - low < 0.15
    assert bootstrap_auc(labels, scores, n_bootstrap=300, seed=1) == (auc, low, high)


def test_bootstrap_auc_handles_ties_and_logits() -> None:
    labels = np.array([0, 0, 1, 1])
    assert bootstrap_auc(labels, [-2.0, 3.0, 3.0, 5.0], n_bootstrap=20)[0] == pytest.approx(
        roc_auc_score(labels, [-2.0, 3.0, 3.0, 5.0])
    )
    with pytest.raises(ValueError, match="both classes"):
        bootstrap_auc([1, 1], [0.2, 0.3])


def test_binary_metrics_on_a_hand_made_example() -> None:
    labels = [1, 1, 1, 0, 0, 0, 0]
    probabilities = [0.9, 0.5, 0.2, 0.4, 0.1, 0.7, 0.0]
    metrics = binary_metrics(labels, probabilities, THRESHOLDS, n_bootstrap=50)
    assert metrics["n"] == 7 and metrics["n_melanoma"] == 3
    screening = metrics["screening"]
    assert screening["confusion"] == [[2, 2], [1, 2]]
    assert screening["sensitivity"] == pytest.approx(2 / 3)
    assert screening["specificity"] == pytest.approx(0.5)
    assert screening["balanced_accuracy"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert screening["accuracy"] == pytest.approx(4 / 7)
    assert screening["f1"] == pytest.approx(4 / 7)
    assert metrics["balanced"]["confusion"] == [[3, 1], [2, 1]]
    expected_brier = np.mean((np.array(probabilities) - np.array(labels)) ** 2)
    assert metrics["brier"] == pytest.approx(expected_brier)
    assert metrics["roc_auc_ci_low"] <= metrics["roc_auc"] <= metrics["roc_auc_ci_high"]


def test_metrics_by_source_is_json_and_survives_a_single_class_group() -> None:
    labels, probabilities = noisy_scores()
    sources = np.where(np.arange(labels.size) % 3 == 0, "ISIC2017", "HAM10000").tolist()
    labels[-5:] = 0
    sources[-5:] = ["clinic_x"] * 5
    report = metrics_by_source(labels, probabilities, sources, THRESHOLDS, n_bootstrap=100)
    assert list(report) == ["overall", "HAM10000", "ISIC2017", "clinic_x"]
    assert report["clinic_x"]["roc_auc"] is None
    assert report["clinic_x"]["screening"]["sensitivity"] is None
    assert report["clinic_x"]["screening"]["specificity"] is not None
    assert report["overall"]["n"] == labels.size
    assert isinstance(report["HAM10000"]["roc_auc"], float)
    json.loads(json.dumps(report, allow_nan=False))


def test_metrics_reject_mismatched_sources_and_bad_labels() -> None:
    with pytest.raises(ValueError, match="one entry per label"):
        metrics_by_source([0, 1], [0.1, 0.9], ["a"], THRESHOLDS)
    with pytest.raises(ValueError, match="0 or 1"):
        binary_metrics([0, 2], [0.1, 0.9], THRESHOLDS)


def test_sensitivity_and_specificity_carry_95_percent_wilson_intervals() -> None:
    # Wilson's interval for 9 of 10: 0.596-0.982 (Newcombe 1998, method 3).
    np.testing.assert_allclose(wilson_interval(9, 10), [0.5958, 0.9821], atol=1e-4)
    assert wilson_interval(0, 0) is None
    labels = np.array([1] * 10 + [0] * 4)
    probabilities = np.array([0.9] * 9 + [0.1] + [0.1] * 4)

    figures = threshold_metrics(labels, probabilities, 0.5)

    assert figures["sensitivity"] == pytest.approx(0.9)
    np.testing.assert_allclose(figures["sensitivity_ci"], [0.5958, 0.9821], atol=1e-4)
    low, high = figures["specificity_ci"]
    assert figures["specificity"] == 1.0 and high == 1.0 and 0.4 < low < 0.6
