"""What the classifier's answers are worth on regular close-ups (DermNet's spots)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from model.card import ModelCard
from model.photo_gate import ANSWERED_KINDS, PhotoKind
from model.predictor import calibrate
from training.evaluation.metrics import threshold_metrics
from training.gate.data import GateSample


def close_up_figures(
    samples: Sequence[GateSample],
    logits: np.ndarray,
    decided: Sequence[PhotoKind],
    card: ModelCard,
) -> dict[str, dict[str, float]]:
    """ROC AUC and the card's thresholds on DermNet's melanoma and nevus close-ups.

    Args:
        samples: The close-ups, labelled "melanoma" or "nevus".
        logits: The classifier's view-averaged logits on them (no added watermark).
        decided: The gate's held-out decision on each.
        card: The classifier's card (calibration and thresholds).

    Returns:
        {"all": figures, "answered": figures of those the gate let through}.
    """
    labels = np.array([s.label == "melanoma" for s in samples])
    probabilities = calibrate(logits, card.calibration)
    answered = np.array([kind in ANSWERED_KINDS for kind in decided])
    return {
        "all": _figures(labels, probabilities, card),
        "answered": _figures(labels[answered], probabilities[answered], card),
    }


def _figures(labels: np.ndarray, probabilities: np.ndarray, card: ModelCard) -> dict[str, float]:
    figures: dict[str, float] = {
        "n": int(labels.size),
        "melanomas": int(labels.sum()),
        "nevi": int((~labels).sum()),
    }
    if labels.any() and (~labels).any():
        figures["roc_auc"] = float(roc_auc_score(labels, probabilities))
    for name in ("screening", "balanced"):
        at = threshold_metrics(labels.astype(int), probabilities, getattr(card.thresholds, name))
        for figure in ("sensitivity", "specificity"):
            if at[figure] is not None:
                figures[f"{name}_{figure}"] = at[figure]
    return figures
