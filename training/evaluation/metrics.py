"""Evaluation metrics, overall and per source, as plain JSON-serialisable dicts.

Usage:
    report = metrics_by_source(labels, probabilities, sources, card.thresholds)
    Path("metrics.json").write_text(json.dumps(report, indent=2))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import average_precision_score

from model.card import Thresholds
from training.classifier.calibration import check_binary, check_probabilities


def expected_calibration_error(labels: object, probabilities: object, n_bins: int = 10) -> float:
    """Return the ECE: the image-weighted mean |mean probability - melanoma rate|.

    Uses `n_bins` equal-width bins on [0, 1]; probability 1.0 falls in the last bin.

    Raises:
        ValueError: On bad inputs or `n_bins` < 1.
    """
    if n_bins < 1:
        raise ValueError(f"`n_bins` must be >= 1. Received: n_bins={n_bins}")
    label_array, probability_array = check_probabilities(labels, probabilities)
    bins = np.minimum((probability_array * n_bins).astype(np.int64), n_bins - 1)
    confidence = np.bincount(bins, weights=probability_array, minlength=n_bins)
    observed = np.bincount(bins, weights=label_array.astype(np.float64), minlength=n_bins)
    return float(np.abs(confidence - observed).sum() / label_array.size)


def _auc_from_samples(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Mann-Whitney AUC: P(positive > negative) + 0.5 P(tie)."""
    negatives = np.sort(negatives)
    below = np.searchsorted(negatives, positives, side="left")
    not_above = np.searchsorted(negatives, positives, side="right")
    return float((below + not_above).sum() / (2.0 * positives.size * negatives.size))


def bootstrap_auc(
    labels: object, scores: object, n_bootstrap: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Return ROC AUC and its 95 % percentile bootstrap interval.

    Melanomas and nevi are resampled separately (stratified bootstrap), so every
    resample holds both classes in their original numbers.

    Returns:
        (auc, ci_low, ci_high).

    Raises:
        ValueError: On bad inputs, a single class, or `n_bootstrap` < 1.
    """
    if n_bootstrap < 1:
        raise ValueError(f"`n_bootstrap` must be >= 1. Received: n_bootstrap={n_bootstrap}")
    label_array, score_array = check_binary(labels, scores, "scores")
    positives, negatives = score_array[label_array == 1], score_array[label_array == 0]
    if positives.size == 0 or negatives.size == 0:
        raise ValueError("`labels` must contain both classes. Received: one class only")
    auc = _auc_from_samples(positives, negatives)
    rng = np.random.default_rng(seed)
    samples = np.empty(n_bootstrap)
    for index in range(n_bootstrap):
        resampled_positives = positives[rng.integers(0, positives.size, positives.size)]
        resampled_negatives = negatives[rng.integers(0, negatives.size, negatives.size)]
        samples[index] = _auc_from_samples(resampled_positives, resampled_negatives)
    low, high = np.percentile(samples, [2.5, 97.5])
    return auc, float(low), float(high)


def _ratio(numerator: int, denominator: int) -> float | None:
    return float(numerator / denominator) if denominator else None


def wilson_interval(successes: int, trials: int) -> list[float] | None:
    """The 95 % Wilson score interval of a proportion (None without trials)."""
    if not trials:
        return None
    interval = binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    return [float(interval.low), float(interval.high)]


def threshold_metrics(
    labels: np.ndarray, probabilities: np.ndarray, threshold: float
) -> dict[str, Any]:
    """Sensitivity, specificity (with 95 % Wilson intervals), accuracies, F1 and confusion.

    The confusion matrix is [[tn, fp], [fn, tp]] at p >= t.
    """
    predicted = probabilities >= threshold
    positive = labels == 1
    tp = int(np.sum(predicted & positive))
    fp = int(np.sum(predicted & ~positive))
    fn = int(np.sum(~predicted & positive))
    tn = int(np.sum(~predicted & ~positive))
    sensitivity, specificity = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    balanced = (
        (sensitivity + specificity) / 2
        if sensitivity is not None and specificity is not None
        else None
    )
    return {
        "threshold": float(threshold),
        "sensitivity": sensitivity,
        "specificity": specificity,
        "sensitivity_ci": wilson_interval(tp, tp + fn),
        "specificity_ci": wilson_interval(tn, tn + fp),
        "balanced_accuracy": balanced,
        "accuracy": float((tp + tn) / labels.size),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "confusion": [[tn, fp], [fn, tp]],
    }


def binary_metrics(
    labels: object,
    probabilities: object,
    thresholds: Thresholds,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Return every evaluation metric for one set of calibrated probabilities.

    Keys: n, n_melanoma, roc_auc, roc_auc_ci_low, roc_auc_ci_high,
    average_precision, brier, ece, and "screening"/"balanced" dicts from
    `threshold_metrics`. Ranking metrics are None when only one class is present.
    """
    label_array, probability_array = check_probabilities(labels, probabilities)
    both_classes = label_array.min() != label_array.max()
    auc = low = high = average_precision = None
    if both_classes:
        auc, low, high = bootstrap_auc(label_array, probability_array, n_bootstrap, seed)
        average_precision = float(average_precision_score(label_array, probability_array))
    return {
        "n": int(label_array.size),
        "n_melanoma": int(label_array.sum()),
        "roc_auc": auc,
        "roc_auc_ci_low": low,
        "roc_auc_ci_high": high,
        "average_precision": average_precision,
        "brier": float(np.mean((probability_array - label_array) ** 2)),
        "ece": expected_calibration_error(label_array, probability_array),
        "screening": threshold_metrics(label_array, probability_array, thresholds.screening),
        "balanced": threshold_metrics(label_array, probability_array, thresholds.balanced),
    }


def metrics_by_source(
    labels: object,
    probabilities: object,
    sources: Sequence[str],
    thresholds: Thresholds,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Return {"overall": binary_metrics(...), "<source>": binary_metrics(...), ...}.

    Raises:
        ValueError: If `sources` does not have one entry per label.
    """
    label_array, probability_array = check_probabilities(labels, probabilities)
    source_array = np.asarray([str(source) for source in sources])
    if source_array.size != label_array.size:
        raise ValueError(
            "`sources` needs one entry per label. "
            f"Received: len(sources)={source_array.size}, len(labels)={label_array.size}"
        )
    options = {"n_bootstrap": n_bootstrap, "seed": seed}
    report = {"overall": binary_metrics(label_array, probability_array, thresholds, **options)}
    for source in sorted(set(source_array.tolist())):
        mask = source_array == source
        report[source] = binary_metrics(
            label_array[mask], probability_array[mask], thresholds, **options
        )
    return report
