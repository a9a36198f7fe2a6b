"""The one photo path: bytes or an array -> decode -> quality gate -> photo gate -> model.

The bot and `melnev predict` both call `assess_photo`, so a photo gets the same answer
however it arrives. The result is frozen: the kind of photo, the quality issues, and either
the classifier's risk answer or the reason there is none.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from model.photo_gate import PhotoKind, ServedGate, needs_model, photo_verdict
from model.predictor import Prediction, Predictor, RiskLevel
from preprocessing import (
    InvalidImageError,
    InvalidImageReason,
    QualityIssue,
    QualityReport,
    assess_quality,
    decode_image,
)

KIND_OUTCOMES = {
    QualityIssue.NOT_A_LESION: "not_skin",
    QualityIssue.NOT_USABLE: "not_usable",
    QualityIssue.SEVERAL_LESIONS: "several_lesions",
    QualityIssue.WIDESPREAD: "widespread",
}
"""The answer a photo of a kind without a risk level gets, by its issue (first match wins)."""


def at_least_moderate(prediction: Prediction) -> Prediction:
    """A close-up's answer: "low" raised to "moderate".

    On DermNet's ordinary close-ups (`benchmarks/clinical_close_ups.py`) model 4.0.0 left
    60 % of melanomas, 72 % of basal cell and 63 % of squamous cell carcinomas at "low",
    and ranked melanomas against moles at ROC AUC 0.72 (3.0.0: 0.81): from an ordinary
    photo a "low" reassures without grounds. Such a photo is told to see a doctor instead.
    """
    if prediction.risk_level is not RiskLevel.LOW:
        return prediction
    return dataclasses.replace(prediction, risk_level=RiskLevel.MODERATE)


def kind_outcome(issues: tuple[QualityIssue, ...]) -> str | None:
    """The `KIND_OUTCOMES` answer for these issues; None when none is a kind (a retake)."""
    return next((outcome for issue, outcome in KIND_OUTCOMES.items() if issue in issues), None)


@dataclasses.dataclass(frozen=True)
class Assessment:
    """What one photo got.

    Attributes:
        invalid: Why the bytes are no usable image; None once they decoded.
        quality: The quality report, its issues those of both gates (None when invalid).
        kind: The photo-type gate's kind (None without a gate, or when it did not run).
        prediction: The classifier's answer, only for a photo both gates let through.
        seconds: Time the whole path took.
    """

    invalid: InvalidImageReason | None = None
    quality: QualityReport | None = None
    kind: PhotoKind | None = None
    prediction: Prediction | None = None
    seconds: float = 0.0

    @property
    def issues(self) -> tuple[QualityIssue, ...]:
        """Why no risk level is given by the gates; empty when answered or invalid."""
        return self.quality.issues if self.quality is not None else ()

    @property
    def no_risk_reason(self) -> str | None:
        """Why there is no risk level (an invalid-image or quality code); None when answered."""
        if self.invalid is not None:
            return self.invalid.value
        if self.prediction is not None:
            return None
        return self.issues[0].value if self.issues else "not_assessed"

    @property
    def outcome(self) -> str:
        """The kind of answer, for logs: "prediction", "invalid", "poor_quality" (retake:
        too small, blurry, dark, overexposed) or the kind of photo that gets no risk level
        ("several_lesions", "widespread", "not_usable", "not_skin"; `KIND_OUTCOMES`)."""
        if self.invalid is not None:
            return "invalid"
        if self.prediction is not None:
            return "prediction"
        return kind_outcome(self.issues) or "poor_quality"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready answer: a refused photo has `risk_level` and the probability null.

        Answered photos carry the prediction's fields (kind of lesion, class
        probabilities, melanoma probability, risk level, thresholds, model version)
        beside the kind of photo.
        """
        found: dict[str, Any] = {
            "photo_kind": self.kind.value if self.kind else None,
            "quality_issues": [issue.value for issue in self.issues],
            "no_risk_reason": self.no_risk_reason,
            "melanoma_probability": None,
            "risk_level": None,
            "lesion_class": None,
            "second_class": None,
            "class_probabilities": None,
            "malignant_probability": None,
        }
        if self.invalid is not None:
            found["invalid"] = self.invalid.value
        if self.prediction is not None:
            found.update(self.prediction.to_dict())
        return found


def assess_photo(
    photo: bytes | np.ndarray, predictor: Predictor, gate: ServedGate | None = None
) -> Assessment:
    """Run one photo through both gates and, when they let it through, the classifier.

    Args:
        photo: The file's bytes (any format `decode_image` reads) or a decoded RGB uint8
            array (H, W, 3).
        predictor: The classifier.
        gate: The photo-type gate; without it, every photo the quality gate passes is
            answered.

    Returns:
        The frozen `Assessment`.
    """
    started = time.perf_counter()
    if isinstance(photo, bytes | bytearray | memoryview):
        try:
            image = decode_image(bytes(photo))
        except InvalidImageError as error:
            return Assessment(invalid=error.reason, seconds=time.perf_counter() - started)
    else:
        image = photo
    report = assess_quality(image)
    decision = gate.decide([image])[0] if gate is not None and needs_model(report) else None
    verdict = photo_verdict(report, decision)
    prediction = predictor.predict([image])[0] if verdict.answered else None
    if prediction is not None and verdict.kind == PhotoKind.CLOSE_UP:
        prediction = at_least_moderate(prediction)
    return Assessment(
        quality=dataclasses.replace(report, issues=verdict.issues),
        kind=verdict.kind,
        prediction=prediction,
        seconds=time.perf_counter() - started,
    )
