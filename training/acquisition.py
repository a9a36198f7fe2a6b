"""Imitate another camera or clinic: compression, blur, resolution loss, noise, exposure.

Training adds copies of some photos changed this way *before* `preprocess()`, as the
photos of another device would reach the bot. `benchmarks/acquisition_shift.py`
measured model 2.4.0's risk level changing for 13-21 % of test photos under JPEG
compression, blur and sensor noise, though its ranking (ROC AUC) barely moved.
Functions take and return uint8 RGB arrays (height, width, 3) of any size.
"""

from __future__ import annotations

import cv2
import numpy as np

from preprocessing.geometry import shrink_to


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """Round-trip through JPEG at `quality` (messenger and phone compression)."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"`image` must be RGB (height, width, 3). Received: shape={image.shape}")
    ok, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else None
    if decoded is None:
        raise RuntimeError("OpenCV could not round-trip a JPEG")
    return np.ascontiguousarray(decoded[..., ::-1])


def scale_channels(image: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """Multiply R, G and B by their gains (white balance, exposure), clipped to uint8."""
    return np.clip(np.rint(image * np.array(gains, np.float32)), 0, 255).astype(np.uint8)


def add_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian sensor noise of standard deviation `sigma` (0-255 scale)."""
    noisy = image + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur (defocus, motion-free)."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def simulate_acquisition(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Change a photo as a random other device might have taken and sent it.

    Each change is drawn with probability 0.4, and one at random when none was drawn
    (so each is applied to about 43 % of copies), in the order a camera applies them:
    exposure, then optics (blur or resolution loss), then sensor noise, then compression.

    Args:
        image: uint8 RGB photo.
        rng: Source of every random choice.

    Returns:
        The changed uint8 RGB photo (possibly smaller, after resolution loss).
    """
    names = ("exposure", "optics", "noise", "jpeg")
    chosen = {name for name in names if rng.random() < 0.4} or {str(rng.choice(names))}
    if "exposure" in chosen:
        gain = float(rng.uniform(0.65, 1.35))
        image = scale_channels(image, (gain, gain, gain))
    if "optics" in chosen:
        if rng.random() < 0.5:
            image = blur(image, float(rng.uniform(0.7, 2.5)))
        else:
            image = shrink_to(image, int(rng.integers(48, 112)))
    if "noise" in chosen:
        image = add_noise(image, float(rng.uniform(3.0, 14.0)), rng)
    if "jpeg" in chosen:
        image = jpeg(image, int(rng.integers(10, 50)))
    return image
