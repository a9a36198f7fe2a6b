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
    """A small real Keras model, built and saved with its card by the test session."""
    import keras

    from model.architecture import build_model
    from model.card import Calibration, Thresholds
    from model.export import export_model
    from preprocessing.pipeline import PreprocessConfig

    keras.utils.set_random_seed(0)
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    path = tmp_path_factory.mktemp("tiny_model") / "tiny.keras"
    export_model(
        model,
        path,
        model_version="0.0.0-test",
        preprocessing=PreprocessConfig(image_size=64, working_size=128),
        thresholds=Thresholds(screening=0.3, balanced=0.6),
        calibration=Calibration(method="platt", slope=1.0, intercept=0.0),
        metrics={
            "test": {
                "overall": {
                    "n": 20,
                    "roc_auc": 0.5,
                    "roc_auc_ci_low": 0.3,
                    "roc_auc_ci_high": 0.7,
                    "screening": {"sensitivity": 0.9, "specificity": 0.2},
                    "balanced": {"sensitivity": 0.6, "specificity": 0.7},
                }
            }
        },
        training={"data": {"counts": {"Synthetic": {"melanoma": 10, "nevus": 10}}}},
        limitations=["Untrained test model."],
    )
    return path
