"""Training augmentation as Keras layers, fed by tf.data (or by NumPy batches on other backends).

Geometry (flips, any rotation, zoom with aspect change), colour (brightness,
contrast, saturation, hue, per-channel gain for residual colour casts and skin
tones), acquisition (blur, resolution loss, a dermatoscope's black circular
vignette). Synthetic hair is added offline in `training.classifier.cache` because it needs
OpenCV. All layers take and return float images in the 0-255 range.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops


class RandomChannelGain(layers.Layer):
    """Multiply each colour channel by its own random gain (colour cast, skin tone)."""

    def __init__(self, max_delta: float = 0.12, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_delta = max_delta
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool = True) -> Any:
        if not training:
            return images
        batch = ops.shape(images)[0]
        gains = keras.random.uniform(
            (batch, 1, 1, 3), 1 - self.max_delta, 1 + self.max_delta, seed=self.seed_generator
        )
        return ops.clip(images * gains, 0.0, 255.0)


class RandomResolutionLoss(layers.Layer):
    """Downscale then upscale some images: low-resolution or compressed sources.

    A share `probability` of the images is brought down to one of `scales` (a fraction
    of the side, drawn uniformly among them) and back up, so low detail is seen in
    both classes of every source. 0.35 is how much detail an 84 px BCN20000 photo
    keeps in the 192 px input.
    """

    def __init__(
        self,
        probability: float = 0.3,
        scale: float | tuple[float, ...] = 0.5,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        scales = (scale,) if isinstance(scale, float | int) else tuple(scale)
        if not scales or not all(0 < s < 1 for s in scales):
            raise ValueError(f"`scale` must be in (0, 1). Received: scale={scale}")
        self.probability = probability
        self.scales = scales
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool = True) -> Any:
        if not training:
            return images
        size = images.shape[1]
        pick = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.seed_generator)
        share = self.probability / len(self.scales)
        result = images
        for index, scale in enumerate(self.scales):
            small_size = max(8, round(size * scale))  # static: graph-friendly
            degraded = ops.image.resize(
                ops.image.resize(images, (small_size, small_size), antialias=True), (size, size)
            )
            chosen = ops.logical_and(pick >= index * share, pick < (index + 1) * share)
            result = ops.where(chosen, degraded, result)
        return result


class RandomVignette(layers.Layer):
    """Black out the corners of some images with a circle (dermatoscope vignette)."""

    def __init__(self, probability: float = 0.25, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probability = probability
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool = True) -> Any:
        if not training:
            return images
        size = images.shape[1]
        batch = ops.shape(images)[0]
        coords = (np.arange(size, dtype=np.float32) - (size - 1) / 2) / (size / 2)
        radius = np.sqrt(coords[None, :] ** 2 + coords[:, None] ** 2)[None, :, :, None]
        limit = keras.random.uniform((batch, 1, 1, 1), 0.85, 1.25, seed=self.seed_generator)
        inside = ops.cast(ops.convert_to_tensor(radius) <= limit, images.dtype)
        pick = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
        mask = ops.where(pick < self.probability, inside, ops.ones_like(inside))
        return images * mask


# The shipped recipe's ranges; `training.classifier.config.TrainConfig` takes them from here.
SATURATION = (0.3, 0.7)
HUE = 0.06
ZOOM = (-0.3, 0.1)
RESOLUTION_LOSS_SHARE = 0.4
RESOLUTION_LOSS_SCALES = (0.35, 0.5)


def build_augmenter(
    seed: int = 0,
    *,
    saturation: tuple[float, float] = SATURATION,
    hue: float = HUE,
    zoom: tuple[float, float] = ZOOM,
    resolution_loss_share: float = RESOLUTION_LOSS_SHARE,
    resolution_loss_scales: tuple[float, ...] = RESOLUTION_LOSS_SCALES,
) -> keras.Sequential:
    """Return the training augmentation pipeline (identity when `training=False`).

    Args:
        seed: Seed of every random layer.
        saturation: `keras.layers.RandomSaturation` factor range (0.5 keeps the
            colours, 0 is grey). Reaching near-grey, (0.1, 0.7), did not help
            across sources and cost in-source AUC.
        hue: `keras.layers.RandomHue` factor.
        zoom: `keras.layers.RandomZoom` range for height and width, drawn
            independently (negative zooms in: -0.3 shows 70 % of the side).
        resolution_loss_share: Share of images brought down to lower detail and back.
        resolution_loss_scales: Fractions of the side they are brought down to.

    Returns:
        A `keras.Sequential` mapping float 0-255 image batches to augmented batches.
    """
    value_range = (0, 255)
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal_and_vertical", seed=seed),
            layers.RandomRotation(0.5, fill_mode="reflect", seed=seed + 1),
            # Independent height/width zoom changes the aspect ratio, as when a
            # source squashes images to a square (ISIC 2017 here).
            layers.RandomZoom(zoom, zoom, fill_mode="reflect", seed=seed + 2),
            layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 3),
            layers.RandomContrast(0.3, value_range=value_range, seed=seed + 4),
            layers.RandomSaturation(saturation, value_range=value_range, seed=seed + 5),
            layers.RandomHue(hue, value_range=value_range, seed=seed + 6),
            RandomChannelGain(0.12, seed=seed + 7),
            RandomResolutionLoss(resolution_loss_share, resolution_loss_scales, seed=seed + 8),
            RandomVignette(0.25, seed=seed + 9),
        ],
        name="augmenter",
    )
