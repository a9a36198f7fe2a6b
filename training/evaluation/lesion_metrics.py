"""Eight-class evaluation: top class, risk levels and rankings, per source, with intervals.

Usage:
    report = lesion_metrics_by_source(labels, probabilities, classes, thresholds, sources)
    report["overall"]["balanced_accuracy"], report["by_source"]["HAM10000"]["recall"]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from model.card import Thresholds
from model.lesions import MALIGNANT, malignant_scores, melanoma_against_mole, risk_levels
from training.evaluation.metrics import bootstrap_auc, wilson_interval

LEVELS = ("low", "moderate", "high")


def balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean recall over the classes present in `labels` (ISIC 2019's measure)."""
    present = np.unique(labels)
    return float(np.mean([np.mean(predicted[labels == label] == label) for label in present]))


def bootstrap_balanced_accuracy(
    labels: np.ndarray, predicted: np.ndarray, n_bootstrap: int = 1000, seed: int = 0
) -> list[float]:
    """95 % percentile interval, each class resampled within itself (stratified)."""
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    samples = np.empty(n_bootstrap)
    for index in range(n_bootstrap):
        recalls = [
            np.mean(predicted[rows[rng.integers(0, rows.size, rows.size)]] == labels[rows[0]])
            for rows in members
        ]
        samples[index] = np.mean(recalls)
    low, high = np.percentile(samples, [2.5, 97.5])
    return [float(low), float(high)]


def _auc(positive: np.ndarray, scores: np.ndarray) -> dict[str, Any] | None:
    if positive.all() or not positive.any():
        return None
    auc, low, high = bootstrap_auc(positive.astype(int), scores)
    return {"auc": auc, "ci95": [low, high], "positives": int(positive.sum()),
            "negatives": int((~positive).sum())}  # fmt: skip


def _share(hits: np.ndarray) -> dict[str, Any] | None:
    if not hits.size:
        return None
    count = int(hits.sum())
    return {"share": count / hits.size, "ci95": wilson_interval(count, hits.size), "n": hits.size}


def lesion_metrics(
    labels: object, probabilities: object, classes: tuple[str, ...], thresholds: Thresholds
) -> dict[str, Any]:
    """Every figure the card reports for one set of photos.

    Args:
        labels: Integer labels, indices into `classes`.
        probabilities: (N, K) calibrated class probabilities.
        classes: The model's classes, in output order.
        thresholds: The card's risk thresholds.

    Returns:
        A JSON-serialisable dict: counts, balanced accuracy with its interval, recall per
        class (Wilson intervals), the confusion matrix (rows true, columns predicted),
        malignant-vs-benign ROC AUC (malignant score), melanoma-vs-nevus ROC AUC (on those
        two classes, `model.lesions.melanoma_against_mole`), and the risk levels per class
        with the screening targets' shares.
    """
    label_array = np.asarray(labels, np.int64)
    probability_array = np.asarray(probabilities, np.float64)
    predicted = probability_array.argmax(axis=1)
    names = np.array(classes)[label_array]
    levels = risk_levels(probability_array, classes, **_cuts(thresholds))
    recall = {}
    for index, name in enumerate(classes):
        rows = label_array == index
        if rows.any():
            recall[name] = _share(predicted[rows] == index)
    confusion = np.zeros((len(classes), len(classes)), np.int64)
    np.add.at(confusion, (label_array, predicted), 1)
    melanoma_nevus = np.isin(names, ("melanoma", "nevus"))
    melanoma_score = melanoma_against_mole(probability_array, classes)
    malignant = malignant_scores(probability_array, classes)
    report: dict[str, Any] = {
        "n": int(label_array.size),
        "counts": {name: int((names == name).sum()) for name in classes if (names == name).any()},
        "balanced_accuracy": balanced_accuracy(label_array, predicted),
        "balanced_accuracy_ci95": bootstrap_balanced_accuracy(label_array, predicted),
        "recall": recall,
        "confusion": confusion.tolist(),
        "malignant_vs_benign": _auc(np.isin(names, MALIGNANT), malignant),
        "melanoma_vs_nevus": _auc(
            names[melanoma_nevus] == "melanoma", melanoma_score[melanoma_nevus]
        ),
        "risk_levels": {
            name: {level: int(((names == name) & (levels == level)).sum()) for level in LEVELS}
            for name in classes
            if (names == name).any()
        },
        "targets": {
            "melanoma_flagged": _share(levels[names == "melanoma"] != "low"),
            "bcc_flagged": _share(levels[names == "bcc"] != "low"),
            "scc_flagged": _share(levels[names == "scc"] != "low"),
            "bkl_high": _share(levels[names == "bkl"] == "high"),
            "nevus_low": _share(levels[names == "nevus"] == "low"),
        },
    }
    return report


def lesion_metrics_by_source(
    labels: object,
    probabilities: object,
    classes: tuple[str, ...],
    thresholds: Thresholds,
    sources: Sequence[str],
) -> dict[str, Any]:
    """`lesion_metrics` overall and for each source."""
    label_array = np.asarray(labels, np.int64)
    probability_array = np.asarray(probabilities, np.float64)
    source_array = np.asarray(sources)
    return {
        "overall": lesion_metrics(label_array, probability_array, classes, thresholds),
        "by_source": {
            source: lesion_metrics(
                label_array[source_array == source],
                probability_array[source_array == source],
                classes,
                thresholds,
            )
            for source in sorted(set(source_array.tolist()))
        },
    }


def _cuts(thresholds: Thresholds) -> dict[str, float]:
    return {"screening": thresholds.screening, "balanced": thresholds.balanced}
