"""EfficientNet-Lite backbones: the ImageNet weights are real and load into Keras."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

from model.efficientnet_lite import (
    VARIANTS,
    block_count,
    efficientnet_lite,
    imagenet_weights_path,
    load_imagenet_weights,
)
from preprocessing.geometry import make_square, resize

skimage_data = pytest.importorskip("skimage.data")

# ImageNet-1k class indices.
CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


def imagenet_classifier(size: int = 224, variant: str = "lite0") -> keras.Model:
    """The backbone plus its original 1000-class head, as the checkpoint was trained."""
    path = imagenet_weights_path(variant)
    if not path.is_file():
        pytest.skip(
            f"{path.name} is not in this checkout (python -m training.classifier.convert_backbone)"
        )
    inputs = keras.Input((size, size, 3))
    x = layers.Rescaling(1 / 128, offset=-127 / 128)(inputs)
    x = layers.GlobalAveragePooling2D()(efficientnet_lite(x, variant))
    model = keras.Model(inputs, layers.Dense(1000, name="fc")(x))
    load_imagenet_weights(model, path)
    with np.load(path) as weights:
        kernel, bias = weights["_fc.weight"], weights["_fc.bias"]
    model.get_layer("fc").set_weights([kernel.astype(np.float32).T, bias.astype(np.float32)])
    return model


def centre_square(image: np.ndarray, size: int) -> np.ndarray:
    return resize(make_square(image, "crop"), size).astype(np.float32)


@pytest.mark.parametrize("variant", VARIANTS)
def test_imagenet_weights_recognise_real_photos(variant: str) -> None:
    model = imagenet_classifier(variant=variant)
    photos = np.stack(
        [centre_square(skimage_data.chelsea(), 224), centre_square(skimage_data.coffee(), 224)]
    )

    logits = keras.ops.convert_to_numpy(model(photos, training=False))

    cat_top3 = set(np.argsort(-logits[0])[:3].tolist())
    assert cat_top3 <= CATS, f"cat photo ranked {cat_top3} first"
    assert int(np.argmax(logits[1])) == ESPRESSO


def test_variants_differ_in_depth_and_refuse_unknown_names() -> None:
    assert [block_count(variant) for variant in VARIANTS] == [16, 21, 21]
    with pytest.raises(ValueError, match="Received: variant='lite9'"):
        block_count("lite9")


def test_random_backbone_does_not_recognise_them() -> None:
    """Guards the test above: without the weights the same check fails."""
    inputs = keras.Input((224, 224, 3))
    x = layers.GlobalAveragePooling2D()(efficientnet_lite(layers.Rescaling(1 / 128)(inputs)))
    model = keras.Model(inputs, layers.Dense(1000)(x))
    logits = keras.ops.convert_to_numpy(model(centre_square(skimage_data.chelsea(), 224)[None]))
    assert not set(np.argsort(-logits[0])[:3].tolist()) <= CATS


def test_every_backbone_layer_with_weights_is_loaded() -> None:
    inputs = keras.Input((64, 64, 3))
    model = keras.Model(inputs, efficientnet_lite(inputs))

    loaded = load_imagenet_weights(model)

    assert loaded == sum(1 for layer in model.layers if layer.weights)
    assert loaded == 1 + 1 + 16 * 4 + 15 * 2 + 2  # stem+bn, 16 blocks, 15 expansions, head+bn


def test_missing_file_and_missing_tensor_are_reported(tmp_path: Path) -> None:
    inputs = keras.Input((64, 64, 3))
    model = keras.Model(inputs, efficientnet_lite(inputs))
    with pytest.raises(FileNotFoundError):
        load_imagenet_weights(model, tmp_path / "absent.npz")

    with np.load(imagenet_weights_path("lite0")) as weights:
        partial = {k: weights[k] for k in weights.files if not k.startswith("_blocks.7.")}
    np.savez(tmp_path / "partial.npz", **partial)
    with pytest.raises(ValueError, match="backbone_block7"):
        load_imagenet_weights(model, tmp_path / "partial.npz")
