"""Optimizer, loss weights and fit callbacks.

AdamW with warm-up and cosine decay, weight averaging, class-balanced loss weights.

With weight averaging on, the exponential moving average (EMA) of the weights is
what gets validated, kept as the best epoch by early stopping and exported, so the
shipped model is the one whose validation AUC was logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np


def training_weights(
    labels: np.ndarray,
    *,
    sources: Sequence[str] | None = None,
) -> np.ndarray:
    """Return per-image loss weights with the classes balanced.

    Every class present carries the same share of the total weight (12,327 moles
    then weigh as much as 238 dermatofibromas).

    With `sources`, the classes are balanced within each source instead, and each
    source keeps a weight in proportion to its images: a source's class mix (BCN20000's
    40 % melanomas and 23 % BCCs against HAM10000's 5 %) then says nothing about the
    class, so neither does anything that marks the source, such as 84 px photos. A
    class a source lacks stays absent there; that part of the shortcut only the
    resolution loss in augmentation can break.

    Args:
        labels: Integer class labels, one per training image.
        sources: `Record.source` of each image, to balance the classes per source.

    Returns:
        float32 weights of mean 1, one per image.

    Raises:
        ValueError: For one class only (in a source, with `sources`) or mismatched lengths.
    """
    labels = np.asarray(labels)
    if sources is not None and len(sources) != len(labels):
        raise ValueError(f"One source per label. Received: {len(sources)} for {len(labels)} labels")
    groups = np.zeros(len(labels), int) if sources is None else np.asarray(sources)
    weights = np.empty(len(labels), np.float64)
    for group in np.unique(groups):
        members = groups == group
        classes, counts = np.unique(labels[members], return_counts=True)
        if len(classes) < 2:
            where = "" if sources is None else f" of source {group}"
            raise ValueError(
                f"`labels`{where} must contain at least two classes. Received: {classes}"
            )
        for label, count in zip(classes, counts, strict=True):
            weights[members & (labels == label)] = members.sum() / (len(classes) * count)
    return (weights / weights.mean()).astype(np.float32)


def make_optimizer(
    *,
    learning_rate: float,
    weight_decay: float,
    epochs: int,
    steps_per_epoch: int,
    ema_epochs: float = 0.0,
) -> keras.optimizers.Optimizer:
    """Return AdamW with a 5 % linear warm-up, cosine decay and optional weight averaging.

    Args:
        learning_rate: Peak learning rate, reached after the warm-up.
        weight_decay: Decoupled weight decay.
        epochs: Planned epochs (the schedule decays over all of them).
        steps_per_epoch: Batches per epoch.
        ema_epochs: Horizon of the weight average in epochs (0 disables it). The
            horizon is given in epochs, not as a momentum, so that a smoke run of
            a few steps averages over a few steps too.

    Returns:
        A Keras optimizer.

    Raises:
        ValueError: For non-positive `epochs`/`steps_per_epoch` or negative `ema_epochs`.
    """
    if epochs < 1 or steps_per_epoch < 1:
        raise ValueError(
            "`epochs` and `steps_per_epoch` must be >= 1. "
            f"Received: epochs={epochs}, steps_per_epoch={steps_per_epoch}"
        )
    if ema_epochs < 0:
        raise ValueError(f"`ema_epochs` must be >= 0. Received: ema_epochs={ema_epochs}")
    steps = epochs * steps_per_epoch
    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate * 0.1, steps, warmup_target=learning_rate, warmup_steps=max(1, steps // 20)
    )
    use_ema = ema_epochs > 0
    # An exponential average's horizon is 1 / (1 - momentum) steps.
    horizon_steps = max(2.0, ema_epochs * steps_per_epoch)
    return keras.optimizers.AdamW(
        schedule,
        weight_decay=weight_decay,
        use_ema=use_ema,
        ema_momentum=1 - 1 / horizon_steps if use_ema else 0.99,
    )


def fit_callbacks(
    optimizer: keras.optimizers.Optimizer, *, patience: int, log_file: Path | None = None
) -> list[keras.callbacks.Callback]:
    """Return early stopping on validation AUC (best weights restored) and an epoch log.

    Args:
        optimizer: The optimizer the model is compiled with; when it averages
            weights, the averaged weights are validated and kept.
        patience: Epochs without a better validation AUC before stopping.
        log_file: CSV file for one row of metrics per epoch, or None.

    Returns:
        Callbacks for `model.fit`, in the order they must run.
    """
    callbacks: list[keras.callbacks.Callback] = []
    if optimizer.use_ema:
        # Swapped in at each epoch's end, before early stopping copies the best weights.
        callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    callbacks.append(
        keras.callbacks.EarlyStopping(
            "val_auc", mode="max", patience=patience, restore_best_weights=True
        )
    )
    if log_file is not None:
        callbacks.append(keras.callbacks.CSVLogger(str(log_file)))
    return callbacks


def make_deterministic() -> None:
    """Make this process's training bit-reproducible (same machine, same versions).

    With a fixed seed the input pipeline already gives the same batches; what is left
    is the order of floating-point sums inside multi-threaded kernels. TensorFlow's
    deterministic kernels fix it at about 1.9x the time per step on a 2-core CPU
    (docs/experiments.md, augmentation_seeds, measured the pipeline, not this). JAX on the
    CPU is deterministic already, so other backends need nothing.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
