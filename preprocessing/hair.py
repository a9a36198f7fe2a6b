"""Hair: DullRazor-style removal, and synthetic hair for augmentation."""

from __future__ import annotations

import cv2
import numpy as np

# Thresholds of the black-hat response (0-255) that mark a pixel as a hair candidate.
BLACKHAT_THRESHOLD = 12
# A candidate component counts as hair when it is long and thin; round dots and
# globules (a melanoma sign) are kept.
MIN_ELONGATION = 3.5
MAX_FILL_RATIO = 0.30


def _odd(value: float) -> int:
    number = max(3, round(value))
    return number if number % 2 == 1 else number + 1


def hair_mask(image: np.ndarray) -> np.ndarray:
    """Find thin dark hair-like structures.

    Args:
        image: RGB uint8 image.

    Returns:
        A uint8 mask (255 = hair) of the image's height and width.
    """
    short_side = min(image.shape[:2])
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    kernel_size = _odd(short_side / 24)
    responses = []
    for angle in (0, 45, 90, 135):  # line kernels in four directions, as in DullRazor
        kernel = np.zeros((kernel_size, kernel_size), np.uint8)
        centre = kernel_size // 2
        direction = np.deg2rad(angle)
        dx, dy = np.cos(direction) * centre, np.sin(direction) * centre
        cv2.line(
            kernel,
            (round(centre - dx), round(centre - dy)),
            (round(centre + dx), round(centre + dy)),
            1,
            1,
        )
        closed = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
        responses.append(cv2.subtract(closed, gray))
    blackhat = np.max(np.stack(responses), axis=0)
    blackhat = cv2.GaussianBlur(blackhat, (3, 3), 0)
    _, candidates = cv2.threshold(blackhat, BLACKHAT_THRESHOLD, 255, cv2.THRESH_BINARY)
    return _keep_elongated(candidates, min_length=short_side / 12)


def _keep_elongated(candidates: np.ndarray, *, min_length: float) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    keep = np.zeros(count, dtype=bool)
    for index in range(1, count):
        area = stats[index, cv2.CC_STAT_AREA]
        if area < 4:
            continue
        # Look only inside the component's bounding box: comparing the whole label
        # image per component made large images quadratic (1.5 s at 768 px).
        left, top = stats[index, cv2.CC_STAT_LEFT], stats[index, cv2.CC_STAT_TOP]
        box_width, box_height = stats[index, cv2.CC_STAT_WIDTH], stats[index, cv2.CC_STAT_HEIGHT]
        rows, columns = np.nonzero(labels[top : top + box_height, left : left + box_width] == index)
        points = np.column_stack((columns + left, rows + top)).astype(np.float32)
        (_, _), (width, height), _ = cv2.minAreaRect(points)
        length, thickness = max(width, height), max(min(width, height), 1.0)
        fill = area / max(width * height, 1.0)
        elongated = length / thickness >= MIN_ELONGATION or fill <= MAX_FILL_RATIO
        if length >= min_length and elongated:
            keep[index] = True
    mask = np.where(keep[labels], 255, 0).astype(np.uint8)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


def remove_hair(image: np.ndarray) -> np.ndarray:
    """Remove hair with DullRazor: black-hat line detection, then inpainting.

    Kernel sizes scale with the image, so the same call works on a 150 px
    dermoscopy crop and a 1000 px phone photo.

    Args:
        image: RGB uint8 image.

    Returns:
        A new RGB uint8 image with hair pixels inpainted from their surroundings.
    """
    mask = hair_mask(image)
    if not mask.any():
        return image.copy()
    radius = max(2, min(image.shape[:2]) // 64)
    return cv2.inpaint(image, mask, radius, cv2.INPAINT_TELEA)


def add_synthetic_hair(
    image: np.ndarray, rng: np.random.Generator, *, count: int | None = None
) -> np.ndarray:
    """Draw random dark curved hairs on an image (training augmentation).

    Args:
        image: RGB uint8 image.
        rng: Random generator (seeded by the caller for reproducibility).
        count: Number of hairs; random between 3 and 15 when None.

    Returns:
        A new RGB uint8 image with hairs drawn on it.
    """
    height, width = image.shape[:2]
    output = image.copy()
    hairs = int(rng.integers(3, 16)) if count is None else count
    short_side = min(height, width)
    for _ in range(hairs):
        start = rng.uniform((0, 0), (width, height))
        end = start + rng.normal(0, short_side * 0.5, size=2)
        control = (start + end) / 2 + rng.normal(0, short_side * 0.15, size=2)
        steps = np.linspace(0.0, 1.0, 40)[:, None]
        curve = (1 - steps) ** 2 * start + 2 * (1 - steps) * steps * control + steps**2 * end
        shade = int(rng.integers(10, 70))
        colour = (shade + int(rng.integers(0, 25)), shade, max(0, shade - int(rng.integers(0, 15))))
        thickness = max(1, round(short_side / 150 * rng.uniform(0.8, 1.6)))
        cv2.polylines(output, [curve.astype(np.int32)], False, colour, thickness, cv2.LINE_AA)
    return output
