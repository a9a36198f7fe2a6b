"""Quality gate: is this photo good enough, and is it a skin lesion at all?"""

from __future__ import annotations

import dataclasses
import enum

import cv2
import numpy as np

from preprocessing.geometry import shrink_to

ANALYSIS_SIDE = 256
MIN_SIDE = 96
MIN_SHARPNESS = 4.0
MIN_BRIGHTNESS = 45.0
MAX_BRIGHTNESS = 235.0
MAX_CLIPPED_FRACTION = 0.35
CLIPPED_LUMA = 250
MIN_EXPOSED_FRACTION = 0.01
"""Below this share of well-exposed pixels a picture is just blank (white or black)."""
MIN_SKIN_FRACTION = 0.15
MAX_COLOURS = 550
MIN_SATURATION = 12.0
VIGNETTE_LUMA = 35
MAX_FLAT_FRACTION = 0.6
"""Rendered screenshots and documents are mostly perfectly flat (zero Laplacian);
photos never are: the highest flat fraction among 600 shared dermoscopy images
was 0.43, a light-themed chat screenshot has 0.87."""


class QualityIssue(enum.StrEnum):
    """Reasons a photo is refused before prediction (stable codes the bot translates)."""

    TOO_SMALL = "too_small"
    BLURRY = "blurry"
    TOO_DARK = "too_dark"
    OVEREXPOSED = "overexposed"
    NOT_A_LESION = "not_a_lesion"
    WIDESPREAD = "widespread"
    """Set by the learned photo-type gate (`model.photo_gate`), never by `assess_quality`."""
    SEVERAL_LESIONS = "several_lesions"
    """Set by the photo-type gate: several spots, none the subject (not a refusal of the
    person: they are asked for one close-up per spot)."""
    NOT_USABLE = "not_usable"
    """Set by the photo-type gate: skin the classifier cannot read (nail, mouth, eye,
    histology)."""


@dataclasses.dataclass(frozen=True)
class QualityReport:
    """Result of `assess_quality`.

    Attributes:
        issues: Problems found, empty when the photo is usable.
        measures: The numbers the decision was based on (for logs and tuning).
    """

    issues: tuple[QualityIssue, ...]
    measures: dict[str, float]

    @property
    def ok(self) -> bool:
        """True when no issue was found."""
        return not self.issues


def skin_fraction(image: np.ndarray) -> tuple[float, float]:
    """Return (skin-coloured fraction of the lit pixels, lit fraction).

    Skin and pigmented lesions fall in a compact YCrCb region for every skin
    tone (Chai & Ngan 1999, widened for lesion browns and dermoscopy pinks).
    Near-black pixels (a dermatoscope's circular vignette) are left out.
    """
    skin, luma = _skin_mask(image)
    return _skin_share(skin, luma > VIGNETTE_LUMA)


def _skin_mask(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (skin-coloured pixels, luma), both flat."""
    ycrcb = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb).reshape(-1, 3).astype(np.int16)
    luma, red_diff, blue_diff = ycrcb[:, 0], ycrcb[:, 1], ycrcb[:, 2]
    skin = (
        (red_diff >= 128)
        & (red_diff <= 185)
        & (blue_diff >= 65)
        & (blue_diff <= 135)
        & (red_diff - blue_diff >= 5)
    )
    return skin, luma


def _skin_share(skin: np.ndarray, within: np.ndarray) -> tuple[float, float]:
    """Return (skin-coloured fraction of the pixels `within`, fraction `within`)."""
    count = int(within.sum())
    return (float((skin & within).sum()) / count if count else 0.0), count / within.size


def assess_quality(image: np.ndarray) -> QualityReport:
    """Check a decoded photo before it is given to the model. Never raises on images.

    Args:
        image: RGB uint8 array (H, W, 3).

    Returns:
        A `QualityReport`; `report.ok` is True when the photo can be analysed.
    """
    height, width = image.shape[:2]
    small = shrink_to(image, ANALYSIS_SIDE)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    skin_pixels, luma = _skin_mask(small)
    skin, lit = _skin_share(skin_pixels, luma > VIGNETTE_LUMA)
    lit_pixels = gray[gray > VIGNETTE_LUMA]
    brightness = float(lit_pixels.mean()) if lit_pixels.size else float(gray.mean())
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    lit_mask = gray > VIGNETTE_LUMA
    saturation = float(hsv[..., 1][lit_mask].mean()) if lit_mask.any() else 0.0
    # Distinct colours on a 16-level grid: skin plus a lesion spans few hues;
    # scenes, people with backgrounds and noise span many.
    coarse = (small.reshape(-1, 3) >> 4).astype(np.int32)
    codes = (coarse[:, 0] << 8) | (coarse[:, 1] << 4) | coarse[:, 2]
    colours = int(np.count_nonzero(np.bincount(codes, minlength=4096)))
    measures = {
        "short_side": float(min(height, width)),
        "sharpness": float(cv2.Laplacian(gray, cv2.CV_64F).var()),
        "brightness": brightness,
        "clipped_fraction": float((gray >= CLIPPED_LUMA).mean()),
        "skin_fraction": skin,
        "lit_fraction": lit,
        "saturation": saturation,
        "colours": float(colours),
        "flat_fraction": float((cv2.Laplacian(gray, cv2.CV_16S) == 0).mean()),
    }
    issues: list[QualityIssue] = []
    if measures["short_side"] < MIN_SIDE:
        issues.append(QualityIssue.TOO_SMALL)
    if lit < 0.25 or brightness < MIN_BRIGHTNESS:
        issues.append(QualityIssue.TOO_DARK)
    elif brightness > MAX_BRIGHTNESS or measures["clipped_fraction"] > MAX_CLIPPED_FRACTION:
        issues.append(QualityIssue.OVEREXPOSED)
    if measures["sharpness"] < MIN_SHARPNESS:
        issues.append(QualityIssue.BLURRY)
    # Well exposed: neither black vignette nor clipped white. A photo of skin that is too
    # dark or too bright still has skin colours where it is exposed; a document has none.
    well_exposed = (luma > VIGNETTE_LUMA) & (luma < CLIPPED_LUMA)
    exposed_skin, exposed = _skin_share(skin_pixels, well_exposed)
    measures["exposed_skin_fraction"], measures["exposed_fraction"] = exposed_skin, exposed
    exposure = {QualityIssue.TOO_DARK, QualityIssue.OVEREXPOSED}
    if (
        exposure & set(issues)
        and exposed >= MIN_EXPOSED_FRACTION
        and exposed_skin < MIN_SKIN_FRACTION
    ):
        # A white text page is "overexposed" and a dark screenshot "too dark", yet the
        # honest answer is that they are not skin: no skin colour where they are exposed.
        issues = [issue for issue in issues if issue not in exposure | {QualityIssue.BLURRY}]
        issues.append(QualityIssue.NOT_A_LESION)
    if not issues and (
        skin < MIN_SKIN_FRACTION
        or colours > MAX_COLOURS
        or saturation < MIN_SATURATION
        or measures["flat_fraction"] > MAX_FLAT_FRACTION
    ):
        issues.append(QualityIssue.NOT_A_LESION)
    return QualityReport(issues=tuple(issues), measures=measures)
