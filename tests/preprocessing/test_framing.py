"""Lesion-centred framing finds the lesion wherever the camera put it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.framing import lesion_box, lesion_square
from preprocessing.geometry import make_square
from preprocessing.pipeline import PreprocessConfig, preprocess
from training.data import load_image_rgb, read_dataset


def skin_photo(
    height: int = 300, width: int = 400, centre: tuple[int, int] = (200, 150), radius: int = 40
) -> np.ndarray:
    """Light, slightly noisy skin with a dark round lesion at `centre` (x, y)."""
    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal((210, 170, 150), 6, (height, width, 3)), 0, 255).astype(np.uint8)
    cv2.circle(photo, centre, radius, (90, 50, 35), -1)
    return photo


def test_the_box_holds_an_off_centre_lesion_with_a_margin() -> None:
    photo = skin_photo(centre=(250, 140), radius=60)

    box = lesion_box(photo)

    assert box is not None
    top, left, side = box
    assert left <= 250 - 60 and left + side >= 250 + 60
    assert top <= 140 - 60 and top + side >= 140 + 60
    assert 120 * 1.2 < side <= 120 * 1.6  # about 1.4x the lesion, not the whole photo
    assert top >= 0 and left >= 0 and top + side <= 300 and left + side <= 400


def test_a_small_lesion_is_not_blown_up_beyond_the_minimum_square() -> None:
    box = lesion_box(skin_photo(radius=25), min_fraction=0.45)

    assert box is not None
    assert box[2] == pytest.approx(0.45 * 300, abs=3)


def test_a_lesion_filling_the_photo_keeps_the_whole_square() -> None:
    box = lesion_box(skin_photo(radius=170))

    assert box is not None and box[2] == 300


@pytest.mark.parametrize("fill", [0, 200])
def test_no_lesion_falls_back_to_the_centred_square(fill: int) -> None:
    blank = np.full((300, 400, 3), fill, np.uint8)

    assert lesion_box(blank) is None
    np.testing.assert_array_equal(lesion_square(blank, 0.8), make_square(blank, "crop", 0.8))


def test_bad_arguments_are_refused_with_what_was_received() -> None:
    with pytest.raises(ValueError, match="Received: shape"):
        lesion_box(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match=r"margin=0\.5"):
        lesion_box(skin_photo(), margin=0.5)
    with pytest.raises(ValueError, match="framing='side'"):
        PreprocessConfig(framing="side")
    with pytest.raises(ValueError, match="resize_mode='pad'"):
        PreprocessConfig(framing="lesion", resize_mode="pad")


def test_lesion_framing_gives_the_same_input_wherever_the_lesion_sits() -> None:
    config = PreprocessConfig(image_size=64, working_size=128, framing="lesion")
    centred = preprocess(skin_photo(centre=(200, 150)), config)
    moved = preprocess(skin_photo(centre=(300, 200)), config)
    centre_framed = PreprocessConfig(image_size=64, working_size=128, center_fraction=0.8)

    lesion_difference = np.abs(centred.astype(int) - moved.astype(int)).mean()
    centre_difference = np.abs(
        preprocess(skin_photo(centre=(200, 150)), centre_framed).astype(int)
        - preprocess(skin_photo(centre=(300, 200)), centre_framed).astype(int)
    ).mean()
    assert centred.shape == (64, 64, 3)
    assert lesion_difference < 5 < centre_difference


def test_real_lesions_are_found_and_kept_inside_their_square(shared_data_dir: Path) -> None:
    records = read_dataset(shared_data_dir).records[::300][:30]
    found = 0
    for record in records:
        photo = load_image_rgb(record.path)
        box = lesion_box(photo)
        if box is None:
            continue
        found += 1
        top, left, side = box
        assert side >= 0.45 * min(photo.shape[:2]) - 2
        assert top + side <= photo.shape[0] and left + side <= photo.shape[1]
    assert found >= 0.9 * len(records)
