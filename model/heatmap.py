"""Grad-CAM heatmaps: which part of the photo pushed the model's answer.

Pure functions on arrays (no I/O). The heatmap is computed on the last
convolutional activation (`architecture.LAST_CONV_LAYER`) with respect to the
melanoma logit, and drawn over the photo cropped the way the model saw it.

Usage:
    cam = GradCam(loaded.model)
    overlay = cam.overlay(photo, predictor.preprocess(photo), framing=loaded.card.preprocessing)
"""

from __future__ import annotations

import cv2
import keras
import numpy as np
import tensorflow as tf

from model.architecture import LAST_CONV_LAYER
from model.test_time import check_views, dihedral_views, turn_back
from preprocessing.geometry import resize
from preprocessing.pipeline import PreprocessConfig, frame

DISPLAY_SIDE = 512
"""Side of the square overlay image returned to users."""


class GradCam:
    """Grad-CAM for a MelNev model, built once and callable from several threads.

    Args:
        model: A model with a layer named `layer_name` and a single logit output.
        layer_name: The convolutional activation to explain.
        views: The card's `test_time_views`: the map is averaged over the same turns
            of the image as the answer (each map turned back first), so a turned
            photo gets the same map, turned.

    Raises:
        ValueError: If the model has no layer called `layer_name`, or for a bad `views`.
    """

    def __init__(
        self, model: keras.Model, layer_name: str = LAST_CONV_LAYER, *, views: int = 1
    ) -> None:
        self.views = check_views(views)
        try:
            layer = model.get_layer(layer_name)
        except ValueError as error:
            raise ValueError(
                f"The model has no layer named {layer_name!r}. Received: layer_name={layer_name!r}"
            ) from error
        self.input_size = int(model.input_shape[1])
        # Two halves: the convolutional trunk runs without a gradient tape, so the
        # tape only records the small head (pooling, dense) above the explained layer.
        self._features = keras.Model(model.inputs, layer.output)
        self._head = keras.Model(layer.output, model.outputs[0])

    def cam(self, model_input: np.ndarray) -> np.ndarray:
        """Return the Grad-CAM map of one preprocessed image.

        Args:
            model_input: uint8 array (S, S, 3), the output of `preprocess`.

        Returns:
            float32 array (S, S) in [0, 1]; all zeros when nothing pushed the logit up.

        Raises:
            ValueError: If `model_input` does not match the model's input shape.
        """
        expected = (self.input_size, self.input_size, 3)
        if model_input.shape != expected:
            raise ValueError(
                f"`model_input` must have shape {expected}. Received: shape={model_input.shape}"
            )
        batch = tf.constant(dihedral_views(model_input[None], self.views).astype(np.float32))
        activations = self._features(batch, training=False)
        with tf.GradientTape() as tape:
            tape.watch(activations)
            # Views are independent samples, so the gradient of their sum is per view.
            target = tf.reduce_sum(self._head(activations, training=False)[:, 0])
        gradients = tape.gradient(target, activations)
        weights = tf.reduce_mean(gradients, axis=(1, 2))  # (views, channels)
        cams = tf.nn.relu(tf.reduce_sum(activations * weights[:, None, None, :], axis=-1))
        heat = np.mean(
            [turn_back(view_cam, k) for k, view_cam in enumerate(cams.numpy())], axis=0
        ).astype(np.float32)
        peak = float(heat.max())
        heat = heat / peak if peak > 0 else np.zeros_like(heat)
        return cv2.resize(heat, (self.input_size, self.input_size), interpolation=cv2.INTER_CUBIC)

    def overlay(
        self,
        photo: np.ndarray,
        model_input: np.ndarray,
        *,
        framing: PreprocessConfig | None = None,
        alpha: float = 0.45,
        side: int = DISPLAY_SIDE,
    ) -> np.ndarray:
        """Return the heatmap of `model_input` drawn over `photo`.

        Args:
            photo: The decoded RGB uint8 photo the model input was made from.
            model_input: Its preprocessed version (S, S, 3).
            framing: The card's preprocessing, so the map lines up with what the
                model saw (None: the centred square of the photo).
            alpha: Opacity of the heatmap.
            side: Side of the returned square image.

        Returns:
            RGB uint8 array (side, side, 3).
        """
        return overlay_heatmap(
            photo,
            self.cam(model_input),
            framing=framing,
            alpha=alpha,
            side=side,
        )


def overlay_heatmap(
    photo: np.ndarray,
    heat: np.ndarray,
    *,
    framing: PreprocessConfig | None = None,
    alpha: float = 0.45,
    side: int = DISPLAY_SIDE,
) -> np.ndarray:
    """Blend a [0, 1] heat map (any square size) over a photo framed like the model input.

    Args:
        photo: RGB uint8 array (H, W, 3).
        heat: float array (s, s) with values in [0, 1].
        framing: The model's preprocessing: the map is drawn over the part of the
            photo it framed (None: the centred square).
        alpha: Opacity of the heat colours, in [0, 1].
        side: Side of the returned square image.

    Returns:
        RGB uint8 array (side, side, 3).

    Raises:
        ValueError: For a non-RGB photo, a non-2-D map or alpha out of range.
    """
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError(f"`photo` must be RGB uint8 (H, W, 3). Received: shape={photo.shape}")
    if heat.ndim != 2:
        raise ValueError(f"`heat` must be a 2-D map. Received: shape={heat.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]. Received: alpha={alpha}")
    base = resize(frame(photo, framing or PreprocessConfig()), side)
    heat_big = cv2.resize(np.clip(heat, 0, 1).astype(np.float32), (side, side))
    colours = cv2.applyColorMap((heat_big * 255).astype(np.uint8), cv2.COLORMAP_JET)
    colours = cv2.cvtColor(colours, cv2.COLOR_BGR2RGB).astype(np.float32)
    weight = alpha * heat_big[..., None] ** 0.5  # cool areas stay mostly photo
    blended = base.astype(np.float32) * (1 - weight) + colours * weight
    return np.clip(blended, 0, 255).astype(np.uint8)
