"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("MELNEV_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "dermoscopy")
)


SHARED_BCN20000 = Path(os.environ.get("MELNEV_SHARED_BCN20000", SHARED_DATA.parent / "bcn20000"))
SHIPPED_DATA = (SHARED_DATA, SHARED_BCN20000)
"""The folders the shipped model (3.0.0) was trained on, in the order of its command."""


def shared_data_available() -> bool:
    """True when the shared dermoscopy set sits beside the repository."""
    return (SHARED_DATA / "labels.csv").is_file()


def shipped_data_available() -> bool:
    """True when every folder the shipped model was trained on sits beside the repository."""
    return all((folder / "labels.csv").is_file() for folder in SHIPPED_DATA)


needs_shared_data = pytest.mark.skipif(
    not shared_data_available(), reason=f"shared dermoscopy data not found at {SHARED_DATA}"
)


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


def synthetic_lesion(size: int = 256, seed: int = 0) -> np.ndarray:
    """A skin-coloured RGB image with a dark irregular blob in the middle.

    Used where the shared data is absent; looks enough like a close-up of a mole
    to pass the quality gate.
    """
    import cv2

    rng = np.random.default_rng(seed)
    image = np.empty((size, size, 3), np.float32)
    image[:] = (214, 160, 132)
    image += rng.normal(0, 6, image.shape)
    mask = np.zeros((size, size), np.uint8)
    centre = (size // 2, size // 2)
    cv2.ellipse(mask, centre, (size // 6, size // 8), 30, 0, 360, 255, -1)
    for _ in range(6):
        offset = rng.integers(-size // 10, size // 10, 2)
        cv2.circle(
            mask, (centre[0] + int(offset[0]), centre[1] + int(offset[1])), size // 14, 255, -1
        )
    soft = cv2.GaussianBlur(mask, (0, 0), 3).astype(np.float32)[..., None] / 255.0
    lesion = np.array((95, 60, 45), np.float32) + rng.normal(0, 8, image.shape)
    image = image * (1 - soft) + lesion * soft
    return np.clip(image, 0, 255).astype(np.uint8)


def skin_photo(
    height: int = 300, width: int = 400, centre: tuple[int, int] = (200, 150), radius: int = 40
) -> np.ndarray:
    """Light, slightly noisy skin with a dark round lesion at `centre` (x, y)."""
    import cv2

    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal((210, 170, 150), 6, (height, width, 3)), 0, 255).astype(np.uint8)
    cv2.circle(photo, centre, radius, (90, 50, 35), -1)
    return photo


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
