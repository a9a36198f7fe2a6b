"""Grad-CAM heatmaps on a small real model."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from model.heatmap import GradCam, overlay_heatmap
from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion


@pytest.fixture(scope="module")
def gradcam(tiny_model_path: Path) -> GradCam:
    from model.loader import load_model

    return GradCam(load_model(tiny_model_path).model)


def test_cam_is_a_normalised_map_of_the_input_size(gradcam: GradCam) -> None:
    model_input = synthetic_lesion(64, seed=0)
    heat = gradcam.cam(model_input)
    assert heat.shape == (64, 64)
    assert heat.dtype == np.float32
    assert np.isfinite(heat).all()
    assert heat.min() >= -1e-3
    assert heat.max() <= 1 + 1e-3


def test_cam_is_deterministic(gradcam: GradCam) -> None:
    model_input = synthetic_lesion(64, seed=1)
    np.testing.assert_allclose(gradcam.cam(model_input), gradcam.cam(model_input), atol=1e-5)


def test_cam_refuses_a_wrong_input_shape(gradcam: GradCam) -> None:
    with pytest.raises(ValueError, match="shape"):
        gradcam.cam(np.zeros((32, 32, 3), np.uint8))


def test_overlay_is_square_rgb_of_display_size(gradcam: GradCam) -> None:
    photo = synthetic_lesion(300, seed=2)[:, :240]  # not square: cropped like preprocessing
    overlay = gradcam.overlay(photo, synthetic_lesion(64, seed=2), side=256)
    assert overlay.shape == (256, 256, 3)
    assert overlay.dtype == np.uint8


def test_overlay_keeps_the_photo_where_the_map_is_cold() -> None:
    photo = np.full((100, 100, 3), 120, np.uint8)
    heat = np.zeros((10, 10), np.float32)
    heat[:5] = 1.0
    overlay = overlay_heatmap(photo, heat, side=100)
    assert np.abs(overlay[80:].astype(int) - 120).max() <= 1  # cold half untouched
    assert np.abs(overlay[:20].astype(int) - 120).mean() > 10  # hot half coloured


def test_overlay_frames_the_photo_as_preprocessing_did() -> None:
    photo = np.full((100, 100, 3), 120, np.uint8)
    photo[:10] = 0  # a black edge that preprocessing with center_fraction=0.8 trims
    cold = np.zeros((10, 10), np.float32)

    whole = overlay_heatmap(photo, cold, side=100)
    trimmed = overlay_heatmap(photo, cold, framing=PreprocessConfig(center_fraction=0.8), side=100)

    assert whole[:5].max() == 0
    assert np.abs(trimmed.astype(int) - 120).max() <= 1  # the edge is not shown


@pytest.mark.parametrize(
    ("photo", "heat", "alpha", "message"),
    [
        (np.zeros((10, 10), np.uint8), np.zeros((4, 4)), 0.5, "photo"),
        (np.zeros((10, 10, 3), np.uint8), np.zeros((4, 4, 1)), 0.5, "heat"),
        (np.zeros((10, 10, 3), np.uint8), np.zeros((4, 4)), 1.5, "alpha"),
    ],
)
def test_overlay_validates_its_arguments(
    photo: np.ndarray, heat: np.ndarray, alpha: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        overlay_heatmap(photo, heat, alpha=alpha)


def test_model_without_the_layer_is_refused() -> None:
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="last_conv"):
        GradCam(model)


def test_averaged_map_turns_with_the_photo(tiny_model_path: Path) -> None:
    from model.loader import load_model

    model = load_model(tiny_model_path).model
    model_input = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    turned = np.ascontiguousarray(np.rot90(model_input))

    one_view, four_views = GradCam(model), GradCam(model, views=4)

    # One view explains each orientation on its own; averaging the 4 rotations (as the
    # answer is averaged) gives a turned photo the same map, turned.
    assert np.abs(one_view.cam(turned) - np.rot90(one_view.cam(model_input))).max() > 0.05
    np.testing.assert_allclose(
        four_views.cam(turned), np.rot90(four_views.cam(model_input)), atol=1e-4
    )
