"""Lesion-centred framing finds the lesion wherever the camera put it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.framing import lesion_box
from preprocessing.geometry import make_square
from preprocessing.pipeline import PreprocessConfig, frame, preprocess
from tests.conftest import skin_photo
from training.data import load_image_rgb, read_dataset


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


def test_a_lesion_filling_the_photo_falls_back_to_the_centred_square() -> None:
    assert lesion_box(skin_photo(radius=170)) is None


def test_a_soft_vignette_is_not_taken_for_the_lesion() -> None:
    photo = skin_photo(height=450, width=600, centre=(310, 230), radius=35)
    rows, cols = np.mgrid[0:450, 0:600]
    radius = np.hypot((cols - 300) / 300, (rows - 225) / 225)
    falloff = np.clip(1.45 - 0.9 * radius, 0.15, 1.0)  # dark, soft corners
    vignetted = (photo * falloff[..., None]).astype(np.uint8)

    box = lesion_box(vignetted)

    assert box is not None
    top, left, side = box
    assert side < 0.6 * 450  # the lesion's square, not the whole frame
    assert left <= 310 - 35 and left + side >= 310 + 35
    assert top <= 230 - 35 and top + side >= 230 + 35


@pytest.mark.parametrize("fill", [0, 200])
def test_no_lesion_falls_back_to_the_centred_square(fill: int) -> None:
    blank = np.full((300, 400, 3), fill, np.uint8)

    assert lesion_box(blank) is None
    lesion_framed = PreprocessConfig(center_fraction=0.8, framing="lesion")
    np.testing.assert_array_equal(frame(blank, lesion_framed), make_square(blank, "crop", 0.8))


def test_bad_arguments_are_refused_with_what_was_received() -> None:
    with pytest.raises(ValueError, match="Received: shape=\\(10, 10\\), dtype=uint8"):
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


def test_real_lesions_are_framed_inside_the_photo(shared_data_dir: Path) -> None:
    records = read_dataset(shared_data_dir).records[::300][:30]
    framed = 0
    for record in records:
        photo = load_image_rgb(record.path)
        box = lesion_box(photo)
        if box is None:  # lesion fills the photo, or none found: centred framing
            continue
        framed += 1
        top, left, side = box
        assert 0.45 * min(photo.shape[:2]) - 2 <= side < 0.95 * min(photo.shape[:2])
        assert top >= 0 and left >= 0
        assert top + side <= photo.shape[0] and left + side <= photo.shape[1]
        # The square holds the photo's darkest part: the lesion, not the skin around it.
        lightness = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB)[..., 0].astype(float)
        inside = lightness[top : top + side, left : left + side].mean()
        assert inside < lightness.mean()
    assert framed >= len(records) // 2
