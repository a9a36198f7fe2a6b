"""Pictures that are not skin, for the photo-type gate's fourth kind.

No such photo set is in `../shared`, so they are made here: rendered text pages, chat
screenshots and charts in light and dark themes, and crops of the pictures that ship
with scikit-image (a cat, coffee, a galaxy field, a motorcycle, a retina, microscopy,
logos) with colour and scale changes. The 17 pictures of the quality gate's tests
(`tests/preprocessing/test_quality.py`) are left out, so they stay a held-out check.
Real photos of pets, objects and rooms from users' phones are wider than this; the
heuristic quality gate stays in front of the learned one.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

HELD_OUT = frozenset(
    {"camera", "page", "text", "grass", "gravel", "rocket", "coins", "moon", "brick", "clock"}
)
"""scikit-image pictures the quality tests use (with sklearn's china and flower)."""
PICTURES = (
    "chelsea",
    "coffee",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "retina",
    "colorwheel",
    "horse",
    "cell",
    "checkerboard",
    "shepp_logan_phantom",
    "microaneurysms",
    "binary_blobs",
    "stereo_motorcycle",
)
WORDS = [
    "the",
    "of",
    "skin",
    "photo",
    "result",
    "message",
    "today",
    "please",
    "send",
    "spot",
    "doctor",
    "mole",
    "lorem",
    "ipsum",
]


def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.dtype != np.uint8:
        image = np.nan_to_num(image.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        image = (255 * (image - image.min()) / max(float(np.ptp(image)), 1e-9)).astype(np.uint8)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def scikit_pictures() -> list[np.ndarray]:
    """The bundled scikit-image pictures not used by the quality tests (RGB uint8)."""
    import skimage.data

    pictures = []
    for name in PICTURES:
        found = getattr(skimage.data, name)()
        for image in found if isinstance(found, tuple) else (found,):
            if isinstance(image, np.ndarray) and image.ndim in (2, 3) and min(image.shape[:2]) > 64:
                pictures.append(_as_rgb(image))
    return pictures


def rendered_screen(rng: np.random.Generator) -> np.ndarray:
    """A text page, a chat screenshot or a bar chart, light or dark themed."""
    height, width = int(rng.integers(300, 900)), int(rng.integers(300, 900))
    dark = rng.random() < 0.35
    background = rng.integers(0, 40, 3) if dark else 255 - rng.integers(0, 30, 3)
    ink = 255 - rng.integers(0, 50, 3) if dark else rng.integers(0, 70, 3)
    screen = np.empty((height, width, 3), np.uint8)
    screen[:] = background.astype(np.uint8)
    kind = rng.choice(["page", "chat", "chart"])
    if kind == "chart":
        bars = int(rng.integers(3, 12))
        for index in range(bars):
            top = int(rng.uniform(0.1, 0.8) * height)
            left = int(width * (0.1 + 0.8 * index / bars))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            cv2.rectangle(
                screen, (left, top), (left + width // (2 * bars), height - 20), colour, -1
            )
    else:
        line, y = 0, int(rng.integers(30, 80))
        while y < height - 10:
            if kind == "chat" and line % 2 == 0:
                colour = tuple(int(c) for c in rng.integers(60, 256, 3))
                cv2.rectangle(screen, (10, y - 28), (width - 40, y + 10), colour, -1)
            words = " ".join(str(w) for w in rng.choice(WORDS, int(rng.integers(3, 9))))
            ink_colour = tuple(int(c) for c in ink)
            font_scale = float(rng.uniform(0.5, 1.0))
            cv2.putText(screen, words, (20, y), cv2.FONT_HERSHEY_SIMPLEX, font_scale, ink_colour, 1)
            y, line = y + int(rng.integers(28, 55)), line + 1
    return screen


def picture_crop(pictures: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """A random crop of one picture, scaled, flipped and colour-shifted."""
    image = pictures[int(rng.integers(len(pictures)))]
    height, width = image.shape[:2]
    side = int(rng.uniform(0.4, 1.0) * min(height, width))
    top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
    crop = image[top : top + side, left : left + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    gains = rng.uniform(0.75, 1.25, 3)
    return np.clip(crop.astype(np.float32) * gains, 0, 255).astype(np.uint8)


def not_skin_pictures(count: int, seed: int) -> Iterator[tuple[str, np.ndarray]]:
    """Yield `count` (group, picture) pairs: half screens, half picture crops."""
    rng = np.random.default_rng(seed)
    pictures = scikit_pictures()
    for index in range(count):
        if index % 2 == 0:
            yield "rendered", rendered_screen(rng)
        else:
            yield "scikit-image", picture_crop(pictures, rng)
