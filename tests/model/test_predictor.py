"""Predictor: batched equals one-by-one; calibration and risk levels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.card import Calibration, Thresholds
from model.loader import load_model
from model.predictor import Prediction, Predictor, RiskLevel, calibrate, risk_level
from preprocessing import decode_image
from tests.support.pictures import synthetic_lesion


@pytest.fixture(scope="module")
def predictor(tiny_model_path: Path) -> Predictor:
    return Predictor(load_model(tiny_model_path), max_batch_size=3)


def photos() -> list[np.ndarray]:
    import cv2

    sizes = [(150, 200), (256, 256), (480, 640), (300, 300), (200, 150), (90, 600), (512, 384)]
    return [
        cv2.resize(synthetic_lesion(256, seed=index), size[::-1])
        for index, size in enumerate(sizes)
    ]


def test_batched_result_equals_one_by_one(predictor: Predictor) -> None:
    images = photos()  # 7 images with max_batch_size 3: chunks of 3, 3, 1

    batched = predictor.predict(images)
    single = [predictor.predict([image])[0] for image in images]

    assert len(batched) == len(images)
    np.testing.assert_allclose(
        [p.logit for p in batched], [p.logit for p in single], rtol=1e-5, atol=1e-5
    )
    assert [p.risk_level for p in batched] == [p.risk_level for p in single]
    assert len({round(p.logit, 6) for p in batched}) > 1  # different inputs, different answers


def test_prediction_carries_card_values_and_serialises(predictor: Predictor) -> None:
    prediction = predictor.predict([synthetic_lesion(200)])[0]

    assert isinstance(prediction, Prediction)
    assert 0.0 <= prediction.melanoma_probability <= 1.0
    assert prediction.melanoma_probability == pytest.approx(1 / (1 + np.exp(-prediction.logit)))
    assert prediction.thresholds == Thresholds(screening=0.3, balanced=0.6)
    assert prediction.model_version == "0.0.0-test"
    values = json.loads(json.dumps(prediction.to_dict()))
    assert values["risk_level"] in {"low", "moderate", "high"}


def test_predict_on_real_photos(predictor: Predictor, lesion_jpeg_bytes: list[bytes]) -> None:
    images = [decode_image(data) for data in lesion_jpeg_bytes]

    predictions = predictor.predict(images)

    assert len(predictions) == len(images)
    assert all(np.isfinite(p.logit) for p in predictions)


def test_empty_input_and_bad_batch_size(predictor: Predictor, tiny_model_path: Path) -> None:
    assert predictor.predict([]) == []
    with pytest.raises(ValueError, match="Received"):
        Predictor(load_model(tiny_model_path), max_batch_size=0)


@pytest.mark.parametrize(
    ("probability", "expected"),
    [
        (0.0, RiskLevel.LOW),
        (0.2999, RiskLevel.LOW),
        (0.3, RiskLevel.MODERATE),
        (0.5999, RiskLevel.MODERATE),
        (0.6, RiskLevel.HIGH),
        (1.0, RiskLevel.HIGH),
    ],
)
def test_risk_level_boundaries(probability: float, expected: RiskLevel) -> None:
    assert risk_level(probability, Thresholds(screening=0.3, balanced=0.6)) is expected


def test_risk_level_with_swapped_or_equal_thresholds() -> None:
    assert risk_level(0.45, Thresholds(screening=0.6, balanced=0.3)) is RiskLevel.MODERATE
    assert risk_level(0.5, Thresholds(screening=0.5, balanced=0.5)) is RiskLevel.HIGH
    assert risk_level(0.49, Thresholds(screening=0.5, balanced=0.5)) is RiskLevel.LOW


def test_calibrate_is_monotonic_and_bounded() -> None:
    logits = np.linspace(-100, 100, 2001)

    for calibration in (Calibration(), Calibration("platt", slope=0.7, intercept=-1.2)):
        probabilities = calibrate(logits, calibration)
        assert np.all(np.diff(probabilities) >= 0)
        assert np.all((probabilities >= 0) & (probabilities <= 1))
        assert np.isfinite(probabilities).all()
    assert calibrate(np.array([0.0]), Calibration())[0] == pytest.approx(0.5)
    platt = calibrate(np.array([2.0]), Calibration("platt", slope=0.5, intercept=-1.0))
    assert platt[0] == pytest.approx(0.5)
