"""Grad-CAM heatmaps: which part of the photo pushed the model's answer.

Pure functions on arrays (no I/O). The heatmap is computed on the last
convolutional activation (`architecture.LAST_CONV_LAYER`) with respect to the logit of
the class the answer names (the melanoma logit of a one-logit model), and drawn over the
photo cropped the way the model saw it.

Two ways to the same map: `ServedCam` reads it from the served LiteRT file (no
TensorFlow; exact for `build_model`'s linear head, see `model.convert`), `GradCam`
takes the gradient through the Keras model.

Usage:
    cam = GradCam(loaded.model, views=loaded.card.test_time_views)
    overlay = cam.overlay(photo, predictor.preprocess(photo), framing=loaded.card.preprocessing)
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from model.overlay import DISPLAY_SIDE, combine_view_cams, overlay_heatmap
from model.views import check_views, dihedral_views
from preprocessing.pipeline import PreprocessConfig

if TYPE_CHECKING:
    import keras

    from model.loader import LoadedModel
    from model.serving import ServedModel

__all__ = ["DISPLAY_SIDE", "GradCam", "Heatmap", "LazyHeatmap", "ServedCam", "overlay_heatmap"]


class Heatmap:
    """What every heatmap method shares: checking the input and drawing the overlay."""

    input_size: int
    views: int

    def _view_cams(self, batch: np.ndarray, class_index: int) -> np.ndarray:
        raise NotImplementedError

    def cam(self, model_input: np.ndarray, class_index: int = 0) -> np.ndarray:
        """Return the Grad-CAM map of one preprocessed image.

        Args:
            model_input: uint8 array (S, S, 3), the output of `preprocess`.
            class_index: The explained class, in the model's output order (ignored by a
                one-logit model).

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
        batch = dihedral_views(np.asarray(model_input, np.uint8)[None], self.views)
        return combine_view_cams(self._view_cams(batch, class_index), self.input_size)

    def overlay(
        self,
        photo: np.ndarray,
        model_input: np.ndarray,
        *,
        class_index: int = 0,
        framing: PreprocessConfig | None = None,
        alpha: float = 0.45,
        side: int = DISPLAY_SIDE,
    ) -> np.ndarray:
        """Return the heatmap of `model_input` drawn over `photo`.

        Args:
            photo: The decoded RGB uint8 photo the model input was made from.
            model_input: Its preprocessed version (S, S, 3).
            class_index: The explained class (the one the answer names).
            framing: The card's preprocessing, so the map lines up with what the
                model saw (None: the centred square of the photo).
            alpha: Opacity of the heatmap.
            side: Side of the returned square image.

        Returns:
            RGB uint8 array (side, side, 3).
        """
        return overlay_heatmap(
            photo,
            self.cam(model_input, class_index),
            framing=framing,
            alpha=alpha,
            side=side,
        )


class GradCam(Heatmap):
    """Grad-CAM on a Keras model (imports TensorFlow), callable from several threads.

    Args:
        model: A model with a layer named `layer_name` and a logits output.
        layer_name: The convolutional activation to explain (None: the last one of
            `build_model`, `architecture.LAST_CONV_LAYER`).
        views: The card's `test_time_views`: the map is averaged over the same turns
            of the image as the answer (each map turned back first), so a turned
            photo gets the same map, turned.

    Raises:
        ValueError: If the model has no layer called `layer_name`, or for a bad `views`.
    """

    def __init__(
        self, model: keras.Model, layer_name: str | None = None, *, views: int = 1
    ) -> None:
        import keras

        from model.architecture import LAST_CONV_LAYER

        self.views = check_views(views)
        layer_name = LAST_CONV_LAYER if layer_name is None else layer_name
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

    def _view_cams(self, batch: np.ndarray, class_index: int) -> np.ndarray:
        import tensorflow as tf

        activations = self._features(tf.constant(batch.astype(np.float32)), training=False)
        with tf.GradientTape() as tape:
            tape.watch(activations)
            # Views are independent samples, so the gradient of their sum is per view.
            logits = self._head(activations, training=False)
            column = class_index if logits.shape[-1] > 1 else 0
            target = tf.reduce_sum(logits[:, column])
        gradients = tape.gradient(target, activations)
        weights = tf.reduce_mean(gradients, axis=(1, 2))  # (views, channels)
        return np.asarray(tf.reduce_sum(activations * weights[:, None, None, :], axis=-1))


class ServedCam(Heatmap):
    """Grad-CAM from the served LiteRT file's class activation map output (no TensorFlow).

    For `build_model`'s head (pooling, dropout, linear logits) Grad-CAM's weights
    are the explained logit's weights, so the map the file computes with each answer is
    Grad-CAM's (`model.convert`), of the very model that answered.

    Raises:
        ValueError: If the file has no map output, or for a bad `views`.
    """

    def __init__(self, served: ServedModel, *, views: int = 1) -> None:
        if not served.has_cam:
            raise ValueError(f"{served.path.name} has no class activation map output.")
        self.views = check_views(views)
        self.input_size = served.input_size
        self._served = served

    def _view_cams(self, batch: np.ndarray, class_index: int) -> np.ndarray:
        _, cams = self._served.forward(batch)
        assert cams is not None
        return cams[..., class_index] if cams.ndim == 4 else cams


class LazyHeatmap:
    """The heatmap of a loaded model, built on first use.

    The served file's map when it has one (no TensorFlow ever), else Grad-CAM on the
    Keras model, which is then loaded (seconds, and the memory of TensorFlow) on the
    first request and kept.

    Args:
        loaded: The model that answers.
        runtime: The answering `Predictor.runtime`: "litert" explains the served file
            with its own map; "keras" explains the Keras model with Grad-CAM.
    """

    def __init__(self, loaded: LoadedModel, *, runtime: str = "litert") -> None:
        self._loaded = loaded
        self._use_served = runtime == "litert" and loaded.served is not None
        self._lock = threading.Lock()
        self._built: Heatmap | None = None
        self._failed = False

    @property
    def without_keras(self) -> bool:
        """True when heatmaps come from the served file (no Keras load)."""
        return self._use_served and self._loaded.served is not None and self._loaded.served.has_cam

    def get(self) -> Heatmap | None:
        """Return the heatmap method, building it now if needed; None when there is none."""
        with self._lock:
            if self._built is None and not self._failed:
                views = self._loaded.card.test_time_views
                served = self._loaded.served
                try:
                    if self.without_keras and served is not None:
                        self._built = ServedCam(served, views=views)
                    else:
                        self._built = GradCam(self._loaded.model, views=views)
                except (ValueError, RuntimeError):  # no such layer, or no Keras: no heatmaps
                    self._failed = True
            return self._built
