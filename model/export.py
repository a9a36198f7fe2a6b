"""Save a Keras model together with its model card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import keras

from model.card import Calibration, ModelCard, Thresholds, file_sha256, save_card
from preprocessing.pipeline import PreprocessConfig


def export_model(
    model: keras.Model,
    path: Path | str,
    *,
    model_version: str,
    preprocessing: PreprocessConfig,
    thresholds: Thresholds,
    calibration: Calibration | None = None,
    test_time_views: int = 1,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    limitations: list[str] | None = None,
) -> ModelCard:
    """Save `model` as a `.keras` file and write its card next to it.

    Args:
        model: The Keras model (input size must match `preprocessing.image_size`).
        path: Destination ending in `.keras`.
        model_version: A version string shown to users (for example "1.0.0").
        preprocessing: The configuration the model was trained with.
        thresholds: Decision thresholds on the calibrated probability.
        calibration: Calibration parameters (identity when None).
        test_time_views: Flips/rotations the model is averaged over when serving
            (`model.test_time`); the calibration and thresholds must have been
            fitted on logits averaged the same way.
        training: Training data, split and command summary.
        metrics: Evaluation metrics.
        limitations: Known limitations, in plain words.

    Returns:
        The card that was written.

    Raises:
        ValueError: If the path does not end in `.keras` or sizes disagree.
    """
    model_path = Path(path)
    if model_path.suffix != ".keras":
        raise ValueError(f"`path` must end in '.keras'. Received: path={str(model_path)!r}")
    input_size = int(model.input_shape[1])
    if input_size != preprocessing.image_size:
        raise ValueError(
            "Model input and preprocessing size differ. "
            f"Received: input_size={input_size}, image_size={preprocessing.image_size}"
        )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    # An uncompiled copy: the optimizer's state (twice the weights for Adam) is of no
    # use to serving and would triple the file.
    serving = keras.Model(model.input, model.output, name=model.name)
    serving.save(model_path)
    card = ModelCard(
        model_version=model_version,
        model_file=model_path.name,
        model_sha256=file_sha256(model_path),
        input_size=input_size,
        preprocessing=preprocessing,
        thresholds=thresholds,
        calibration=calibration or Calibration(),
        test_time_views=test_time_views,
        training=training or {},
        metrics=metrics or {},
        limitations=limitations or [],
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    save_card(card, model_path)
    return card
