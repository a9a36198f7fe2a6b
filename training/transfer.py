"""Fine-tuning that keeps more of the ImageNet features, for robustness to source shift.

Two published remedies for fine-tuning that fits the training sources and transfers
worse than the pretrained features would:

* **LP-FT** (Kumar et al., "Fine-Tuning can Distort Pretrained Features and Underperform
  Out-of-Distribution", ICLR 2022): fit the classifier on the frozen backbone's features
  first (a linear probe), then fine-tune everything. A random head sends large, arbitrary
  gradients into the backbone in the first steps and bends its features towards the
  training sources; a fitted head does not.
* **WiSE-FT** (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022):
  interpolate, weight by weight, between the model before fine-tuning (ImageNet
  backbone with the probe's head) and after it.

BatchNorm layers are frozen during fine-tuning (`model.architecture`), so their
statistics are the same at both ends and the interpolation needs no re-estimation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

logger = logging.getLogger(__name__)

FEATURE_LAYER = "pool"
"""The pooled backbone features the classifier layer reads."""

CLASSIFIER_LAYER = "logit"
"""The one-logit classifier layer that the probe fits."""

PROBE_STRENGTHS = (0.01, 0.1, 1.0)
"""Inverse L2 strengths (scikit-learn's `C`) the probe tries; validation AUC picks one."""


def pooled_features(model: keras.Model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Return the pooled backbone features of uint8 images, in inference mode.

    Args:
        model: A model from `model.architecture.build_model`.
        images: uint8 images of the model's input size.
        batch_size: Images per forward pass.

    Returns:
        Array of shape (len(images), features).
    """
    extractor = keras.Model(model.input, model.get_layer(FEATURE_LAYER).output)
    parts = [
        keras.ops.convert_to_numpy(
            extractor(images[start : start + batch_size].astype(np.float32), training=False)
        )
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts)


def fit_linear_probe(
    model: keras.Model,
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    strengths: Sequence[float] = PROBE_STRENGTHS,
) -> dict[str, float]:
    """Fit the classifier layer alone on the current backbone's features (in place).

    A class-balanced L2 logistic regression on the un-augmented training images; the
    strength with the best validation ROC AUC is kept.

    Args:
        model: A model from `build_model`; its `logit` layer is overwritten.
        train: Training images (uint8) and 0/1 labels.
        val: Validation images (uint8) and 0/1 labels.
        strengths: Inverse L2 strengths to try.

    Returns:
        The chosen strength `C` and its validation ROC AUC, for the log and the card.

    Raises:
        ValueError: When no strength is given or a label set has one class only.
    """
    if not strengths:
        raise ValueError(f"`strengths` must not be empty. Received: strengths={strengths}")
    for name, (_, labels) in (("train", train), ("val", val)):
        if len(np.unique(labels)) != 2:
            raise ValueError(f"The {name} labels need both classes. Received: {np.unique(labels)}")
    train_features = pooled_features(model, train[0])
    val_features = pooled_features(model, val[0])
    best: tuple[float, float, LogisticRegression] | None = None
    for strength in strengths:
        probe = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000)
        probe.fit(train_features, train[1])
        auc = float(roc_auc_score(val[1], probe.decision_function(val_features)))
        logger.info("Linear probe C=%g: validation ROC AUC %.4f", strength, auc)
        if best is None or auc > best[1]:
            best = (strength, auc, probe)
    assert best is not None
    strength, auc, probe = best
    model.get_layer(CLASSIFIER_LAYER).set_weights(
        [probe.coef_.T.astype(np.float32), probe.intercept_.astype(np.float32)]
    )
    return {"C": strength, "val_roc_auc": auc}


def interpolate_weights(
    start: Sequence[np.ndarray], end: Sequence[np.ndarray], alpha: float
) -> list[np.ndarray]:
    """Return `(1 - alpha) * start + alpha * end`, weight by weight (WiSE-FT).

    Args:
        start: `model.get_weights()` before fine-tuning.
        end: `model.get_weights()` after it, same layout.
        alpha: 0 gives `start`, 1 gives `end`.

    Returns:
        The interpolated weights, for `model.set_weights`.

    Raises:
        ValueError: For `alpha` outside [0, 1] or weights that do not match.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha}")
    if len(start) != len(end) or any(s.shape != e.shape for s, e in zip(start, end, strict=False)):
        raise ValueError(
            "`start` and `end` must hold the same weights. "
            f"Received: {len(start)} and {len(end)} arrays"
        )
    return [
        ((1.0 - alpha) * s + alpha * e).astype(e.dtype)
        if np.issubdtype(e.dtype, np.floating)
        else e.copy()  # counters and seed states are not weights to blend
        for s, e in zip(start, end, strict=True)
    ]
