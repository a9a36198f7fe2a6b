"""Decode untrusted bytes (photo uploads) into an RGB uint8 array, in memory only."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from preprocessing.errors import InvalidImageError, InvalidImageReason

try:  # HEIC/HEIF from phones; optional so the package still works without the wheel.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the platform
    HEIF_SUPPORTED = False

SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "MPO", "HEIF"})
MAX_PIXELS = 50_000_000
"""Refuse images above this many pixels before decoding them (decompression bombs)."""
MIN_SIDE = 32
DEFAULT_TARGET_SIDE = 320
"""Large JPEGs are decoded at reduced scale, but with the short side at least this long.

320 px is the most any step reads: `preprocess()` crops the centre 80 % of the square and
works at 256 px (256 / 0.8 = 320), the quality gate looks at 256 px and the photo gate at
224 px. A 12 MP photo then decodes at 1/8 scale (375 px) instead of 1/4. The heatmap
decodes the photo the same way, so that it explains the very answer it sits under."""


def decode_image(
    data: bytes,
    *,
    max_pixels: int = MAX_PIXELS,
    target_side: int = DEFAULT_TARGET_SIDE,
) -> np.ndarray:
    """Decode image bytes into an RGB uint8 array of shape (height, width, 3).

    Applies the EXIF orientation, flattens transparency onto white and converts
    grayscale, palette, CMYK and 16-bit images. JPEGs are decoded at the smallest
    DCT scale that keeps the short side >= `target_side` (a 12 MP photo only
    feeds a small model, so decoding it fully wastes time and memory).

    Args:
        data: The raw file bytes.
        max_pixels: Images with more pixels than this are refused unread.
        target_side: Short side to keep at least when decoding at reduced scale;
            0 disables reduced-scale decoding.

    Returns:
        The RGB image.

    Raises:
        InvalidImageError: For empty, non-image, truncated, unsupported, too
            large or too small inputs. No other exception escapes.
    """
    if not data:
        raise InvalidImageError(InvalidImageReason.EMPTY, "no bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            return _to_rgb_array(image, max_pixels=max_pixels, target_side=target_side)
    except InvalidImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidImageError(InvalidImageReason.TOO_LARGE, str(error)) from error
    except UnidentifiedImageError as error:
        raise InvalidImageError(InvalidImageReason.NOT_AN_IMAGE, "unrecognised bytes") from error
    except (OSError, SyntaxError, EOFError) as error:
        raise InvalidImageError(InvalidImageReason.TRUNCATED, str(error)) from error
    except Exception as error:
        raise InvalidImageError(InvalidImageReason.NOT_AN_IMAGE, repr(error)) from error


def _to_rgb_array(image: Image.Image, *, max_pixels: int, target_side: int) -> np.ndarray:
    if image.format not in SUPPORTED_FORMATS:
        raise InvalidImageError(InvalidImageReason.UNSUPPORTED_FORMAT, str(image.format))
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidImageError(
            InvalidImageReason.TOO_LARGE, f"{width}x{height} exceeds {max_pixels} pixels"
        )
    if image.format in {"JPEG", "MPO"} and target_side > 0:
        scale = min(width, height) / target_side
        if scale >= 2:
            image.draft("RGB", (int(width / scale) + 1, int(height / scale) + 1))
    image.load()
    image = ImageOps.exif_transpose(image) or image
    rgb = _flatten_to_rgb(image)
    array = np.asarray(rgb, dtype=np.uint8)
    if min(array.shape[:2]) < MIN_SIDE:
        raise InvalidImageError(
            InvalidImageReason.TOO_SMALL, f"{array.shape[1]}x{array.shape[0]} pixels"
        )
    return np.ascontiguousarray(array)


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in {"I;16", "I;16B", "I;16L", "I;16N", "I"}:
        # Scale by the bit depth, not by the brightest pixel: stretching to the peak
        # would make a dark 16-bit photo look well exposed (and pass the quality
        # gate), and Pillow reads 16-bit RGB files by bit depth too.
        array = np.asarray(image, dtype=np.float64)
        full_scale = 65535.0 if mode != "I" or float(array.max()) <= 65535.0 else float(array.max())
        scaled = np.clip(array, 0.0, None) / full_scale * 255.0
        image = Image.fromarray(scaled.round().astype(np.uint8), mode="L")
    elif mode == "F":
        array = np.nan_to_num(np.asarray(image, dtype=np.float64))
        span = float(array.max() - array.min()) or 1.0
        scaled = (array - array.min()) / span * 255.0
        image = Image.fromarray(scaled.round().astype(np.uint8), mode="L")
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "LA", "La", "RGBa"}:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")
