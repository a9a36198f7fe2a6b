"""Quality gate: bad photos and non-lesions are refused, real lesions pass."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from preprocessing import decode_image
from preprocessing.quality import QualityIssue, assess_quality
from tests.support.pictures import synthetic_lesion

skimage_data = pytest.importorskip("skimage.data")


def as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3].astype(np.uint8))


def render_text(
    background: tuple[int, int, int], header: bool, ink: tuple[int, int, int] = (30, 30, 30)
) -> np.ndarray:
    """A rendered document or chat screenshot, sent as a JPEG the way Telegram does."""
    screen = np.empty((600, 900, 3), np.uint8)
    screen[:] = background
    if header:
        cv2.rectangle(screen, (0, 0), (900, 60), (40, 110, 200), -1)
    for line in range(10):
        text = f"Message {line}: is this mole dangerous?"
        cv2.putText(screen, text, (20, 110 + 45 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.9, ink, 2)
    buffer = io.BytesIO()
    Image.fromarray(screen).save(buffer, format="JPEG", quality=85)
    return decode_image(buffer.getvalue())


def sample_image(name: str) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


NOT_LESIONS: dict[str, Callable[[], np.ndarray]] = {
    "camera": lambda: as_rgb(skimage_data.camera()),
    "page": lambda: as_rgb(skimage_data.page()),
    "text": lambda: as_rgb(skimage_data.text()),
    "grass": lambda: as_rgb(skimage_data.grass()),
    "gravel": lambda: as_rgb(skimage_data.gravel()),
    "rocket": lambda: as_rgb(skimage_data.rocket()),
    "coins": lambda: as_rgb(skimage_data.coins()),
    "moon": lambda: as_rgb(skimage_data.moon()),
    "brick": lambda: as_rgb(skimage_data.brick()),
    "clock": lambda: as_rgb(skimage_data.clock()),
    "china": lambda: sample_image("china.jpg"),
    "flower": lambda: sample_image("flower.jpg"),
    "noise": lambda: np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8),
    "chat-screenshot": lambda: render_text((245, 240, 235), header=True),
    "white-document": lambda: render_text((255, 255, 255), header=False),
    "dark-screenshot": lambda: render_text((18, 18, 22), header=True, ink=(230, 230, 230)),
}


@pytest.mark.parametrize("name", NOT_LESIONS)
def test_non_lesion_pictures_are_refused_as_not_a_lesion(name: str) -> None:
    report = assess_quality(NOT_LESIONS[name]())

    assert report.issues == (QualityIssue.NOT_A_LESION,), report.measures


@pytest.mark.parametrize(
    ("make", "issue"),
    [
        (lambda: np.full((300, 300, 3), 255, np.uint8), QualityIssue.OVEREXPOSED),
        (lambda: np.zeros((300, 300, 3), np.uint8), QualityIssue.TOO_DARK),
        (lambda: cv2.GaussianBlur(synthetic_lesion(256), (0, 0), 2), QualityIssue.BLURRY),
        (lambda: (synthetic_lesion(256) * 0.15).astype(np.uint8), QualityIssue.TOO_DARK),
        (
            lambda: np.clip(synthetic_lesion(256).astype(np.int16) + 120, 0, 255).astype(np.uint8),
            QualityIssue.OVEREXPOSED,
        ),
        (lambda: synthetic_lesion(64), QualityIssue.TOO_SMALL),
    ],
    ids=["blank-white", "blank-black", "blurred", "dark", "overexposed", "tiny"],
)
def test_bad_photos_are_refused_with_the_expected_reason(
    make: Callable[[], np.ndarray], issue: QualityIssue
) -> None:
    report = assess_quality(make())

    assert not report.ok
    assert issue in report.issues, report.measures


@pytest.mark.parametrize("darkening", [1.0, 0.8, 0.6, 0.45])
def test_a_mole_on_any_skin_tone_passes(darkening: float) -> None:
    image = (synthetic_lesion(256) * darkening).astype(np.uint8)

    report = assess_quality(image)

    assert report.ok, report.measures


def test_a_large_phone_photo_passes() -> None:
    photo = cv2.resize(synthetic_lesion(400, seed=3), (4000, 3000), interpolation=cv2.INTER_LINEAR)
    photo = np.clip(photo + np.random.default_rng(0).normal(0, 4, photo.shape), 0, 255)

    assert assess_quality(photo.astype(np.uint8)).ok


def test_the_gate_never_raises_and_reports_its_measures() -> None:
    for image in (np.zeros((1, 1, 3), np.uint8), np.full((40, 7, 3), 128, np.uint8)):
        report = assess_quality(image)
        assert not report.ok
        assert {"sharpness", "brightness", "skin_fraction"} <= set(report.measures)


def sample_rows(shared_data_dir: Path, per_source: int) -> list[dict[str, str]]:
    with (shared_data_dir / "labels.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    random.Random(0).shuffle(rows)
    picked: list[dict[str, str]] = []
    for source in ("HAM10000", "ISIC2017"):
        picked += [row for row in rows if row["source"] == source][:per_source]
    return picked


def test_real_lesions_pass_the_gate(shared_data_dir: Path) -> None:
    rows = sample_rows(shared_data_dir, per_source=150)
    refused: dict[str, list[str]] = {"HAM10000": [], "ISIC2017": []}

    for row in rows:
        report = assess_quality(decode_image((shared_data_dir / row["image"]).read_bytes()))
        if not report.ok:
            refused[row["source"]].append(f"{row['image']}: {','.join(report.issues)}")

    total_refused = sum(len(names) for names in refused.values())
    rate = total_refused / len(rows)
    print(f"false rejections on {len(rows)} shared images: {total_refused} ({rate:.1%})")
    for source, names in refused.items():
        print(f"  {source}: {len(names)}/150 {names}")
    assert len(rows) == 300
    assert rate < 0.05
