"""Test-time augmentation: average the model over rotations (and mirror images) of a photo.

A dermoscopic lesion has no "up": the same mole photographed with the dermatoscope
turned by 90 degrees is the same mole, yet a CNN's answer changes with the turn
(for the plain 2.1.0 model, turning a test photo by 90 degrees changed its risk
level for 12 % of the test split). Averaging the logits over the four rotations
makes the answer the same however the photo is turned; adding the four mirror
images (eight views, the dihedral group of the square) makes it mirror-invariant
too, at twice the cost. The card's `test_time_views` says how many views a model's
calibration and thresholds were fitted for; serving and evaluation use the same.
"""

from __future__ import annotations

import numpy as np

MAX_VIEWS = 8
"""The dihedral group of the square: 4 rotations, each also mirrored."""


def check_views(views: int) -> int:
    """Return `views` if it is a valid number of views (1 = no augmentation) else raise.

    Raises:
        ValueError: Unless 1 <= views <= 8.
    """
    if not isinstance(views, int) or isinstance(views, bool) or not 1 <= views <= MAX_VIEWS:
        raise ValueError(
            f"`views` must be an integer in [1, {MAX_VIEWS}]. Received: views={views!r}"
        )
    return views


def dihedral_views(images: np.ndarray, views: int) -> np.ndarray:
    """Expand a batch into its flipped/rotated views, image by image.

    View k is the image rotated by k * 90 degrees (k mod 4), mirrored left-right
    for k >= 4; view 0 is the image itself.

    Args:
        images: Batch of shape (N, S, S, C).
        views: How many of the eight views to take (1 returns the batch unchanged).

    Returns:
        Array of shape (N * views, S, S, C): rows i * views ... i * views + views - 1
        are the views of image i.
    """
    check_views(views)
    if views == 1:
        return images
    stacked = [
        np.rot90(images, k % 4, axes=(1, 2))[:, :, ::-1] if k >= 4 else np.rot90(images, k, (1, 2))
        for k in range(views)
    ]
    return np.stack(stacked, axis=1).reshape(-1, *images.shape[1:])


def average_views(logits: np.ndarray, views: int) -> np.ndarray:
    """Average per-view logits from `dihedral_views` back to one logit per image."""
    check_views(views)
    return np.asarray(logits, dtype=np.float64).reshape(-1, views).mean(axis=1)
