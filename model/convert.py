"""Convert a Keras model to the LiteRT (TFLite) file that serving runs (needs TensorFlow).

The converted graph takes the uint8 model input itself (the cast to float is inside),
so serving passes preprocessed photos as they are. It has two outputs: the logits, and,
where the model's head is global average pooling -> dropout -> linear logits (every
`build_model` model), each class's activation map of the last convolutional layer,
`sum_k w_kc * A[i, j, k]`. For such a head the gradient of logit c with respect to
`A[i, j, k]` is `w_kc / (h * w)` everywhere, so Grad-CAM's channel weights are `w_kc`
up to a positive factor and this map *is* Grad-CAM's map before its ReLU and
normalisation: the served model explains its own answers without TensorFlow.

Shapes: one logit gives (N,) logits and (N, h, w) maps; K logits give (N, K) and
(N, h, w, K).

Only training and export import this module; serving reads the file with
`model.serving`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from model.architecture import LAST_CONV_LAYER

PRECISIONS = ("float32", "float16", "int8")
"""float32: as trained; float16: weights stored in half precision (half the file,
computed in float32); int8: post-training integer quantisation, calibrated on photos."""

CAM_OUTPUT = "cam"
LOGIT_OUTPUT = "logit"
OUTPUT = "output"


def cam_head_weights(model: keras.Model, layer_name: str = LAST_CONV_LAYER) -> np.ndarray | None:
    """Return the logits' weights over the channels of `layer_name`, or None.

    Only for heads where Grad-CAM equals the weighted activation map: `layer_name`
    feeds a GlobalAveragePooling2D, optionally a Dropout, then a linear Dense layer
    that is the model's output.

    Args:
        model: A functional Keras model.
        layer_name: The explained convolutional activation.

    Returns:
        float32 array (channels,) for one logit, (channels, K) for K; None for any
        other head.
    """
    try:
        layer = model.get_layer(layer_name)
    except ValueError:
        return None
    layers_after: list[Any] = []
    current = layer
    while True:
        consumers = [node.operation for node in current._outbound_nodes]
        if len(consumers) != 1:
            break
        current = consumers[0]
        layers_after.append(current)
    kinds = [type(item).__name__ for item in layers_after]
    if kinds not in (
        ["GlobalAveragePooling2D", "Dropout", "Dense"],
        ["GlobalAveragePooling2D", "Dense"],
    ):
        return None
    dense = layers_after[-1]
    activation = getattr(dense.activation, "__name__", "")
    if activation != "linear" or dense.output is not model.outputs[0]:
        return None
    kernel = np.asarray(dense.kernel.numpy(), np.float32)
    return kernel[:, 0] if dense.units == 1 else kernel


def convert(
    model: keras.Model,
    *,
    precision: str = "float32",
    calibration_images: Callable[[], Iterable[np.ndarray]] | None = None,
    layer_name: str = LAST_CONV_LAYER,
) -> bytes:
    """Convert `model` to a LiteRT flatbuffer with uint8 input.

    Args:
        model: Keras model mapping (N, S, S, 3) 0-255 images to (N, 1) or (N, K)
            logits, or to any other (N, K) output, which the file gives as it is (the
            photo gate's kind probabilities).
        precision: One of `PRECISIONS`.
        calibration_images: For int8: returns an iterable of preprocessed uint8
            images (S, S, 3), such as training photos, to calibrate the ranges on.
        layer_name: The layer whose class activation map becomes the second output.

    Returns:
        The `.tflite` file's bytes.

    Raises:
        ValueError: For an unknown precision, or int8 without calibration images.
    """
    import tensorflow as tf

    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` must be one of {PRECISIONS}. Received: precision={precision!r}"
        )
    if precision == "int8" and calibration_images is None:
        raise ValueError("int8 needs `calibration_images`. Received: calibration_images=None")
    size = int(model.input_shape[1])
    single_logit = int(model.output_shape[-1]) == 1
    weights = cam_head_weights(model, layer_name)
    if weights is None:
        trunk = model
    else:
        trunk = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
        cam_weights = tf.constant(weights)

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8, name="image")])
    def serve(image: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = trunk(tf.cast(image, tf.float32), training=False)
        if weights is None:
            if not single_logit:
                return {OUTPUT: outputs}
            return {LOGIT_OUTPUT: tf.reshape(outputs, [-1])}
        activations, logits = outputs
        cam = tf.tensordot(tf.cast(activations, tf.float32), cam_weights, axes=[[3], [0]])
        if single_logit:
            logits = tf.reshape(logits, [-1])
        return {LOGIT_OUTPUT: logits, CAM_OUTPUT: cam}

    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    # Frozen first: Keras 3 variables would otherwise stay resource variables in the file.
    frozen = convert_variables_to_constants_v2(serve.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen], tf.Module())
    if precision == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "int8":
        assert calibration_images is not None

        def representative() -> Iterable[list[np.ndarray]]:
            for image in calibration_images():
                yield [np.asarray(image, np.uint8)[None]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
    return bytes(converter.convert())


def write_served_model(
    model: keras.Model,
    path: Path | str,
    *,
    precision: str = "float32",
    calibration_images: Callable[[], Iterable[np.ndarray]] | None = None,
) -> Path:
    """Convert `model` (see `convert`) and write it to `path` (a `.tflite` file).

    Raises:
        ValueError: If `path` does not end in `.tflite`, or as `convert`.
    """
    served_path = Path(path)
    if served_path.suffix != ".tflite":
        raise ValueError(f"`path` must end in '.tflite'. Received: path={str(served_path)!r}")
    served_path.write_bytes(
        convert(model, precision=precision, calibration_images=calibration_images)
    )
    return served_path
