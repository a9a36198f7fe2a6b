"""build_model: argument checks, shapes, scaling inside the model, pretrained backbone."""

from __future__ import annotations

import numpy as np
import pytest
from keras import layers

from model.architecture import LAST_CONV_LAYER, build_model


@pytest.mark.parametrize(
    "arguments",
    [
        {"input_size": 16},
        {"backbone": "resnet50"},
        {"backbone": "small_cnn", "weights": "imagenet"},
        {"frozen_blocks": 17},
        {"frozen_blocks": -1},
        {"widths": ()},
        {"widths": (8, 0)},
        {"stem_filters": 0},
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"classes": 0},
    ],
    ids=[
        "small-input",
        "unknown-backbone",
        "scratch-with-weights",
        "too-many-frozen",
        "negative-frozen",
        "no-widths",
        "zero-width",
        "zero-stem",
        "dropout-1",
        "negative-dropout",
        "no-classes",
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Received:"):
        build_model(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("classes", [8, 1])
def test_small_cnn_maps_uint8_range_images_to_one_logit_per_class(classes: int) -> None:
    model = build_model(
        64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8, classes=classes
    )

    outputs = model(np.zeros((3, 64, 64, 3), np.float32), training=False)

    assert model.input_shape == (None, 64, 64, 3)
    assert tuple(outputs.shape) == (3, classes)
    assert model.get_layer(LAST_CONV_LAYER) is not None
    rescale = model.get_layer("rescale")
    assert rescale.scale == pytest.approx(1 / 255)  # scaling lives in the model


def test_default_model_starts_from_imagenet_with_frozen_statistics() -> None:
    model = build_model(64, frozen_blocks=3)
    random = build_model(64, weights=None)

    outputs = model(np.full((2, 64, 64, 3), 127.0, np.float32), training=False)

    assert tuple(outputs.shape) == (2, 8)  # one logit per kind of lesion
    assert model.get_layer(LAST_CONV_LAYER).output.shape[-1] == 1280
    assert model.get_layer("rescale").scale == pytest.approx(1 / 128)
    # Weights differ from a random build: the ImageNet file was loaded.
    head = model.get_layer("backbone_head").get_weights()[0]
    assert not np.allclose(head, random.get_layer("backbone_head").get_weights()[0])
    # Stem and blocks 0-2 frozen, block 3 on and the new head trainable, every BatchNorm frozen.
    assert not model.get_layer("backbone_stem").trainable
    assert not model.get_layer("backbone_block2_project").trainable
    assert model.get_layer("backbone_block3_project").trainable
    assert model.get_layer("logit").trainable
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)
    # A randomly initialised backbone trains everything.
    assert all(layer.trainable for layer in random.layers)
