"""The MelNev CNN: ImageNet-pretrained EfficientNet-Lite (default Lite0) or a small CNN."""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from model import efficientnet_lite

LAST_CONV_LAYER = "last_conv"
"""Name of the last convolutional activation (used for Grad-CAM heatmaps)."""


def _conv_block(inputs: keras.KerasTensor, filters: int, *, name: str) -> keras.KerasTensor:
    # BatchNorm momentum 0.9 (not Keras' 0.99/0.999 defaults) so inference
    # statistics settle within a short CPU training budget.
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_sep1")(
        inputs
    )
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn1")(x)
    x = layers.Activation("relu", name=f"{name}_relu1")(x)
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_sep2")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn2")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    shortcut = layers.Conv2D(filters, 1, strides=2, padding="same", name=f"{name}_proj")(inputs)
    x = layers.add([x, shortcut], name=f"{name}_add")
    return layers.Activation("relu", name=f"{name}_out")(x)


BACKBONES = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "small_cnn")
"""Feature extractors `build_model` offers."""


def _small_cnn(
    scaled_images: keras.KerasTensor, widths: tuple[int, ...], stem_filters: int
) -> keras.KerasTensor:
    x = layers.Conv2D(stem_filters, 3, strides=2, padding="same", use_bias=False, name="stem")(
        scaled_images
    )
    x = layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for index, filters in enumerate(widths):
        x = _conv_block(x, filters, name=f"block{index + 1}")
    x = layers.SeparableConv2D(widths[-1] * 2, 3, padding="same", use_bias=False, name="head_conv")(
        x
    )
    x = layers.BatchNormalization(momentum=0.9, name="head_bn")(x)
    return layers.Activation("relu", name=LAST_CONV_LAYER)(x)


def _freeze_pretrained(model: keras.Model, frozen_blocks: int) -> None:
    # BatchNorm keeps its ImageNet statistics (a frozen BN layer runs in inference
    # mode): small CPU batches would otherwise drag them around, and the stem and
    # the first blocks keep generic edge/colour filters and cost no gradients.
    frozen_prefixes = (
        "backbone_stem",
        *(f"backbone_block{index}_" for index in range(frozen_blocks)),
    )
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization) or layer.name.startswith(frozen_prefixes):
            layer.trainable = False


def build_model(
    input_size: int = 192,
    *,
    backbone: str = "efficientnet_lite0",
    weights: str | Path | None = "imagenet",
    frozen_blocks: int = 3,
    widths: tuple[int, ...] = (32, 64, 128, 192),
    stem_filters: int = 24,
    dropout: float = 0.3,
    classes: int = 8,
    name: str = "melnev",
) -> keras.Model:
    """Build the lesion classifier (functional Keras model).

    The model takes uint8-range RGB images (0-255) and scales them itself, so
    training and serving cannot disagree on scaling. It outputs one logit per
    class (`model.lesions.LESION_CLASSES`, or one logit for melanoma against
    nevus); probabilities come from the calibrated softmax in `model.predictor`.

    Args:
        input_size: Side of the square input image in pixels.
        backbone: `"efficientnet_lite0"` (ImageNet features, see
            `model.efficientnet_lite`), the larger `"efficientnet_lite1"` or
            `"efficientnet_lite2"`, or `"small_cnn"` (a 0.2 M-parameter residual
            CNN that trains from scratch).
        weights: For EfficientNet-Lite: `"imagenet"` for the ImageNet weights in
            `model/backbones` (no download; Lite0's ship with MelNev), a path to
            another `.npz` of the same layout, or None for random initialisation.
            Must be None for `small_cnn`.
        frozen_blocks: With pretrained weights, how many inverted-residual blocks
            (after the stem, which is always frozen) keep their ImageNet weights.
            BatchNorm layers are always frozen then.
        widths: `small_cnn` only: filters of each residual stage.
        stem_filters: `small_cnn` only: filters of the first convolution.
        dropout: Dropout rate before the classifier.
        classes: Logits per image (1: melanoma against nevus, sigmoid).
        name: Model name.

    Returns:
        An uncompiled `keras.Model` mapping (batch, input_size, input_size, 3)
        images to (batch, classes) logits.

    Raises:
        ValueError: For arguments out of range.
    """
    if input_size < 32:
        raise ValueError(f"`input_size` must be >= 32. Received: input_size={input_size}")
    if backbone not in BACKBONES:
        raise ValueError(f"`backbone` must be one of {BACKBONES}. Received: backbone={backbone!r}")
    if backbone == "small_cnn" and weights is not None:
        raise ValueError(
            f"`small_cnn` trains from scratch: pass weights=None. Received: weights={weights!r}"
        )
    if not widths or any(width <= 0 for width in widths):
        raise ValueError(f"`widths` must be positive integers. Received: widths={widths}")
    if stem_filters <= 0:
        raise ValueError(f"`stem_filters` must be positive. Received: stem_filters={stem_filters}")
    variant = backbone.removeprefix("efficientnet_")
    is_lite = backbone != "small_cnn"
    blocks = efficientnet_lite.block_count(variant) if is_lite else efficientnet_lite.BLOCKS
    if not 0 <= frozen_blocks <= blocks:
        raise ValueError(
            f"`frozen_blocks` must be in [0, {blocks}]. Received: frozen_blocks={frozen_blocks}"
        )
    if classes < 1:
        raise ValueError(f"`classes` must be >= 1. Received: classes={classes}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")

    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    if backbone == "small_cnn":
        x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
        x = _small_cnn(x, widths, stem_filters)
    else:
        # The ImageNet weights expect (pixel - 127) / 128, as in TensorFlow's EfficientNet-Lite.
        x = layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="rescale")(inputs)
        x = efficientnet_lite.efficientnet_lite(x, variant, output_name=LAST_CONV_LAYER)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(classes, name="logit", dtype="float32")(x)
    model = keras.Model(inputs, outputs, name=name)
    if weights is not None:
        imagenet = weights == "imagenet"
        path = efficientnet_lite.imagenet_weights_path(variant) if imagenet else Path(weights)
        efficientnet_lite.load_imagenet_weights(model, path)
        _freeze_pretrained(model, frozen_blocks)
    return model
