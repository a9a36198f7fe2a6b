"""Temperature scaling and the risk rule's thresholds, fitted on the validation split.

Usage:
    calibration = fit_temperature(val_logits, val_labels)
    probabilities = class_probabilities(val_logits, calibration)
    thresholds = choose_risk_thresholds(val_labels, probabilities, classes)
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.metrics import roc_curve

from model.card import Calibration, Thresholds
from model.lesions import MALIGNANT, URGENT, malignant_scores, urgent_scores


def check_binary(labels: object, values: object, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return labels (int 0/1) and finite float values of equal, non-zero length.

    Raises:
        ValueError: On empty or mismatched inputs, labels other than 0/1, or
            non-finite values.
    """
    label_array = np.asarray(labels).reshape(-1)
    value_array = np.asarray(values, dtype=np.float64).reshape(-1)
    if label_array.size == 0 or label_array.size != value_array.size:
        raise ValueError(
            f"`labels` and `{name}` must be non-empty and of equal length. "
            f"Received: len(labels)={label_array.size}, len({name})={value_array.size}"
        )
    if not np.isin(label_array, (0, 1)).all():
        raise ValueError(f"`labels` must be 0 or 1. Received: {np.unique(label_array)[:5]}")
    if not np.isfinite(value_array).all():
        raise ValueError(f"`{name}` must be finite. Received: {value_array[:5]}...")
    return label_array.astype(np.int64), value_array


def check_probabilities(labels: object, probabilities: object) -> tuple[np.ndarray, np.ndarray]:
    """Like `check_binary`, and the probabilities must lie in [0, 1]."""
    label_array, probability_array = check_binary(labels, probabilities, "probabilities")
    if probability_array.min() < 0.0 or probability_array.max() > 1.0:
        raise ValueError(
            "`probabilities` must be in [0, 1]. "
            f"Received: min={probability_array.min()}, max={probability_array.max()}"
        )
    return label_array, probability_array


def _require_both_classes(labels: np.ndarray) -> None:
    if labels.min() == labels.max():
        raise ValueError(f"`labels` must contain both classes. Received: only {labels[0]}")


def youden_threshold(labels: object, probabilities: object) -> float:
    """Return the threshold (p >= t) maximising sensitivity + specificity - 1.

    Among equally good thresholds the highest is returned.

    Raises:
        ValueError: On bad inputs or a single class.
    """
    label_array, probability_array = check_probabilities(labels, probabilities)
    _require_both_classes(label_array)
    false_positive_rate, true_positive_rate, thresholds = roc_curve(
        label_array, probability_array, drop_intermediate=False
    )
    finite = np.isfinite(thresholds) & (thresholds <= 1.0)
    youden = np.where(finite, true_positive_rate - false_positive_rate, -np.inf)
    return float(thresholds[int(np.argmax(youden))])


def fit_temperature(
    logits: np.ndarray, labels: np.ndarray, *, balanced: bool = True
) -> Calibration:
    """Fit softmax temperature scaling, probabilities = softmax(logits / T), on validation.

    With `balanced`, each class weighs the same in the likelihood, as it did in training:
    the probabilities are then calibrated for a population in which every class is equally
    common (the one whose top class the balanced accuracy scores).

    Args:
        logits: (N, K) raw outputs.
        labels: N integer labels in [0, K).
        balanced: Weigh classes equally.

    Returns:
        A `Calibration` with method "temperature" and slope 1 / T.

    Raises:
        ValueError: On mismatched shapes or labels out of range.
    """
    logit_array = np.asarray(logits, np.float64)
    label_array = np.asarray(labels, np.int64)
    if logit_array.ndim != 2 or len(logit_array) != len(label_array) or not len(label_array):
        raise ValueError(
            "`logits` must be (N, K) with one label per row. "
            f"Received: logits shape={logit_array.shape}, labels={len(label_array)}"
        )
    if label_array.min() < 0 or label_array.max() >= logit_array.shape[1]:
        raise ValueError(f"`labels` must be in [0, K). Received: {np.unique(label_array)}")
    counts = np.bincount(label_array, minlength=logit_array.shape[1]).astype(np.float64)
    weights = 1.0 / counts[label_array] if balanced else np.ones(len(label_array))
    weights /= weights.sum()

    def loss(log_temperature: float) -> float:
        scaled = logit_array / math.exp(log_temperature)
        log_norm = np.logaddexp.reduce(scaled, axis=1)
        return float(np.sum(weights * (log_norm - scaled[np.arange(len(scaled)), label_array])))

    found = minimize_scalar(loss, bounds=(-3.0, 3.0), method="bounded")
    return Calibration(method="temperature", slope=float(math.exp(-found.x)), intercept=0.0)


def kth_highest(scores: np.ndarray, share: float) -> float:
    """The highest threshold t with share(scores >= t) >= `share` (inf for no scores).

    It is the k-th highest score, k = ceil(share * n); ties at t only add more, so the
    share is always met, and any higher threshold misses it.
    """
    ordered = np.sort(np.asarray(scores, np.float64))[::-1]
    if not ordered.size:
        return math.inf
    return float(ordered[max(1, math.ceil(share * ordered.size - 1e-9)) - 1])


def choose_risk_thresholds(
    labels: np.ndarray,
    probabilities: np.ndarray,
    classes: tuple[str, ...],
    *,
    melanoma_sensitivity: float = 0.90,
    carcinoma_sensitivity: float = 0.95,
    keratosis_high_share: float = 0.10,
) -> Thresholds:
    """Choose the two thresholds of `model.lesions.risk_levels` on validation.

    screening (malignant score): the highest threshold that flags (moderate or high) at
        least `melanoma_sensitivity` of the melanomas and `carcinoma_sensitivity` of the
        basal and of the squamous cell carcinomas.
    balanced (urgent score): Youden's threshold for melanoma and squamous cell carcinoma
        against the benign classes, raised if needed until at most `keratosis_high_share`
        of the benign keratoses would be "high".

    For a melanoma-vs-nevus model both scores are the melanoma probability: screening
    keeps the melanoma sensitivity and balanced is Youden's, as before 4.0.0.
    """
    label_array = np.asarray(labels)
    named = np.array(classes)[label_array]
    malignant = malignant_scores(probabilities, classes)
    urgent = urgent_scores(probabilities, classes)
    screening = min(
        kth_highest(malignant[named == "melanoma"], melanoma_sensitivity),
        kth_highest(malignant[named == "bcc"], carcinoma_sensitivity),
        kth_highest(malignant[named == "scc"], carcinoma_sensitivity),
    )
    if not math.isfinite(screening):
        raise ValueError("Validation must contain melanomas or carcinomas. Received: none")
    urgent_rows = np.isin(named, URGENT)
    benign_rows = ~np.isin(named, MALIGNANT)
    balanced = youden_threshold(urgent_rows[urgent_rows | benign_rows].astype(int),
                                np.clip(urgent[urgent_rows | benign_rows], 0.0, 1.0))  # fmt: skip
    keratoses = urgent[named == "bkl"]
    if keratoses.size:
        balanced = max(balanced, float(np.quantile(keratoses, 1.0 - keratosis_high_share)))
    return Thresholds(screening=min(screening, 1.0), balanced=min(balanced, 1.0))
