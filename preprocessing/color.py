"""Colour constancy: make photos from different cameras and lights look alike."""

from __future__ import annotations

import numpy as np


def color_constancy(image: np.ndarray, power: int = 6) -> np.ndarray:
    """Shades of Gray colour constancy (Finlayson & Trezzi, 2004).

    Estimates the illuminant as the Minkowski p-norm of each channel and rescales
    the channels so that the illuminant becomes neutral grey. p = 6 is the value
    used by ISIC challenge winners (Barata et al. 2015; Matsunaga et al. 2017).

    Args:
        image: RGB uint8 image.
        power: Minkowski norm order (1 = Gray World, large = max-RGB).

    Returns:
        A new RGB uint8 image.

    Raises:
        ValueError: If `power` is not positive.
    """
    if power <= 0:
        raise ValueError(f"`power` must be a positive integer. Received: power={power}")
    pixels = image.astype(np.float32) / 255.0
    illuminant = np.power(np.mean(np.power(pixels, power), axis=(0, 1)), 1.0 / power)
    norm = float(np.sqrt(np.sum(illuminant**2)))
    if norm < 1e-6:  # an all-black image has no colour to correct
        return image.copy()
    gains = 1.0 / (illuminant / norm * np.sqrt(3.0) + 1e-6)
    corrected = pixels * gains
    return np.clip(corrected * 255.0 + 0.5, 0, 255).astype(np.uint8)
