"""Geometry: square the frame and resize it to the model input."""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

ResizeMode = Literal["crop", "pad"]


def make_square(
    image: np.ndarray, mode: ResizeMode = "crop", center_fraction: float = 1.0
) -> np.ndarray:
    """Make an image square without distorting it.

    "crop" keeps the centred square (people centre the lesion; padding would add
    flat bars whose presence tells the model which camera or source a picture came
    from). "pad" adds black borders instead and keeps everything.

    Args:
        image: An (H, W, C) array.
        mode: "crop" or "pad".
        center_fraction: Side of the centred part of the square that is kept, as a
            fraction of the square's side (1.0 keeps it all).

    Returns:
        A square array.

    Raises:
        ValueError: For an unknown mode or a fraction outside (0, 1].
    """
    if not 0.0 < center_fraction <= 1.0:
        raise ValueError(
            f"`center_fraction` must be in (0, 1]. Received: center_fraction={center_fraction}"
        )
    square = _square(image, mode)
    if center_fraction == 1.0:
        return square
    side = max(1, round(square.shape[0] * center_fraction))
    offset = (square.shape[0] - side) // 2
    return square[offset : offset + side, offset : offset + side]


def _square(image: np.ndarray, mode: ResizeMode) -> np.ndarray:
    height, width = image.shape[:2]
    if mode == "crop":
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        return image[top : top + side, left : left + side]
    if mode == "pad":
        side = max(height, width)
        top, left = (side - height) // 2, (side - width) // 2
        return cv2.copyMakeBorder(
            image,
            top,
            side - height - top,
            left,
            side - width - left,
            cv2.BORDER_CONSTANT,
            value=0,
        )
    raise ValueError(f"`mode` must be 'crop' or 'pad'. Received: mode={mode!r}")


def resize(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a square image to size x size (area filter down, cubic up)."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    shrinking = image.shape[0] > size
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return cv2.resize(image, (size, size), interpolation=interpolation)


def shrink_to(image: np.ndarray, short_side: int) -> np.ndarray:
    """Shrink an image so its short side is at most `short_side`, keeping the aspect."""
    height, width = image.shape[:2]
    scale = short_side / min(height, width)
    if scale >= 1:
        return image
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, new_size, interpolation=cv2.INTER_AREA)
