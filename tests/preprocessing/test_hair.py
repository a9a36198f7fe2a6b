"""Hair removal: dark thin lines go, the lesion stays (measured in pixels)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from preprocessing import decode_image
from preprocessing.geometry import make_square, resize
from preprocessing.hair import add_synthetic_hair, hair_mask, remove_hair
from tests.support.pictures import synthetic_lesion

SKIN = np.array((214, 160, 132))  # the background colour of synthetic_lesion
HAIR = (40, 28, 22)


def lesion_mask(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) < 120


def draw_hairs(
    image: np.ndarray, count: int, thickness: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw straight dark hairs; return the image with hairs and the hair mask."""
    rng = np.random.default_rng(seed)
    size = image.shape[0]
    hairy, mask = image.copy(), np.zeros(image.shape[:2], np.uint8)
    for _ in range(count):
        start = tuple(int(value) for value in rng.integers(0, size, 2))
        end = tuple(int(value) for value in rng.integers(0, size, 2))
        cv2.line(hairy, start, end, HAIR, thickness)
        cv2.line(mask, start, end, 255, thickness)
    return hairy, mask > 0


@pytest.mark.parametrize(("size", "thickness"), [(256, 1), (256, 2), (256, 3), (512, 4)])
def test_hairs_on_skin_are_removed_and_the_lesion_is_kept(size: int, thickness: int) -> None:
    clean = synthetic_lesion(size)
    lesion = lesion_mask(clean)
    hairy, hair = draw_hairs(clean, count=8, thickness=thickness, seed=size + thickness)
    near_lesion = cv2.dilate(lesion.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0

    cleaned = remove_hair(hairy)

    hair_on_skin = hair & ~near_lesion
    distance_to_skin = np.abs(cleaned.astype(np.int16) - SKIN).max(axis=-1)
    restored = float((distance_to_skin[hair_on_skin] < 40).mean())
    lesion_only = lesion & ~hair
    kept = float(lesion_mask(cleaned)[lesion_only].mean())
    print(f"size={size} thickness={thickness}: restored={restored:.3f} lesion kept={kept:.3f}")
    assert hair_on_skin.sum() > 200  # the hairs really cross the skin
    assert restored >= 0.80
    assert kept >= 0.90


def test_no_hair_leaves_the_image_almost_untouched() -> None:
    clean = synthetic_lesion(256)

    cleaned = remove_hair(clean)

    changed = np.abs(cleaned.astype(np.int16) - clean).max(axis=-1) > 10
    assert changed.mean() < 0.02
    assert hair_mask(clean).mean() / 255 < 0.02


def test_round_dark_dots_are_not_taken_for_hair() -> None:
    image = np.empty((256, 256, 3), np.uint8)
    image[:] = SKIN
    for centre in ((60, 60), (190, 70), (80, 190), (180, 180)):  # globules, a melanoma sign
        cv2.circle(image, centre, 5, (60, 40, 30), -1)

    assert not hair_mask(image).any()


def test_synthetic_hair_is_drawn_reproducibly() -> None:
    clean = synthetic_lesion(256)

    first = add_synthetic_hair(clean, np.random.default_rng(7), count=6)
    second = add_synthetic_hair(clean, np.random.default_rng(7), count=6)

    np.testing.assert_array_equal(first, second)
    darkened = (clean.astype(np.int16) - first).max(axis=-1) > 25
    assert 0.005 < darkened.mean() < 0.25
    assert np.array_equal(clean, synthetic_lesion(256))  # the input is not modified


def test_synthetic_hair_on_real_lesions_is_mostly_removed(lesion_jpeg_bytes: list[bytes]) -> None:
    restored_fractions, untouched_fractions = [], []
    for index, data in enumerate(lesion_jpeg_bytes):
        clean = resize(make_square(decode_image(data)), 256)  # the pipeline's working size
        hairy = add_synthetic_hair(clean, np.random.default_rng(index), count=10)
        hair = np.abs(hairy.astype(np.int16) - clean).max(axis=-1) > 25

        cleaned = remove_hair(hairy)

        error = np.abs(cleaned.astype(np.int16) - clean).max(axis=-1)
        restored_fractions.append(float((error[hair] < 25).mean()))
        untouched_fractions.append(float((error[~hair] < 10).mean()))
    print(f"restored per image: {np.round(restored_fractions, 3)}")
    print(f"untouched per image: {np.round(untouched_fractions, 3)}")
    # Measured: median 0.83, mean 0.78. Hairs over the black vignette are lighter
    # than it (nothing to remove), and hairs crossing each other form blobs that
    # the shape test keeps, so single images can score low.
    assert np.median(restored_fractions) >= 0.80
    assert np.mean(restored_fractions) >= 0.70
    assert np.mean(untouched_fractions) >= 0.90
