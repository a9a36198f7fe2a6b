"""build_model: argument checks, shapes, and scaling inside the model."""

from __future__ import annotations

import numpy as np
import pytest

from model.architecture import LAST_CONV_LAYER, build_model


@pytest.mark.parametrize(
    "arguments",
    [
        {"input_size": 16},
        {"widths": ()},
        {"widths": (8, 0)},
        {"stem_filters": 0},
        {"dropout": 1.0},
        {"dropout": -0.1},
    ],
    ids=["small-input", "no-widths", "zero-width", "zero-stem", "dropout-1", "negative-dropout"],
)
def test_bad_arguments_raise_value_error_naming_the_value(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Received:"):
        build_model(**arguments)  # type: ignore[arg-type]


def test_model_maps_uint8_range_images_to_one_logit() -> None:
    model = build_model(64, widths=(8, 16), stem_filters=8)

    outputs = model(np.zeros((3, 64, 64, 3), np.float32), training=False)

    assert model.input_shape == (None, 64, 64, 3)
    assert tuple(outputs.shape) == (3, 1)
    assert model.get_layer(LAST_CONV_LAYER) is not None
    rescale = model.get_layer("rescale")
    assert rescale.scale == pytest.approx(1 / 255)  # scaling lives in the model
