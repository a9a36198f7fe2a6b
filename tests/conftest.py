"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import pytest

from tests.support.shared_data import SHARED_DATA, shared_data_available


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The shared dermoscopy folder; skips the test when it is absent."""
    if not shared_data_available():
        pytest.skip(f"shared dermoscopy data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def lesion_jpeg_bytes(shared_data_dir: Path) -> list[bytes]:
    """A few real dermoscopy JPEGs (both classes, both sources) as raw bytes."""
    import csv

    with (shared_data_dir / "labels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    picked: list[bytes] = []
    for label in ("melanoma", "nevus"):
        for source in ("HAM10000", "ISIC2017"):
            matches = [row for row in rows if row["label"] == label and row["source"] == source]
            for row in matches[:2]:
                picked.append((shared_data_dir / row["image"]).read_bytes())
    return picked


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real eight-class Keras model, saved with its card by the test session.

    The card's test figures are computed by the real evaluation code on a made-up set of
    200 answers, so they have the shape a trained model's card has.
    """
    import keras
    import numpy as np

    from model.architecture import build_model
    from model.card import Calibration, Thresholds
    from model.export import export_model
    from model.lesions import LESION_CLASSES
    from preprocessing.pipeline import PreprocessConfig
    from training.evaluation.lesion_metrics import lesion_metrics_by_source

    keras.utils.set_random_seed(0)
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    path = tmp_path_factory.mktemp("tiny_model") / "tiny.keras"
    thresholds = Thresholds(screening=0.3, balanced=0.6)
    rng = np.random.default_rng(0)
    labels = np.arange(200) % len(LESION_CLASSES)
    probabilities = rng.dirichlet(np.ones(len(LESION_CLASSES)), 200)
    probabilities[np.arange(200), labels] += 0.5
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    sources = ["Synthetic"] * 200
    export_model(
        model,
        path,
        model_version="0.0.0-test",
        preprocessing=PreprocessConfig(image_size=64, working_size=128),
        thresholds=thresholds,
        calibration=Calibration(method="temperature", slope=1.0, intercept=0.0),
        classes=LESION_CLASSES,
        metrics={
            "test": lesion_metrics_by_source(
                labels, probabilities, LESION_CLASSES, thresholds, sources
            )
        },
        training={"data": {"counts": {"Synthetic": dict.fromkeys(LESION_CLASSES, 25)}}},
        limitations=["Untrained test model."],
    )
    return path
