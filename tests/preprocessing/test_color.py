"""Shades of Gray colour constancy removes a colour cast."""

from __future__ import annotations

import numpy as np
import pytest

from preprocessing import decode_image
from preprocessing.color import color_constancy
from tests.support.pictures import synthetic_lesion

CASTS = [(1.0, 0.8, 0.6), (0.7, 0.9, 1.0), (0.9, 1.0, 0.75)]  # warm lamp, cold LED, green-ish


def apply_cast(image: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    return np.clip(image.astype(np.float32) * np.array(gains), 0, 255).round().astype(np.uint8)


def channel_ratios(image: np.ndarray) -> np.ndarray:
    means = image.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return means / means.mean()


@pytest.mark.parametrize("gains", CASTS)
def test_a_colour_cast_is_undone(gains: tuple[float, float, float]) -> None:
    original = synthetic_lesion(256)
    cast = apply_cast(original, gains)

    corrected_original = color_constancy(original)
    corrected_cast = color_constancy(cast)

    before = np.abs(channel_ratios(cast) - channel_ratios(original)).mean()
    after = np.abs(channel_ratios(corrected_cast) - channel_ratios(corrected_original)).mean()
    print(f"gains={gains}: channel ratio error {before:.3f} -> {after:.4f}")
    assert before > 0.05
    assert after < 0.01


def test_corrected_channels_are_balanced() -> None:
    cast = apply_cast(synthetic_lesion(256), (1.0, 0.7, 0.5))

    corrected = color_constancy(cast)

    pixels = corrected.reshape(-1, 3).astype(np.float64) / 255.0
    illuminant = np.power(np.mean(pixels**6, axis=0), 1 / 6)
    assert np.ptp(illuminant) / illuminant.mean() < 0.02  # the p=6 illuminant is grey now
    assert np.ptp(channel_ratios(cast)) > 0.5
    assert corrected.dtype == np.uint8 and corrected.shape == cast.shape


def test_a_cast_on_a_real_lesion_is_undone(lesion_jpeg_bytes: list[bytes]) -> None:
    errors = []
    for data in lesion_jpeg_bytes:
        original = decode_image(data)
        corrected_original = color_constancy(original)
        corrected_cast = color_constancy(apply_cast(original, (0.75, 0.9, 1.0)))
        errors.append(
            np.abs(channel_ratios(corrected_cast) - channel_ratios(corrected_original)).mean()
        )

    print(f"channel ratio error per real image: {np.round(errors, 4)}")
    assert max(errors) < 0.02


def test_black_image_is_returned_unchanged_and_power_is_checked() -> None:
    black = np.zeros((32, 32, 3), np.uint8)

    np.testing.assert_array_equal(color_constancy(black), black)
    with pytest.raises(ValueError, match="Received: power=0"):
        color_constancy(black, power=0)
