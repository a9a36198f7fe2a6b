"""Synthetic watermarks, so that a watermark says nothing about the kind of photo.

Every DermNet photo carries one (DermNet NZ: a white logo and name, bottom left;
Dermnet.com: "©Dermnet.com" in faint white across the middle), dermatoscope images
none. The photo-type gate's training copies get marks like these drawn on photos of
every kind, so "watermark means a regular photo" stops paying.
"""

from __future__ import annotations

import cv2
import numpy as np

MARKS = ("©Dermnet.com", "DermNet", "All about the skin", "© Clinic photo", "www.example.org")


def add_watermark(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one semi-transparent white text mark (and sometimes a logo disc) on a copy.

    Args:
        image: RGB uint8 (H, W, 3).
        rng: Draws the text, position (a bottom corner or the middle), size and opacity.

    Returns:
        The marked copy.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"`image` must be RGB uint8. Received: {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    overlay = image.copy()
    text = str(rng.choice(MARKS))
    scale = float(rng.uniform(0.25, 0.6)) * min(height, width) / 192
    thickness = max(1, round(scale * 2))
    (text_width, text_height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    place = rng.choice(["bottom_left", "middle", "bottom_right"])
    if place == "middle":
        x, y = (width - text_width) // 2, (height + text_height) // 2
    else:
        margin = int(rng.uniform(0.03, 0.12) * width)
        x = margin if place == "bottom_left" else width - text_width - margin
        y = height - int(rng.uniform(0.04, 0.12) * height)
    if place != "middle" and rng.random() < 0.6:  # DermNet NZ's round logo above its name
        radius = max(3, int(0.07 * min(height, width)))
        centre = (max(radius, x + radius), max(radius, y - text_height - radius - 2))
        cv2.circle(overlay, centre, radius, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.putText(
        overlay,
        text,
        (max(0, x), max(text_height, y)),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )
    opacity = float(rng.uniform(0.35, 0.8))
    return cv2.addWeighted(overlay, opacity, image, 1.0 - opacity, 0.0)
