"""Recolour training photos like the other camera group, so that camera colours say nothing.

HAM10000's followed-up moles all come from one centre's digital follow-up, whose photos
have their own colours (warmer, pinker skin); a model trained on them learns "this
camera's colours mean benign" (`benchmarks/acquisition_shortcut.py`). Leaving them out
of training (models 2.5.0 and 2.6.0) throws away 2,597 moles. Recolouring keeps them:
each training photo, with probability `share`, takes the colour statistics of a random
photo of the *other* group (a followed-up mole those of another photo, any other photo
those of a followed-up mole). With `share` 0.5 a photo has the follow-up colours with
probability one half whatever its class, and so does the recolouring itself.

The colours are transferred as Reinhard et al. (2001) do: each CIELAB channel's mean and
standard deviation set to the reference's (the spread changed by at most a factor 1.5).
It keeps the lesion's contrast with the skin.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from training.data import FOLLOW_UP, Record

_MIN_SPREAD = 1e-3  # a flat channel (a blank test image) keeps its value instead of dividing by 0
# A small mole on even skin has almost no colour spread; stretching it to a busy
# reference's spread would paint the mole bright red or magenta.
SCALE_LIMITS = (2 / 3, 3 / 2)


def check_uint8_rgb(**arrays: np.ndarray) -> None:
    """Raise ValueError naming the first of `arrays` that is not a uint8 RGB photo."""
    for name, array in arrays.items():
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(
                f"`{name}` must be uint8 RGB (height, width, 3). "
                f"Received: shape={array.shape}, dtype={array.dtype}"
            )


def transfer_colour(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Give `image` the CIELAB channel means and standard deviations of `reference`.

    Args:
        image: uint8 RGB photo (height, width, 3).
        reference: uint8 RGB photo whose colours to take; any size.

    Returns:
        The recoloured uint8 RGB photo, the size of `image`.

    Raises:
        ValueError: When either array is not uint8 RGB.
    """
    check_uint8_rgb(image=image, reference=reference)
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    target = cv2.cvtColor(reference, cv2.COLOR_RGB2LAB).astype(np.float32).reshape(-1, 3)
    mean, spread = lab.reshape(-1, 3).mean(0), lab.reshape(-1, 3).std(0)
    scale = np.where(spread > _MIN_SPREAD, target.std(0) / np.maximum(spread, _MIN_SPREAD), 1.0)
    scale = np.clip(scale, *SCALE_LIMITS)
    recoloured = (lab - mean) * scale + target.mean(0)
    recoloured = np.clip(np.rint(recoloured), 0, 255).astype(np.uint8)
    return cv2.cvtColor(recoloured, cv2.COLOR_LAB2RGB)


def other_group_references(
    records: Sequence[Record], share: float, *, seed: int
) -> list[str | None]:
    """Draw, per record, the photo of the other camera group whose colours it takes.

    Args:
        records: Training records (copies included: each is drawn on its own).
        share: Probability that a record is recoloured, in [0, 1].
        seed: Seed of the draw.

    Returns:
        Per record, the path of its reference photo, or None where it keeps its
        colours. All None when either group is empty (nothing to balance).

    Raises:
        ValueError: When `share` is outside [0, 1].
    """
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"`share` must be in [0, 1]. Received: share={share}")
    followed_up = [str(r.path) for r in records if r.confirmation == FOLLOW_UP]
    others = [str(r.path) for r in records if r.confirmation != FOLLOW_UP]
    references: list[str | None] = [None] * len(records)
    if share == 0.0 or not followed_up or not others:
        return references
    rng = np.random.default_rng(seed)
    for index, record in enumerate(records):
        if rng.random() < share:
            pool = others if record.confirmation == FOLLOW_UP else followed_up
            references[index] = pool[int(rng.integers(len(pool)))]
    return references
