"""Amplitude-spectrum mixing: another camera's texture, the same lesion.

A photo's Fourier amplitude spectrum holds much of what a camera gives it (sharpness,
sensor noise, compression, vignetting, overall colour and contrast), its phase most of
what is in the scene (edges, shapes, where the lesion is). Mixing a training photo's
amplitude with that of a random other training photo, phase kept, shows the model the
same lesion as other cameras would render it (Xu et al., "A Fourier-based Framework
for Domain Generalization", CVPR 2021). With the lesion covered, model 2.4.0 still told
HAM10000's followed-up moles from its melanomas at 0.946; a full amplitude swap with a
followed-up photo brought that to 0.719 (probe 4 of `benchmarks/acquisition_shortcut.py`).

Two limits keep the lesion the photo's own. The weight is drawn per photo from
[0, max_weight]: a full swap also destroys lesion texture (2.4.0's melanomas vs excised
moles fell from 0.790 to 0.542 in a one-off probe). And the lowest frequencies
(below `KEEP_BELOW` cycles per pixel: shapes larger than about a sixth of a HAM10000
photo) keep their own amplitude: in dermoscopy they hold the lesion's size and
darkness, and mixed, they paint a faint mole with the reference's dark or red blotch
(seen on a contact sheet).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from training.data import Record
from training.recolour import check_uint8_rgb

AmplitudeReference = tuple[str, float] | None  # (path of the photo, weight), or None
KEEP_BELOW = 0.03  # cycles per pixel; radial frequency below which the amplitude is kept


def mix_amplitude(
    image: np.ndarray, reference: np.ndarray, weight: float, *, keep_below: float = KEEP_BELOW
) -> np.ndarray:
    """Mix the amplitude spectrum of `image` with that of `reference`, keeping the phase.

    Args:
        image: uint8 RGB photo (height, width, 3).
        reference: uint8 RGB photo whose spectrum to take; resized to `image`'s size.
        weight: Share of the reference's amplitude above `keep_below`, in [0, 1]
            (0: `image` unchanged).
        keep_below: Radial frequency, in cycles per pixel, below which `image` keeps its
            own amplitude (0: the whole spectrum is mixed).

    Returns:
        The mixed uint8 RGB photo, the size of `image`.

    Raises:
        ValueError: When either array is not uint8 RGB, or `weight` is outside [0, 1].
    """
    check_uint8_rgb(image=image, reference=reference)
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"`weight` must be in [0, 1]. Received: weight={weight}")
    height, width = image.shape[:2]
    if reference.shape[:2] != (height, width):
        reference = cv2.resize(reference, (width, height), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.rfft2(image.astype(np.float32), axes=(0, 1))
    own = np.abs(spectrum)
    mixed_in = (1.0 - weight) * own + weight * np.abs(
        np.fft.rfft2(reference.astype(np.float32), axes=(0, 1))
    )
    radial = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    amplitude = np.where((radial < keep_below)[..., None], own, mixed_in)
    phase = np.exp(1j * np.angle(spectrum))
    mixed = np.fft.irfft2(amplitude * phase, s=(height, width), axes=(0, 1))
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def amplitude_references(
    records: Sequence[Record], share: float, *, max_weight: float, seed: int
) -> list[AmplitudeReference]:
    """Draw, per record, the photo whose amplitude spectrum it takes, and how much.

    Args:
        records: Training records (copies included: each is drawn on its own).
        share: Probability that a record is mixed, in [0, 1].
        max_weight: Weights are drawn uniformly from [0, max_weight], within [0, 1].
        seed: Seed of the draw.

    Returns:
        Per record, (path of another record's photo, weight), or None where it keeps its
        spectrum. All None when there are fewer than two records.

    Raises:
        ValueError: When `share` or `max_weight` is outside [0, 1].
    """
    for name, value in (("share", share), ("max_weight", max_weight)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value}")
    references: list[AmplitudeReference] = [None] * len(records)
    if share == 0.0 or max_weight == 0.0 or len(records) < 2:
        return references
    rng = np.random.default_rng(seed)
    for index in range(len(records)):
        if rng.random() < share:
            other = int(rng.integers(len(records) - 1))
            other += other >= index  # any record but this one
            references[index] = (str(records[other].path), float(rng.uniform(0, max_weight)))
    return references
