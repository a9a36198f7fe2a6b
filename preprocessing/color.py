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
    # uint8 has 256 levels, so the Minkowski mean is a histogram-weighted sum and the
    # correction a per-channel lookup table: same result, ~10x faster than raising
    # every pixel to the 6th power in float.
    levels = np.arange(256, dtype=np.float64) / 255.0
    channels = image.reshape(-1, 3)
    histograms = np.stack([np.bincount(channels[:, c], minlength=256) for c in range(3)])
    moments = histograms @ np.power(levels, power) / max(len(channels), 1)
    illuminant = np.power(moments, 1.0 / power)
    norm = float(np.sqrt(np.sum(illuminant**2)))
    if norm < 1e-6:  # an all-black image has no colour to correct
        return image.copy()
    gains = 1.0 / (illuminant / norm * np.sqrt(3.0) + 1e-6)
    tables = np.clip(levels[:, None] * gains[None, :] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    corrected = np.empty_like(image)
    for c in range(3):
        corrected[..., c] = tables[image[..., c], c]
    return corrected
