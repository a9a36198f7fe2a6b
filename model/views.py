"""Views of a photo: average the model over its rotations (and mirror images).

A dermoscopic lesion has no "up": the same mole photographed with the dermatoscope
turned by 90 degrees is the same mole, yet a CNN's answer changes with the turn
(`benchmarks/rotation_consistency.py` measures how often). Averaging the logits over
the four rotations makes the answer the same however the photo is turned; adding the four mirror
images (eight views, the dihedral group of the square) makes it mirror-invariant
too, at twice the cost. The card's `test_time_views` says how many views a model's
calibration and thresholds were fitted for; serving and evaluation use the same.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_VIEWS = 8
"""The dihedral group of the square: 4 rotations, each also mirrored."""

VIEW_COUNTS = (1, 4, 8)
"""Allowed view counts: none, the 4 rotations, or rotations and mirror images. Other
counts would average an incomplete set of turns and be invariant to nothing."""


def check_views(views: int) -> int:
    """Check a number of test-time views.

    Args:
        views: 1 (no averaging), 4 (the rotations) or 8 (rotations and mirror images).

    Returns:
        `views`, unchanged.

    Raises:
        ValueError: For any other value.
    """
    if isinstance(views, bool) or views not in VIEW_COUNTS:
        raise ValueError(f"`views` must be one of {VIEW_COUNTS}. Received: views={views!r}")
    return views


def dihedral_views(images: np.ndarray, views: int) -> np.ndarray:
    """Expand a batch into its rotated (and mirrored) views, image by image.

    View k is the image rotated by k * 90 degrees (k mod 4), mirrored left-right
    for k >= 4; view 0 is the image itself.

    Args:
        images: Batch of shape (N, S, S, C).
        views: 1 (the batch unchanged), 4 (the rotations) or 8 (also mirrored).

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


def turn_back(view: np.ndarray, k: int) -> np.ndarray:
    """Undo view k of `dihedral_views` on one (S, S, ...) array, such as a heatmap.

    Args:
        view: An array in view k's orientation.
        k: The view's index (0-7).

    Returns:
        The array in the original image's orientation.
    """
    if k >= 4:
        view = view[:, ::-1]
    return np.rot90(view, -(k % 4), axes=(0, 1))


def average_views(logits: np.ndarray, views: int) -> np.ndarray:
    """Average per-view logits back to one logit (or one row of class logits) per image.

    Args:
        logits: One logit, or one row of K logits, per row of `dihedral_views(images, views)`.
        views: The `views` that expanded the batch.

    Returns:
        float64 array of mean logits, (N,) for one logit a view or (N, K) for K,
        in the images' order.
    """
    check_views(views)
    array = np.asarray(logits, dtype=np.float64)
    width = array.size // len(array) if len(array) else 1
    if width == 1:
        return array.reshape(-1, views).mean(axis=1)
    return array.reshape(-1, views, width).mean(axis=1)


def averaged_logits(
    forward: Callable[[np.ndarray], np.ndarray], images: np.ndarray, views: int, batch_size: int
) -> np.ndarray:
    """Return one logit per image, averaged over its views, in chunks.

    The one place that expands, runs and averages views, so that training,
    evaluation and serving cannot average differently.

    Args:
        forward: Maps a batch of views (M, S, S, C) to M logits (any array shape).
        images: Batch of shape (N, S, S, C).
        views: 1, 4 or 8 (see `dihedral_views`).
        batch_size: Most views per `forward` call (at least one image's views).

    Returns:
        float64 array of N mean logits ((N, K) for K logits a view), in the images' order.
    """
    step = max(1, batch_size // check_views(views))
    outputs = [
        average_views(np.asarray(forward(dihedral_views(images[i : i + step], views))), views)
        for i in range(0, len(images), step)
    ]
    return np.concatenate(outputs) if outputs else np.zeros(0)
