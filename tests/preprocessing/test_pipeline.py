"""preprocess(): one function, configured by a small config saved with the model."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing.geometry import make_square
from preprocessing.pipeline import PreprocessConfig, preprocess
from tests.support.pictures import synthetic_lesion


@pytest.mark.parametrize("shape", [(150, 200), (3000, 4000), (256, 256), (600, 90)])
def test_any_photo_becomes_a_square_model_input(shape: tuple[int, int]) -> None:
    import cv2

    image = cv2.resize(synthetic_lesion(256), shape[::-1])

    output = preprocess(image, PreprocessConfig(image_size=96, working_size=192))

    assert output.shape == (96, 96, 3)
    assert output.dtype == np.uint8


def test_crop_keeps_the_centre_and_pad_keeps_everything() -> None:
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, :100] = 255  # a white left third

    cropped = make_square(wide, "crop")
    padded = make_square(wide, "pad")

    assert cropped.shape == (100, 100, 3) and not cropped.any()
    assert padded.shape == (300, 300, 3)
    assert (padded[100:200, :100] == 255).all() and not padded[:100].any()


def test_center_fraction_keeps_the_middle_of_the_square() -> None:
    wide = np.zeros((100, 200, 3), np.uint8)
    wide[45:55, 95:105] = 255  # the lesion, centred
    wide[:5] = 80  # a ruler along the top edge

    kept = make_square(wide, "crop", center_fraction=0.8)

    assert kept.shape == (80, 80, 3)
    assert (kept[35:45, 35:45] == 255).all()
    assert not (kept == 80).any()  # the edge is gone
    np.testing.assert_array_equal(make_square(wide, "crop", 1.0), make_square(wide, "crop"))


def test_preprocess_trims_the_frame_by_the_configured_fraction() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    image[:20] = 255  # a bright band along the top tenth
    plain = PreprocessConfig(
        image_size=100, working_size=100, hair_removal=False, color_constancy=False
    )
    trimmed = PreprocessConfig(**{**plain.to_dict(), "center_fraction": 0.8})

    assert preprocess(image, plain)[:5].mean() == 255
    assert not preprocess(image, trimmed).any()  # the band was in the trimmed edge


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_make_square_refuses_a_fraction_outside_zero_one(fraction: float) -> None:
    with pytest.raises(ValueError, match="center_fraction"):
        make_square(np.zeros((10, 10, 3), np.uint8), "crop", fraction)


def test_disabled_steps_are_skipped() -> None:
    image = synthetic_lesion(128)
    config = PreprocessConfig(
        image_size=128, working_size=128, hair_removal=False, color_constancy=False
    )

    np.testing.assert_array_equal(preprocess(image, config), image)


def test_config_round_trips_and_refuses_unknown_keys() -> None:
    config = PreprocessConfig(image_size=64, working_size=128, resize_mode="pad")

    assert PreprocessConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="Received"):
        PreprocessConfig.from_dict({**config.to_dict(), "sharpen": True})


@pytest.mark.parametrize(
    "values",
    [
        {"image_size": 8},
        {"image_size": 128, "working_size": 64},
        {"resize_mode": "stretch"},
        {"center_fraction": 0.3},
        {"center_fraction": 1.2},
    ],
)
def test_bad_config_values_raise_value_error(values: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Received"):
        PreprocessConfig(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "image", [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 4), np.uint8), np.zeros((64, 64, 3))]
)
def test_non_rgb_uint8_input_is_refused(image: np.ndarray) -> None:
    with pytest.raises(ValueError, match="Received"):
        preprocess(image, PreprocessConfig())
