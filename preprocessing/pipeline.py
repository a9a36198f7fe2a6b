"""The single preprocessing function shared by training and serving."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from preprocessing.color import color_constancy
from preprocessing.geometry import ResizeMode, make_square, resize
from preprocessing.hair import remove_hair


@dataclasses.dataclass(frozen=True)
class PreprocessConfig:
    """How an image becomes model input. Saved in the model card with the model.

    Attributes:
        image_size: Side of the square model input, in pixels.
        working_size: Side at which hair removal and colour constancy run, so
            their kernels mean the same thing for every source resolution.
        resize_mode: "crop" (centre square) or "pad".
        center_fraction: Centred part of that square that is kept (1.0: all of
            it). Trimming the frame drops the dermatoscope vignettes, rulers and
            ink marks at the edges, which differ between clinics.
        hair_removal: Run DullRazor hair removal.
        color_constancy: Run Shades of Gray colour constancy.
    """

    image_size: int = 128
    working_size: int = 256
    resize_mode: ResizeMode = "crop"
    center_fraction: float = 1.0
    hair_removal: bool = True
    color_constancy: bool = True

    def __post_init__(self) -> None:
        if self.image_size < 16:
            raise ValueError(f"`image_size` must be >= 16. Received: image_size={self.image_size}")
        if self.working_size < self.image_size:
            raise ValueError(
                "`working_size` must be >= `image_size`. "
                f"Received: working_size={self.working_size}, image_size={self.image_size}"
            )
        if not 0.5 <= self.center_fraction <= 1.0:
            raise ValueError(
                "`center_fraction` must be in [0.5, 1]. "
                f"Received: center_fraction={self.center_fraction}"
            )
        if self.resize_mode not in ("crop", "pad"):
            raise ValueError(
                f"`resize_mode` must be 'crop' or 'pad'. Received: resize_mode={self.resize_mode!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PreprocessConfig:
        """Build a config from `to_dict` output; unknown keys are an error.

        Cards up to 3.0.0 also record `"framing": "centre"`, the only framing there is
        (the lesion-centred one was measured and retired, `docs/experiments.md`).
        """
        values = dict(values)
        if values.get("framing", "centre") != "centre":
            raise ValueError(
                f"Only the centred framing is supported. Received: framing={values['framing']!r}"
            )
        values.pop("framing", None)
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"Unknown preprocessing keys. Received: {sorted(unknown)}")
        return cls(**values)


def preprocess(image: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Turn a decoded RGB photo into model input.

    Steps: frame the photo (`frame()`: the centred square), resize to the working size,
    hair removal, colour constancy, resize to the model input. Pixel scaling to [0, 1] is
    done inside the model, so the result stays uint8.

    Args:
        image: RGB uint8 array of shape (H, W, 3).
        config: The preprocessing configuration (from the model card).

    Returns:
        A uint8 array of shape (image_size, image_size, 3).

    Raises:
        ValueError: If the image is not an (H, W, 3) uint8 array.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            "`image` must be an RGB uint8 array of shape (H, W, 3). "
            f"Received: shape={image.shape}, dtype={image.dtype}"
        )
    working = resize(frame(image, config), config.working_size)
    if config.hair_removal:
        working = remove_hair(working)
    if config.color_constancy:
        working = color_constancy(working)
    return resize(working, config.image_size)


def frame(image: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """Return the square part of a photo that `preprocess()` turns into model input.

    Shared with the heatmap overlay, so the map is drawn over what the model saw.

    Args:
        image: RGB uint8 array (H, W, 3).
        config: The preprocessing configuration (its resize mode and centre fraction).

    Returns:
        A square array at the photo's resolution: part of the photo, or (with
        `resize_mode` "pad") the whole photo on black borders.
    """
    return make_square(image, config.resize_mode, config.center_fraction)
