"""Heatmap maps to pictures: views combined, drawn over the photo as the model framed it."""

from __future__ import annotations

import cv2
import numpy as np

from model.views import turn_back
from preprocessing.geometry import resize
from preprocessing.pipeline import PreprocessConfig, frame

DISPLAY_SIDE = 512
"""Side of the square overlay image returned to users."""


def combine_view_cams(view_cams: np.ndarray, size: int) -> np.ndarray:
    """Turn per-view maps into one [0, 1] map of the image as it was given.

    Args:
        view_cams: (views, h, w) weighted activation maps, view k in the k-th
            orientation of `dihedral_views`, before the ReLU.
        size: Side of the returned map (the model input's).

    Returns:
        float32 (size, size) in [0, 1]; all zeros when nothing pushed the logit up.
    """
    rectified = np.maximum(np.asarray(view_cams, np.float32), 0.0)
    heat = np.mean([turn_back(cam, k) for k, cam in enumerate(rectified)], axis=0)
    heat = heat.astype(np.float32)
    peak = float(heat.max())
    heat = heat / peak if peak > 0 else np.zeros_like(heat)
    # Cubic interpolation overshoots beside sharp peaks: clip back into [0, 1].
    return np.clip(cv2.resize(heat, (size, size), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


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
