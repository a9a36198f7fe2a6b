"""decode_image: every format, every EXIF orientation, odd modes, and hostile bytes."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from preprocessing.decode import DEFAULT_TARGET_SIDE, HEIF_SUPPORTED, MAX_PIXELS, decode_image
from preprocessing.errors import InvalidImageError, InvalidImageReason
from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion

# Six flat colour blocks (2 rows x 3 columns of 32 px): every flip and rotation
# of this 64x96 image is different, and flat blocks survive JPEG compression.
BLOCK_COLOURS = np.array(
    [
        [(220, 40, 40), (40, 200, 40), (40, 40, 220)],
        [(230, 230, 40), (40, 220, 220), (200, 40, 200)],
    ],
    dtype=np.uint8,
)


def blocks_image() -> np.ndarray:
    return np.repeat(np.repeat(BLOCK_COLOURS, 32, axis=0), 32, axis=1)


def encode(image: np.ndarray | Image.Image, image_format: str, **options: object) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size, followed by a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(bytes(64)))
        + png_chunk(b"IEND", b"")
    )


def mean_abs_error(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.abs(first.astype(np.int16) - second.astype(np.int16)).mean())


LOSSLESS = [("PNG", {}), ("BMP", {}), ("TIFF", {}), ("WEBP", {"lossless": True}), ("GIF", {})]


@pytest.mark.parametrize(("image_format", "options"), LOSSLESS, ids=[f for f, _ in LOSSLESS])
def test_lossless_formats_decode_to_the_exact_pixels(
    image_format: str, options: dict[str, object]
) -> None:
    image = blocks_image()

    decoded = decode_image(encode(image, image_format, **options))

    assert decoded.dtype == np.uint8
    assert decoded.shape == image.shape
    np.testing.assert_array_equal(decoded, image)


LOSSY = [("JPEG", {"quality": 95}), ("WEBP", {"quality": 95})]
if HEIF_SUPPORTED:
    LOSSY.append(("HEIF", {"quality": 95}))


@pytest.mark.parametrize(("image_format", "options"), LOSSY, ids=[f for f, _ in LOSSY])
def test_lossy_formats_decode_close_to_the_original(
    image_format: str, options: dict[str, object]
) -> None:
    image = synthetic_lesion(128)

    decoded = decode_image(encode(image, image_format, **options))

    assert decoded.shape == image.shape
    assert mean_abs_error(decoded, image) < 6


def test_heif_is_supported_because_phones_send_it() -> None:
    assert HEIF_SUPPORTED, "pillow-heif is a declared dependency; HEIC uploads must decode"


def expected_orientation(stored: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows for each EXIF orientation value (TIFF 6.0 / EXIF 2.3)."""
    transforms = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],  # mirrored left-right
        3: lambda a: a[::-1, ::-1],  # rotated 180
        4: lambda a: a[::-1, :],  # mirrored top-bottom
        5: lambda a: a.transpose(1, 0, 2),  # mirrored along the main diagonal
        6: lambda a: np.rot90(a, k=-1),  # rotated 90 clockwise to display
        7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),  # mirrored along the anti-diagonal
        8: lambda a: np.rot90(a, k=1),  # rotated 90 counter-clockwise to display
    }
    return np.ascontiguousarray(transforms[orientation](stored))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(orientation: int) -> None:
    stored = blocks_image()
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes())

    decoded = decode_image(data)

    expected = expected_orientation(stored, orientation)
    assert decoded.shape == expected.shape
    assert mean_abs_error(decoded, expected) < 4
    # Every other orientation is far away, so the check above cannot pass by luck.
    for other in set(range(1, 9)) - {orientation}:
        wrong = expected_orientation(stored, other)
        if wrong.shape == decoded.shape:
            assert mean_abs_error(decoded, wrong) > 30


def test_transparent_pixels_are_flattened_onto_white() -> None:
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 0] = 200  # red everywhere underneath
    rgba[:, :32, 3] = 0  # left half fully transparent
    rgba[:, 32:, 3] = 255  # right half opaque
    rgba[:16, 32:, 3] = 128  # a half-transparent strip

    decoded = decode_image(encode(rgba, "PNG"))

    assert decoded.shape == (64, 64, 3)
    assert (decoded[:, :32] == 255).all()
    np.testing.assert_array_equal(decoded[32:, 32:], np.broadcast_to((200, 0, 0), (32, 32, 3)))
    np.testing.assert_allclose(decoded[0, 40], (228, 127, 127), atol=2)


def test_grayscale_with_alpha_and_transparent_palette_are_flattened() -> None:
    gray_alpha = Image.fromarray(np.full((40, 40), 50, np.uint8)).convert("LA")
    gray_alpha.putalpha(Image.fromarray(np.tile(np.array([0, 255], np.uint8), (40, 20))))
    palette = Image.fromarray(blocks_image()).quantize(colors=6)
    palette.info["transparency"] = int(np.asarray(palette)[0, 0])  # top-left block

    decoded_gray = decode_image(encode(gray_alpha, "PNG"))
    decoded_palette = decode_image(encode(palette, "PNG"))

    assert (decoded_gray[:, 0::2] == 255).all()
    assert (decoded_gray[:, 1::2] == 50).all()
    assert (decoded_palette[:32, :32] == 255).all()
    np.testing.assert_array_equal(decoded_palette[32:, 32:], blocks_image()[32:, 32:])


def test_grayscale_and_palette_become_rgb() -> None:
    gray = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (48, 1))
    palette = Image.fromarray(blocks_image()).quantize(colors=6)

    decoded_gray = decode_image(encode(gray, "PNG"))
    decoded_palette = decode_image(encode(palette, "PNG"))

    assert decoded_gray.shape == (48, 64, 3)
    for channel in range(3):
        np.testing.assert_array_equal(decoded_gray[..., channel], gray)
    np.testing.assert_array_equal(decoded_palette, blocks_image())


@pytest.mark.parametrize(("image_format", "tolerance"), [("TIFF", 0), ("JPEG", 4)])
def test_cmyk_becomes_rgb(image_format: str, tolerance: int) -> None:
    cmyk = np.zeros((64, 96, 4), np.uint8)
    cmyk[:, :32] = (255, 0, 0, 0)  # cyan ink
    cmyk[:, 32:64] = (0, 255, 255, 0)  # magenta + yellow = red
    cmyk[:, 64:] = (0, 0, 0, 0)  # no ink = paper white
    image = Image.fromarray(cmyk, mode="CMYK")

    decoded = decode_image(encode(image, image_format, **({"quality": 95} if tolerance else {})))

    assert decoded.shape == (64, 96, 3)
    np.testing.assert_allclose(decoded[8:-8, 8:24].mean(axis=(0, 1)), (0, 255, 255), atol=tolerance)
    np.testing.assert_allclose(decoded[8:-8, 40:56].mean(axis=(0, 1)), (255, 0, 0), atol=tolerance)
    np.testing.assert_allclose(
        decoded[8:-8, 72:88].mean(axis=(0, 1)), (255, 255, 255), atol=tolerance
    )


def test_16_bit_grayscale_is_scaled_by_bit_depth() -> None:
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (40, 1))
    dark = np.full((40, 64), 2570, np.uint16)  # 4% of full scale: a dark photo stays dark

    decoded_ramp = decode_image(encode(Image.fromarray(ramp), "PNG"))
    decoded_dark = decode_image(encode(Image.fromarray(dark), "PNG"))

    np.testing.assert_allclose(decoded_ramp[..., 1], ramp / 257.0, atol=1)
    assert (decoded_dark == 10).all()


def test_16_bit_rgb_png_is_converted() -> None:
    import cv2

    bgr16 = np.zeros((40, 40, 3), np.uint16)
    bgr16[..., 2] = 65535  # red, at 16 bits
    bgr16[..., 1] = 32896
    ok, encoded = cv2.imencode(".png", bgr16)
    assert ok

    decoded = decode_image(encoded.tobytes())

    assert decoded.dtype == np.uint8
    np.testing.assert_allclose(decoded[0, 0], (255, 128, 0), atol=1)


def test_large_jpeg_is_decoded_at_reduced_scale() -> None:
    import cv2

    small = synthetic_lesion(300)
    photo = cv2.resize(small, (4000, 3000), interpolation=cv2.INTER_LINEAR)

    decoded = decode_image(encode(photo, "JPEG", quality=90))
    full = decode_image(encode(photo, "JPEG", quality=90), target_side=0)

    assert DEFAULT_TARGET_SIDE <= min(decoded.shape[:2]) < 3000
    assert decoded.shape[1] / decoded.shape[0] == pytest.approx(4 / 3, rel=0.01)
    assert full.shape == (3000, 4000, 3)
    reduced_back = cv2.resize(full, decoded.shape[1::-1], interpolation=cv2.INTER_AREA)
    assert mean_abs_error(decoded, reduced_back) < 4


def test_small_jpeg_keeps_its_size() -> None:
    image = synthetic_lesion(256)[:150, :200]

    assert decode_image(encode(image, "JPEG", quality=90)).shape == (150, 200, 3)


@pytest.mark.parametrize(
    ("data", "max_pixels"),
    [
        (png_header_only(100_000, 100_000), MAX_PIXELS),  # Pillow's own bomb limit
        (png_header_only(8_000, 8_000), MAX_PIXELS),  # over ours, under Pillow's error
        (png_header_only(10_000, 10_000), MAX_PIXELS),  # Pillow's bomb warning range
        (encode(synthetic_lesion(128), "JPEG"), 128 * 128 - 1),  # a lowered limit
    ],
    ids=["huge-header", "64-megapixel-header", "100-megapixel-header", "lowered-limit"],
)
def test_too_many_pixels_are_refused_unread(data: bytes, max_pixels: int) -> None:
    with pytest.raises(InvalidImageError) as raised:
        decode_image(data, max_pixels=max_pixels)

    assert raised.value.reason is InvalidImageReason.TOO_LARGE


def test_tiny_images_are_refused() -> None:
    with pytest.raises(InvalidImageError) as raised:
        decode_image(encode(np.zeros((20, 200, 3), np.uint8), "PNG"))

    assert raised.value.reason is InvalidImageReason.TOO_SMALL


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", InvalidImageReason.EMPTY),
        (b"hello, this is not a photo\n", InvalidImageReason.NOT_AN_IMAGE),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", InvalidImageReason.NOT_AN_IMAGE),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(64), InvalidImageReason.NOT_AN_IMAGE),
    ],
    ids=["empty", "text", "pdf", "zip"],
)
def test_non_images_raise_their_reason(data: bytes, reason: InvalidImageReason) -> None:
    with pytest.raises(InvalidImageError) as raised:
        decode_image(data)

    assert raised.value.reason is reason


def test_truncated_jpeg_is_reported_as_truncated() -> None:
    data = encode(synthetic_lesion(256), "JPEG", quality=90)

    with pytest.raises(InvalidImageError) as raised:
        decode_image(data[: len(data) // 2])

    assert raised.value.reason is InvalidImageReason.TRUNCATED


def test_unsupported_formats_are_named() -> None:
    data = encode(synthetic_lesion(64), "AVIF") if "AVIF" in Image.SAVE else None
    if data is None:
        data = encode(synthetic_lesion(64), "ICO")

    with pytest.raises(InvalidImageError) as raised:
        decode_image(data)

    assert raised.value.reason is InvalidImageReason.UNSUPPORTED_FORMAT


def garbage_inputs() -> list[bytes]:
    rng = np.random.default_rng(2024)
    jpeg = encode(synthetic_lesion(128), "JPEG", quality=90)
    png = encode(synthetic_lesion(128), "PNG")
    samples: list[bytes] = [
        b"",
        b"\x00",
        b"GIF89a",
        b"\xff\xd8\xff",
        b"BM" + bytes(60),
        b"II*\x00" + bytes(60),
        b"RIFF\x10\x00\x00\x00WEBPVP8 ",
        b"<html><body>not an image</body></html>",
        b'{"photo": "lesion.jpg"}',
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
        b"PK\x05\x06" + bytes(18),
        b"\x1f\x8b\x08\x00" + bytes(16),
        png_header_only(0, 0),
        png_header_only(64, 64),  # a header that promises pixels it does not have
    ]
    samples += [rng.bytes(int(length)) for length in rng.integers(1, 5000, 150)]
    samples += [jpeg[:cut] for cut in np.linspace(2, len(jpeg) - 200, 25).astype(int)]
    samples += [png[:cut] for cut in np.linspace(8, len(png) - 100, 25).astype(int)]
    for _ in range(40):  # valid headers followed by corrupted bodies
        source = bytearray(jpeg if rng.random() < 0.5 else png)
        start = int(rng.integers(20, 200))
        source[start:] = rng.bytes(len(source) - start)
        samples.append(bytes(source))
    return samples


def test_garbage_only_ever_raises_invalid_image_error() -> None:
    samples = garbage_inputs()
    escaped: list[tuple[int, str]] = []
    refused = 0

    for index, data in enumerate(samples):
        try:
            decode_image(data)
        except InvalidImageError:
            refused += 1
        except Exception as error:
            escaped.append((index, repr(error)))

    print(f"garbage inputs refused with InvalidImageError: {refused}/{len(samples)}")
    assert not escaped
    assert len(samples) >= 250
    assert refused == len(samples)


def test_the_reduced_scale_keeps_every_pixel_preprocessing_reads() -> None:
    config = PreprocessConfig()

    assert config.working_size / config.center_fraction <= DEFAULT_TARGET_SIDE
