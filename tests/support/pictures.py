"""Pictures drawn by code, for tests that must run without the shared data."""

from __future__ import annotations

import numpy as np


def synthetic_lesion(size: int = 256, seed: int = 0) -> np.ndarray:
    """A skin-coloured RGB image with a dark irregular blob in the middle.

    Used where the shared data is absent; looks enough like a close-up of a mole
    to pass the quality gate.
    """
    import cv2

    rng = np.random.default_rng(seed)
    image = np.empty((size, size, 3), np.float32)
    image[:] = (214, 160, 132)
    image += rng.normal(0, 6, image.shape)
    mask = np.zeros((size, size), np.uint8)
    centre = (size // 2, size // 2)
    cv2.ellipse(mask, centre, (size // 6, size // 8), 30, 0, 360, 255, -1)
    for _ in range(6):
        offset = rng.integers(-size // 10, size // 10, 2)
        cv2.circle(
            mask, (centre[0] + int(offset[0]), centre[1] + int(offset[1])), size // 14, 255, -1
        )
    soft = cv2.GaussianBlur(mask, (0, 0), 3).astype(np.float32)[..., None] / 255.0
    lesion = np.array((95, 60, 45), np.float32) + rng.normal(0, 8, image.shape)
    image = image * (1 - soft) + lesion * soft
    return np.clip(image, 0, 255).astype(np.uint8)


def skin_photo(
    height: int = 300, width: int = 400, centre: tuple[int, int] = (200, 150), radius: int = 40
) -> np.ndarray:
    """Light, slightly noisy skin with a dark round lesion at `centre` (x, y)."""
    import cv2

    rng = np.random.default_rng(0)
    photo = np.clip(rng.normal((210, 170, 150), 6, (height, width, 3)), 0, 255).astype(np.uint8)
    cv2.circle(photo, centre, radius, (90, 50, 35), -1)
    return photo
