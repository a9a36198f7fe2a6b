"""Platt or temperature scaling and decision thresholds, fitted on the validation split.

Usage (melanoma against nevus; eight classes use `fit_temperature` and
`choose_risk_thresholds`):
    calibration = fit_platt(val_logits, val_labels)
    val_probabilities = calibrate(val_logits, calibration)
    thresholds = choose_thresholds(val_labels, val_probabilities, min_sensitivity=0.90)
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


def fit_platt(logits: object, labels: object, *, max_iterations: int = 100) -> Calibration:
    """Fit probability = sigmoid(slope * logit + intercept) by maximum likelihood.

    Uses Platt's (1999) smoothed targets, (n_pos + 1) / (n_pos + 2) and
    1 / (n_neg + 2), instead of 1 and 0: nearly unregularised, yet finite on
    perfectly separated data. Solved by Newton's method with step halving.

    Args:
        logits: Raw model outputs on the validation split.
        labels: 1 for melanoma, 0 for nevus.
        max_iterations: Newton iterations at most.

    Returns:
        A `Calibration` with method "platt".

    Raises:
        ValueError: On bad inputs or a single class.
    """
    label_array, logit_array = check_binary(labels, logits, "logits")
    _require_both_classes(label_array)
    n_pos = int(label_array.sum())
    n_neg = label_array.size - n_pos
    targets = np.where(label_array == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    design = np.stack([logit_array, np.ones_like(logit_array)], axis=1)
    prior = math.log((n_pos + 1) / (n_neg + 1))
    params = np.array([0.0, prior])

    def loss(theta: np.ndarray) -> float:
        scores = design @ theta
        return float(np.sum(np.logaddexp(0.0, scores) - targets * scores))

    current = loss(params)
    for _ in range(max_iterations):
        probabilities = 1.0 / (1.0 + np.exp(-np.clip(design @ params, -500, 500)))
        gradient = design.T @ (probabilities - targets)
        weights = probabilities * (1.0 - probabilities) + 1e-12
        hessian = design.T @ (design * weights[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-10 and loss(params - scale * step) > current:
            scale /= 2.0
        params = params - scale * step
        improved = loss(params)
        if current - improved < 1e-12 * max(1.0, abs(current)):
            current = improved
            break
        current = improved
    return Calibration(method="platt", slope=float(params[0]), intercept=float(params[1]))


def screening_threshold(
    labels: object, probabilities: object, min_sensitivity: float = 0.90
) -> float:
    """Return the highest threshold t whose sensitivity (p >= t) is >= `min_sensitivity`.

    It is the k-th highest melanoma probability, k = ceil(min_sensitivity * n_melanoma);
    ties at t only add positives, so the target is always met, and any higher
    threshold misses it.

    Raises:
        ValueError: On bad inputs, no melanoma, or `min_sensitivity` outside (0, 1].
    """
    if not 0.0 < min_sensitivity <= 1.0:
        raise ValueError(
            f"`min_sensitivity` must be in (0, 1]. Received: min_sensitivity={min_sensitivity}"
        )
    label_array, probability_array = check_probabilities(labels, probabilities)
    positives = np.sort(probability_array[label_array == 1])[::-1]
    if positives.size == 0:
        raise ValueError("`labels` must contain at least one melanoma. Received: none")
    needed = max(1, math.ceil(min_sensitivity * positives.size - 1e-9))
    return float(positives[needed - 1])


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


def choose_thresholds(
    labels: object, probabilities: object, min_sensitivity: float = 0.90
) -> Thresholds:
    """Return the screening and balanced (Youden) thresholds for the model card."""
    return Thresholds(
        screening=screening_threshold(labels, probabilities, min_sensitivity),
        balanced=youden_threshold(labels, probabilities),
    )


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
    """The highest threshold t with share(scores >= t) >= `share` (inf for no scores)."""
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
