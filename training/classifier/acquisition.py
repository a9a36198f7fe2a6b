"""Imitate another camera or clinic: compression, blur, resolution loss, noise, exposure, ink.

Training adds copies of some photos changed this way *before* `preprocess()`, as the
photos of another device would reach the bot. `benchmarks/acquisition_shift.py`
measures how often a risk level changes under JPEG compression, blur and sensor noise.
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
    """Change a photo as a random other clinic and device might have taken and sent it.

    Each change is drawn with probability 0.4, and one at random when none was drawn
    (so each is applied to about 42 % of copies), in the order they happen: ink on the
    skin, then the camera's exposure, optics (blur or resolution loss), sensor noise and
    compression.

    Args:
        image: uint8 RGB photo.
        rng: Source of every random choice.

    Returns:
        The changed uint8 RGB photo (possibly smaller, after resolution loss).
    """
    names = ("marking", "exposure", "optics", "noise", "jpeg")
    chosen = {name for name in names if rng.random() < 0.4} or {str(rng.choice(names))}
    if "marking" in chosen:
        image = add_skin_marking(image, rng)
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


def add_skin_marking(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw surgical-marker ink (gentian violet) around the lesion, as before an excision.

    Clinics mark lesions they mean to excise, so in archive photos ink goes with
    melanoma; a model can learn the ink instead of the lesion (Winkler et al., JAMA
    Dermatology 2019). One of three marks around the frame's centre (moved sideways by up
    to 3 % of the short side): an arc or a full ring (radius 0.22-0.34 of the short side,
    squashed up to 15 % vertically), a ring of dots, or short dashes. Ink that would
    fall within 0.2 of the short side of the frame's centre is left out.

    Args:
        image: uint8 RGB photo, the lesion roughly centred.
        rng: Source of every random choice.

    Returns:
        The marked uint8 RGB photo, same shape.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"`image` must be RGB (height, width, 3). Received: shape={image.shape}")
    height, width = image.shape[:2]
    short = min(height, width)
    centre = (width / 2 + rng.uniform(-0.03, 0.03) * short, height / 2)
    radius = rng.uniform(0.22, 0.34) * short
    thickness = max(1, round(rng.uniform(0.015, 0.03) * short))
    ink = np.zeros((height, width), np.float32)
    kind = rng.integers(3)
    if kind == 0:  # an arc, up to a full ring
        start = rng.uniform(0, 360)
        sweep = rng.uniform(120, 360)
        cv2.ellipse(
            ink,
            (round(centre[0]), round(centre[1])),
            (round(radius), round(radius * rng.uniform(0.85, 1.15))),
            0,
            start,
            start + sweep,
            1.0,
            thickness,
            cv2.LINE_AA,
        )
    else:  # dots (1) or dashes (2) on a ring
        count = int(rng.integers(4, 10))
        for angle in rng.uniform(0, 2 * np.pi) + np.linspace(0, 2 * np.pi, count, endpoint=False):
            x, y = centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)
            if kind == 1:
                cv2.circle(ink, (round(x), round(y)), thickness, 1.0, -1, cv2.LINE_AA)
            else:
                dx, dy = -np.sin(angle) * 2 * thickness, np.cos(angle) * 2 * thickness
                cv2.line(
                    ink,
                    (round(x - dx), round(y - dy)),
                    (round(x + dx), round(y + dy)),
                    1.0,
                    thickness,
                    cv2.LINE_AA,
                )
    yy, xx = np.ogrid[:height, :width]  # broadcast: no full coordinate grids
    ink[(xx - width / 2) ** 2 + (yy - height / 2) ** 2 < (0.2 * short) ** 2] = 0.0
    colour = np.array([95, 45, 150], np.float32) + rng.uniform(-20, 20, 3)
    alpha = (ink * rng.uniform(0.55, 0.85))[..., None]
    return np.clip(np.rint(image * (1 - alpha) + colour * alpha), 0, 255).astype(np.uint8)
