"""The one photo path (`model.assessment.assess_photo`): real and drawn photos, every kind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from model.assessment import Assessment, assess_photo
from model.loader import load_model
from model.photo_gate import PhotoKind, ServedGate, load_served_gate
from model.predictor import Predictor
from preprocessing import InvalidImageReason, QualityIssue, QualityReport, decode_image
from tests.support.shared_data import REPO_ROOT

MOLE = REPO_ROOT / "examples" / "mole_ISIC_0033971.jpg"
DRAWN = REPO_ROOT / "notebooks" / "example_lesion.jpg"


@pytest.fixture(scope="module")
def predictor(tiny_model_path: Path) -> Predictor:
    return Predictor(load_model(tiny_model_path))


@pytest.fixture(scope="module")
def gate() -> ServedGate:
    return load_served_gate()


def test_a_real_dermoscopic_photo_is_answered(predictor: Predictor, gate: ServedGate) -> None:
    assessment = assess_photo(MOLE.read_bytes(), predictor, gate)

    assert assessment.prediction is not None
    assert assessment.issues == ()
    assert assessment.no_risk_reason is None
    assert assessment.outcome == "prediction"
    answer = assessment.to_dict()
    assert answer["risk_level"] in {"low", "moderate", "high"}
    assert answer["melanoma_probability"] == assessment.prediction.melanoma_probability
    assert answer["photo_kind"] == assessment.kind == "dermoscopy"


def test_bytes_and_the_decoded_array_get_the_same_answer(
    predictor: Predictor, gate: ServedGate
) -> None:
    data = MOLE.read_bytes()

    from_bytes = assess_photo(data, predictor, gate)
    from_array = assess_photo(decode_image(data), predictor, gate)

    assert from_bytes.to_dict() == from_array.to_dict()


def test_a_refused_photo_has_no_risk_level_and_says_why(
    predictor: Predictor, gate: ServedGate
) -> None:
    assessment = assess_photo(DRAWN.read_bytes(), predictor, gate)  # drawn by code

    assert assessment.prediction is None
    assert assessment.issues
    assert assessment.no_risk_reason == assessment.issues[0].value
    answer = assessment.to_dict()
    assert answer["risk_level"] is None
    assert answer["melanoma_probability"] is None
    assert "model_version" not in answer  # no model figure for a photo it did not answer


def test_without_the_gate_the_quality_gate_alone_decides(predictor: Predictor) -> None:
    answered = assess_photo(DRAWN.read_bytes(), predictor, gate=None)
    dark = assess_photo(np.zeros((300, 300, 3), np.uint8), predictor, gate=None)

    assert answered.prediction is not None and answered.kind is None
    assert dark.prediction is None
    assert dark.issues[0] == QualityIssue.TOO_DARK  # black is also without detail
    assert dark.to_dict()["no_risk_reason"] == "too_dark"


def test_bytes_that_are_no_image_are_invalid_not_an_error(predictor: Predictor) -> None:
    assessment = assess_photo(b"not an image at all", predictor)

    assert isinstance(assessment, Assessment)
    assert assessment.invalid is not None
    assert isinstance(assessment.invalid, InvalidImageReason)
    assert assessment.outcome == "invalid"
    answer = assessment.to_dict()
    assert answer["invalid"] == answer["no_risk_reason"] == assessment.invalid.value
    assert answer["risk_level"] is None


def test_the_assessment_is_frozen(predictor: Predictor) -> None:
    assessment = assess_photo(MOLE.read_bytes(), predictor)
    with pytest.raises(AttributeError):
        assessment.prediction = None  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "issue", "outcome"),
    [
        (PhotoKind.SEVERAL, QualityIssue.SEVERAL_LESIONS, "several_lesions"),
        (PhotoKind.WIDESPREAD, QualityIssue.WIDESPREAD, "widespread"),
        (PhotoKind.UNUSABLE, QualityIssue.NOT_USABLE, "not_usable"),
        (PhotoKind.NOT_SKIN, QualityIssue.NOT_A_LESION, "not_skin"),
        (None, QualityIssue.TOO_DARK, "poor_quality"),
        (None, QualityIssue.BLURRY, "poor_quality"),
    ],
)
def test_a_photo_without_a_risk_level_names_its_kind_and_reason(
    kind: PhotoKind | None, issue: QualityIssue, outcome: str
) -> None:
    found = Assessment(quality=QualityReport(issues=(issue,), measures={}), kind=kind)
    assert found.outcome == outcome
    answer = found.to_dict()
    assert answer["risk_level"] is None and answer["melanoma_probability"] is None
    assert answer["no_risk_reason"] == issue.value
    assert answer["photo_kind"] == (kind.value if kind else None)


def test_a_close_up_is_never_told_low(predictor: Predictor) -> None:
    from model.assessment import at_least_moderate
    from model.predictor import RiskLevel

    answer = predictor.predict([decode_image(MOLE.read_bytes())])[0]
    low = dataclasses.replace(answer, risk_level=RiskLevel.LOW)
    high = dataclasses.replace(answer, risk_level=RiskLevel.HIGH)

    raised = at_least_moderate(low)

    assert raised.risk_level is RiskLevel.MODERATE
    assert raised.class_probabilities == low.class_probabilities  # only the level moves
    assert at_least_moderate(high) is high
