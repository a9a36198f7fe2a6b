"""The photo-type gate as a model: frozen ImageNet EfficientNet-Lite0 on the whole photo.

The classifier's own features did poorly here (held-out topics: a single spot told from
a rash at ROC AUC 0.76): it sees only the centre of a colour-corrected crop, and its
backbone was tuned to dermoscopy. ImageNet features of the whole picture, squashed to
224 px, reach 0.885 (both together 0.888, not worth a second input). The head is a
softmax regression fitted by `training.gate.fit`; `gate_model` folds its
standardisation into one Dense layer so the served file maps uint8 pixels to the four
kind probabilities.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from model.convert import convert
from model.efficientnet_lite import efficientnet_lite, load_imagenet_weights
from model.photo_gate import GATE_INPUT_SIZE, KINDS, PhotoGate


def gate_backbone(size: int = GATE_INPUT_SIZE) -> keras.Model:
    """(N, S, S, 3) 0-255 pixels -> (N, 1280) pooled ImageNet features, weights loaded."""
    inputs = keras.Input(shape=(size, size, 3), name="image")
    scaled = layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="rescale")(inputs)
    features = layers.GlobalAveragePooling2D(name="pool")(efficientnet_lite(scaled, "lite0"))
    model = keras.Model(inputs, features, name="photo_gate_backbone")
    load_imagenet_weights(model)
    return model


def gate_model(backbone: keras.Model, head: PhotoGate) -> keras.Model:
    """The backbone with the fitted head folded into one softmax layer."""
    weights = head.weights / head.scale[:, None]
    bias = head.bias - (head.mean / head.scale) @ head.weights
    dense = layers.Dense(len(KINDS), activation="softmax", name="kind")
    outputs = dense(backbone.output)
    dense.set_weights([weights.astype(np.float32), bias.astype(np.float32)])
    return keras.Model(backbone.input, outputs, name="photo_gate")


def convert_gate(model: keras.Model) -> bytes:
    """A LiteRT flatbuffer: uint8 (N, S, S, 3) in, float32 (N, 4) probabilities out.

    The classifier's converter (`model.convert.convert`), with weights stored in
    float16 (half the file, computed in float32) as for the shipped classifier.
    """
    return convert(model, precision="float16")
