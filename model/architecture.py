"""The MelNev CNN: a small residual network that trains from scratch on a CPU."""

from __future__ import annotations

import keras
from keras import layers

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


def build_model(
    input_size: int = 128,
    *,
    widths: tuple[int, ...] = (32, 64, 128, 192),
    stem_filters: int = 24,
    dropout: float = 0.3,
    name: str = "melnev",
) -> keras.Model:
    """Build the melanoma-vs-nevus classifier (functional Keras model).

    The model takes uint8-range RGB images (0-255) and scales them itself, so
    training and serving cannot disagree on scaling. It outputs one logit per
    image (melanoma vs nevus); probabilities come from the calibrated sigmoid
    in `model.predictor`.

    Args:
        input_size: Side of the square input image in pixels.
        widths: Filters of each residual stage; each stage halves the resolution.
        stem_filters: Filters of the first plain convolution.
        dropout: Dropout rate before the classifier.
        name: Model name.

    Returns:
        An uncompiled `keras.Model` mapping (batch, input_size, input_size, 3)
        images to (batch, 1) logits.

    Raises:
        ValueError: For arguments out of range.
    """
    if input_size < 32:
        raise ValueError(f"`input_size` must be >= 32. Received: input_size={input_size}")
    if not widths or any(width <= 0 for width in widths):
        raise ValueError(f"`widths` must be positive integers. Received: widths={widths}")
    if stem_filters <= 0:
        raise ValueError(f"`stem_filters` must be positive. Received: stem_filters={stem_filters}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")

    inputs = keras.Input(shape=(input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = layers.Conv2D(stem_filters, 3, strides=2, padding="same", use_bias=False, name="stem")(x)
    x = layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for index, filters in enumerate(widths):
        x = _conv_block(x, filters, name=f"block{index + 1}")
    x = layers.SeparableConv2D(widths[-1] * 2, 3, padding="same", use_bias=False, name="head_conv")(
        x
    )
    x = layers.BatchNormalization(momentum=0.9, name="head_bn")(x)
    x = layers.Activation("relu", name=LAST_CONV_LAYER)(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(1, name="logit", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)
