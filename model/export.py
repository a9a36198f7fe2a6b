"""Save a Keras model together with its serving file and model card."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from model.card import (
    Calibration,
    ModelCard,
    ServedFile,
    Thresholds,
    file_sha256,
    load_card,
    save_card,
)
from model.convert import PRECISIONS, cam_head_weights, write_served_model
from model.lesions import BINARY_CLASSES, LESION_CLASSES
from preprocessing.pipeline import PreprocessConfig


def export_model(
    model: keras.Model,
    path: Path | str,
    *,
    model_version: str,
    preprocessing: PreprocessConfig,
    thresholds: Thresholds,
    calibration: Calibration | None = None,
    classes: tuple[str, ...] | None = None,
    test_time_views: int = 1,
    training: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    limitations: list[str] | None = None,
    served_precision: str | None = "float16",
    calibration_images: Callable[[], Iterable[np.ndarray]] | None = None,
) -> ModelCard:
    """Save `model` as a `.keras` file, its LiteRT serving file and its card next to it.

    The serving file (`name.tflite`, `model.convert`) is what `melnev predict` and the
    bot run, without TensorFlow; the card records its sha256. The `.keras` file stays
    the training and research format.

    Args:
        model: The Keras model (input size must match `preprocessing.image_size`).
        path: Destination ending in `.keras`.
        model_version: A version string shown to users (for example "1.0.0").
        preprocessing: The configuration the model was trained with.
        thresholds: Decision thresholds on the calibrated probability.
        calibration: Calibration parameters (identity when None).
        classes: The model's classes in output order (None: melanoma against nevus for
            one logit, else `model.lesions.LESION_CLASSES`).
        test_time_views: Flips/rotations the model is averaged over when serving
            (`model.views`); the calibration and thresholds must have been
            fitted on logits averaged the same way.
        training: Training data, split and command summary.
        metrics: Evaluation metrics.
        limitations: Known limitations, in plain words.
        served_precision: Precision of the serving file (`model.convert.PRECISIONS`),
            or None for no serving file (the model is then served by Keras). float16
            halves the file; `benchmarks/quantisation.py` measures what it changes.
        calibration_images: For int8: preprocessed training images to calibrate on.

    Returns:
        The card that was written.

    Raises:
        ValueError: If the path does not end in `.keras`, sizes disagree, or for an
            unknown `served_precision`.
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
    outputs = int(model.output_shape[-1])
    if classes is None:
        classes = BINARY_CLASSES if outputs == 1 else LESION_CLASSES
    if outputs != len(classes) and not (outputs == 1 and classes == BINARY_CLASSES):
        raise ValueError(
            f"The model has {outputs} outputs for {len(classes)} classes. Received: {classes}"
        )
    if served_precision is not None and served_precision not in PRECISIONS:
        raise ValueError(
            f"`served_precision` must be one of {PRECISIONS} or None. "
            f"Received: served_precision={served_precision!r}"
        )
    model_path.parent.mkdir(parents=True, exist_ok=True)
    # An uncompiled copy: the optimizer's state (twice the weights for Adam) is of no
    # use to serving and would triple the file.
    serving = keras.Model(model.input, model.output, name=model.name)
    serving.save(model_path)
    served = None
    if served_precision is not None:
        served = _write_served(serving, model_path, served_precision, calibration_images)
    card = ModelCard(
        model_version=model_version,
        model_file=model_path.name,
        model_sha256=file_sha256(model_path),
        input_size=input_size,
        preprocessing=preprocessing,
        thresholds=thresholds,
        calibration=calibration or Calibration(),
        classes=classes,
        test_time_views=test_time_views,
        training=training or {},
        metrics=metrics or {},
        limitations=limitations or [],
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        served=served,
    )
    save_card(card, model_path)
    return card


def _write_served(
    model: keras.Model,
    model_path: Path,
    precision: str,
    calibration_images: Callable[[], Iterable[np.ndarray]] | None,
) -> ServedFile:
    served_file = write_served_model(
        model,
        model_path.with_suffix(".tflite"),
        precision=precision,
        calibration_images=calibration_images,
    )
    return ServedFile(
        file=served_file.name,
        sha256=file_sha256(served_file),
        precision=precision,
        heatmap="cam" if cam_head_weights(model) is not None else "",
    )


def add_served_file(path: Path | str, *, precision: str = "float16") -> ModelCard:
    """Write the serving file of an already exported model and record it in its card.

    The `.keras` file and everything else in the card stay as they are (for models
    exported before serving files existed).

    Args:
        path: The `.keras` file, with its card beside it.
        precision: "float32" or "float16" (int8 needs calibration images: export again).

    Returns:
        The updated card.

    Raises:
        ValueError: For another precision.
    """
    if precision not in ("float32", "float16"):
        raise ValueError(f"`precision` must be float32 or float16. Received: {precision!r}")
    model_path = Path(path)
    card = load_card(model_path)
    model = keras.saving.load_model(model_path, compile=False)
    card = dataclasses.replace(card, served=_write_served(model, model_path, precision, None))
    save_card(card, model_path)
    return card


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write the serving file of an exported model.")
    parser.add_argument("model", type=Path, help="the .keras file")
    parser.add_argument("--precision", choices=("float32", "float16"), default="float16")
    arguments = parser.parse_args()
    print(add_served_file(arguments.model, precision=arguments.precision).served)
