"""Turn decoded photos into calibrated, thresholded predictions."""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Callable, Sequence

import numpy as np

from model.card import Calibration, ModelCard, Thresholds
from model.lesions import malignant_scores, risk_levels
from model.loader import LoadedModel
from model.views import averaged_logits
from preprocessing.pipeline import preprocess


class RiskLevel(enum.StrEnum):
    """Coarse risk levels derived from the card's thresholds."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


CLOSE_SECOND = 0.5
"""The second most likely kind is named when its probability is at least this share of
the first's."""


@dataclasses.dataclass(frozen=True)
class Prediction:
    """The model's answer for one image. Not a diagnosis.

    Attributes:
        melanoma_probability: Calibrated probability that the lesion is a melanoma.
        risk_level: From the malignant classes (`model.lesions.risk_levels`).
        thresholds: The thresholds used.
        model_version: Version of the model that answered.
        lesion_class: The most likely kind (`model.lesions.LESION_CLASSES`).
        class_probabilities: Calibrated probability of each of the model's classes, in
            the model's order.
        malignant_probability: The malignant classes' probabilities summed.
    """

    melanoma_probability: float
    risk_level: RiskLevel
    thresholds: Thresholds
    model_version: str
    lesion_class: str
    class_probabilities: dict[str, float]
    malignant_probability: float

    @property
    def second_class(self) -> str | None:
        """The second most likely kind when it is close to the first (`CLOSE_SECOND`)."""
        ranked = sorted(self.class_probabilities.items(), key=lambda item: -item[1])
        if len(ranked) < 2 or ranked[1][1] < CLOSE_SECOND * ranked[0][1]:
            return None
        return ranked[1][0]

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable dict."""
        values = dataclasses.asdict(self)
        values["risk_level"] = self.risk_level.value
        values["second_class"] = self.second_class
        return values


def calibrate(logits: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Map raw logits to calibrated probabilities (Platt / temperature scaling)."""
    scaled = calibration.slope * np.asarray(logits, dtype=np.float64) + calibration.intercept
    return 1.0 / (1.0 + np.exp(-np.clip(scaled, -60.0, 60.0)))


def class_probabilities(logits: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Map (N, K) logits to calibrated (N, K) class probabilities.

    One logit (a melanoma-vs-nevus model): Platt's sigmoid gives (N, 2) as
    [P(nevus), P(melanoma)]. Several: softmax of the temperature-scaled logits.
    """
    logit_array = np.asarray(logits, np.float64)
    if logit_array.ndim == 1:
        logit_array = logit_array[:, None]
    if logit_array.shape[1] == 1:
        melanoma = calibrate(logit_array[:, 0], calibration)
        return np.stack([1.0 - melanoma, melanoma], axis=1)
    scaled = calibration.slope * logit_array + calibration.intercept
    scaled -= scaled.max(axis=1, keepdims=True)
    exponentials = np.exp(scaled)
    return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True))


RUNTIMES = ("auto", "litert", "keras")
"""auto: the card's LiteRT file when it has one, else Keras."""

RUNTIME_ENV = "MELNEV_RUNTIME"
"""Environment variable: the default `runtime` of a `Predictor` (one of `RUNTIMES`)."""


class Predictor:
    """Batched inference with a loaded model and its card.

    The forward pass runs the card's LiteRT file (`model.serving`, no TensorFlow)
    when the card names one, else the Keras model as one `tf.function` with a fixed
    input signature, traced once. Each image is answered as the mean logit over the
    card's `test_time_views` turns of it (`model.views`); a forward pass holds
    `max_batch_size // test_time_views` photos (at least one). Safe to call from
    several threads (LiteRT: one interpreter per thread).

    Args:
        loaded: The model and its card.
        max_batch_size: Most views per forward pass.
        runtime: One of `RUNTIMES`; "keras" serves the Keras model even when a
            LiteRT file exists (evaluation of the trained model itself). None:
            `MELNEV_RUNTIME`, else "auto".

    Raises:
        ValueError: For a bad `max_batch_size` or `runtime`, or "litert" without a file.
    """

    def __init__(
        self, loaded: LoadedModel, *, max_batch_size: int = 32, runtime: str | None = None
    ) -> None:
        if runtime is None:
            runtime = os.environ.get(RUNTIME_ENV) or "auto"
        if max_batch_size < 1:
            raise ValueError(f"`max_batch_size` must be >= 1. Received: {max_batch_size}")
        if runtime not in RUNTIMES:
            raise ValueError(f"`runtime` must be one of {RUNTIMES}. Received: runtime={runtime!r}")
        if runtime == "litert" and loaded.served is None:
            raise ValueError(
                f"{loaded.path.name}'s card names no LiteRT file. Received: runtime='litert'"
            )
        self.loaded = loaded
        self.card: ModelCard = loaded.card
        self.max_batch_size = max_batch_size
        served = loaded.served if runtime != "keras" else None
        self.runtime = "litert" if served is not None else "keras"
        self._forward: Callable[[np.ndarray], np.ndarray] = (
            served.logits if served is not None else keras_forward(loaded, self.card.input_size)
        )
        size = self.card.input_size
        self.predict_batch(np.zeros((1, size, size, 3), np.uint8))  # warm up now, not per user

    def preprocess(self, image: np.ndarray) -> np.ndarray:
        """Run the card's preprocessing on one decoded RGB image."""
        return preprocess(image, self.card.preprocessing)

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Return raw logits for a preprocessed uint8 batch of shape (N, S, S, 3).

        Each logit is averaged over the card's `test_time_views` flips and rotations.
        """
        return averaged_logits(
            self._forward,
            batch,
            self.card.test_time_views,
            self.max_batch_size,
        )

    def predict_batch(self, batch: np.ndarray) -> list[Prediction]:
        """Predict on already preprocessed images (N, S, S, 3) uint8."""
        probabilities = class_probabilities(self.logits(batch), self.card.calibration)
        return [self._prediction(row) for row in probabilities]

    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """Preprocess decoded RGB images and predict them in one batched call.

        Args:
            images: RGB uint8 arrays of any size.

        Returns:
            One `Prediction` per image, in order.
        """
        if not images:
            return []
        batch = np.stack([self.preprocess(image) for image in images])
        return self.predict_batch(batch)

    def _prediction(self, probabilities: np.ndarray) -> Prediction:
        if np.isnan(probabilities).any():
            raise ValueError("The model returned NaN: the weights are broken.")
        classes = self.card.classes
        thresholds = self.card.thresholds
        level = risk_levels(
            probabilities[None],
            classes,
            screening=thresholds.screening,
            balanced=thresholds.balanced,
        )[0]
        return Prediction(
            melanoma_probability=float(probabilities[classes.index("melanoma")]),
            risk_level=RiskLevel(level),
            thresholds=thresholds,
            model_version=self.card.model_version,
            lesion_class=classes[int(np.argmax(probabilities))],
            class_probabilities=dict(zip(classes, map(float, probabilities), strict=True)),
            malignant_probability=float(malignant_scores(probabilities[None], classes)[0]),
        )


def keras_forward(loaded: LoadedModel, size: int) -> Callable[[np.ndarray], np.ndarray]:
    """Return the Keras model's forward pass as one traced `tf.function` on uint8 batches."""
    keras_model = loaded.model
    import tensorflow as tf  # imported here so serving from LiteRT needs no TF

    @tf.function(
        input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8)],
        reduce_retracing=True,
    )
    def forward(batch: tf.Tensor) -> tf.Tensor:
        return keras_model(tf.cast(batch, tf.float32), training=False)

    return lambda views: np.asarray(forward(tf.constant(views)).numpy())
