"""Training copies and the changes drawn for each training photo.

Optional extra copies get synthetic hair *before* preprocessing; hair removal cleans
thin hairs, while the thicker synthetic strokes it misses stay as augmentation that
teaches robustness to hair. Copies must be drawn from both classes alike: drawn from
melanomas only, they taught a model that hair (and hair-removal traces) means
melanoma (`benchmarks/hair_robustness.py` checks it). Other copies are changed as another camera
would have taken them (`training.classifier.acquisition`). Everything is drawn here, from
the run's seed; `training.classifier.cache.preprocess_records` applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from training.datasets import Record


class TrainingCopies(NamedTuple):
    """Training records with their copies, and per record the changes drawn for it."""

    records: list[Record]
    hair_seeds: list[int | None]
    acquisition_seeds: list[int | None]


def with_training_copies(
    records: Sequence[Record],
    *,
    hair_copies: float,
    acquisition_copies: float,
    seed: int,
) -> TrainingCopies:
    """Append hairy and camera-changed copies of training records, of every class alike.

    Args:
        records: Training records.
        hair_copies: Extra hairy copies per record (see `with_copies`).
        acquisition_copies: Extra camera-changed copies per record.
        seed: Seed of every draw (independent streams) and of each copy's change.

    Returns:
        The records followed by the copies, and per record its hair seed and its
        acquisition seed (None where not drawn), for `preprocess_records`.
    """
    hairy, hair_seeds = with_copies(records, hair_copies, seed=seed)
    # Its own stream: `seed + 1` would repeat the hair draw of the run seeded `seed + 1`.
    acquisition_stream = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
    changed, acquisition_seeds = with_copies(records, acquisition_copies, seed=acquisition_stream)
    extra = changed[len(records) :]
    extended = [*hairy, *extra]
    no_seeds: list[int | None] = [None] * len(extended)
    return TrainingCopies(
        extended,
        hair_seeds + no_seeds[len(hairy) :],
        no_seeds[: len(hairy)] + acquisition_seeds[len(records) :],
    )


def with_copies(
    records: Sequence[Record], copies: float, *, seed: int
) -> tuple[list[Record], list[int | None]]:
    """Append records to be drawn again with a change, and a seed of the change per record.

    Args:
        records: Training records.
        copies: Extra copies per record (0.5: every other one on average), drawn from
            every class alike so that the change says nothing about the class.
        seed: Seed of the draw and of each copy's change.

    Returns:
        The records followed by the copies, and per record its seed (None for
        the originals), for `preprocess_records(..., hair_seeds=...)` or
        `acquisition_seeds=...`.

    Raises:
        ValueError: For negative `copies`.
    """
    if copies < 0:
        raise ValueError(f"`copies` must be >= 0. Received: copies={copies}")
    rng = np.random.default_rng(seed)
    extra = round(len(records) * copies)
    picks: list[int] = []
    if records:
        picks = rng.choice(len(records), extra, replace=extra > len(records)).tolist()
    seeds: list[int | None] = [None] * len(records)
    seeds += [int(rng.integers(1 << 31)) for _ in picks]
    return [*records, *(records[index] for index in picks)], seeds
