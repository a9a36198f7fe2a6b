"""Predictor: batched equals one-by-one; calibration, class probabilities, risk levels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.card import Calibration, Thresholds
from model.lesions import LESION_CLASSES, risk_levels
from model.loader import load_model
from model.predictor import Prediction, Predictor, calibrate, class_probabilities
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
        [list(p.class_probabilities.values()) for p in batched],
        [list(p.class_probabilities.values()) for p in single],
        rtol=1e-5,
        atol=1e-6,
    )
    assert [p.risk_level for p in batched] == [p.risk_level for p in single]
    # different inputs, different answers
    assert len({round(p.melanoma_probability, 6) for p in batched}) > 1


def test_prediction_carries_card_values_and_serialises(predictor: Predictor) -> None:
    prediction = predictor.predict([synthetic_lesion(200)])[0]

    assert isinstance(prediction, Prediction)
    assert tuple(prediction.class_probabilities) == LESION_CLASSES
    assert sum(prediction.class_probabilities.values()) == pytest.approx(1.0)
    assert prediction.melanoma_probability == prediction.class_probabilities["melanoma"]
    top = max(prediction.class_probabilities, key=prediction.class_probabilities.__getitem__)
    assert prediction.lesion_class == top
    malignant = sum(prediction.class_probabilities[n] for n in ("melanoma", "bcc", "scc", "akiec"))
    assert prediction.malignant_probability == pytest.approx(malignant)
    assert prediction.thresholds == Thresholds(screening=0.3, balanced=0.6)
    assert prediction.model_version == "0.0.0-test"
    values = json.loads(json.dumps(prediction.to_dict()))
    assert values["risk_level"] in {"low", "moderate", "high"}
    assert values["lesion_class"] == top
    assert set(values["class_probabilities"]) == set(LESION_CLASSES)


def test_predict_on_real_photos(predictor: Predictor, lesion_jpeg_bytes: list[bytes]) -> None:
    images = [decode_image(data) for data in lesion_jpeg_bytes]

    predictions = predictor.predict(images)

    assert len(predictions) == len(images)
    assert all(np.isfinite(p.malignant_probability) for p in predictions)


def test_empty_input_and_bad_batch_size(predictor: Predictor, tiny_model_path: Path) -> None:
    assert predictor.predict([]) == []
    with pytest.raises(ValueError, match="Received"):
        Predictor(load_model(tiny_model_path), max_batch_size=0)


def one_hot_rows(*rows: dict[str, float]) -> np.ndarray:
    table = np.zeros((len(rows), len(LESION_CLASSES)))
    for index, row in enumerate(rows):
        for name, value in row.items():
            table[index, LESION_CLASSES.index(name)] = value
    return table


def test_risk_rule_sums_malignant_classes_and_only_melanoma_or_scc_is_high() -> None:
    rows = one_hot_rows(
        {"nevus": 0.75, "melanoma": 0.25},  # malignant 0.25 < 0.3: low
        {"nevus": 0.4, "bcc": 0.15, "akiec": 0.15, "melanoma": 0.3},  # malignant 0.6
        {"bcc": 1.0},  # a sure BCC is moderate, never high
        {"melanoma": 0.35, "scc": 0.25, "nevus": 0.4},  # urgent 0.6: high
        {"bkl": 0.7, "melanoma": 0.3},  # exactly at screening: moderate
        # Malignant score under screening, but "looks most like a melanoma" is never low.
        {"melanoma": 0.28, "nevus": 0.24, "bkl": 0.24, "df": 0.24},
    )

    levels = risk_levels(rows, LESION_CLASSES, screening=0.3, balanced=0.6)

    assert list(levels) == ["low", "moderate", "moderate", "high", "moderate", "moderate"]


def test_one_logit_models_keep_the_melanoma_rule() -> None:
    probabilities = class_probabilities(np.array([-3.0, 0.0, 3.0]), Calibration())
    levels = risk_levels(probabilities, LESION_CLASSES[:2], screening=0.3, balanced=0.6)

    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert list(levels) == ["low", "moderate", "high"]


def test_softmax_calibration_sharpens_with_the_slope() -> None:
    logits = np.array([[2.0, 1.0, 0.0]])

    plain = class_probabilities(logits, Calibration("temperature", slope=1.0))
    sharper = class_probabilities(logits, Calibration("temperature", slope=2.0))

    np.testing.assert_allclose(plain, np.exp([2, 1, 0])[None] / np.exp([2, 1, 0]).sum())
    assert sharper[0, 0] > plain[0, 0]


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
