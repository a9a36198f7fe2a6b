"""Training copies and the changes drawn for each training photo.

Optional extra copies get synthetic hair *before* preprocessing; hair removal cleans
thin hairs, while the thicker synthetic strokes it misses stay as augmentation that
teaches robustness to hair. Copies must be drawn from both classes alike: drawn from
melanomas only, they taught model 2.3.0 that hair (and hair-removal traces) means
melanoma (`benchmarks/hair_robustness.py`). Other copies are changed as another camera
would have taken them (`training.acquisition`), and photos and copies may take the
colours of the other camera group (`training.recolour`) or part of another photo's
amplitude spectrum (`training.amplitude`). Everything is drawn here, from the run's
seed; `training.cache.preprocess_records` applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from training.amplitude import AmplitudeReference, amplitude_references
from training.data import MELANOMA, Record
from training.recolour import other_group_references


class TrainingCopies(NamedTuple):
    """Training records with their copies, and per record the changes drawn for it."""

    records: list[Record]
    hair_seeds: list[int | None]
    acquisition_seeds: list[int | None]
    colour_references: list[str | None]
    amplitude_references: list[AmplitudeReference]


def with_training_copies(
    records: Sequence[Record],
    *,
    hair_copies: float,
    hair_copies_of: str,
    acquisition_copies: float,
    seed: int,
    recolour_share: float = 0.0,
    amplitude_share: float = 0.0,
    amplitude_max_weight: float = 1.0,
) -> TrainingCopies:
    """Append hairy and camera-changed copies of training records; draw their other changes.

    Args:
        records: Training records.
        hair_copies: Extra hairy copies per eligible record (see `with_copies`).
        hair_copies_of: `"all"` or `"melanoma"`: which records may get hair.
        acquisition_copies: Extra camera-changed copies per record, of all classes.
        seed: Seed of every draw (independent streams) and of each copy's change.
        recolour_share: Share of records and copies recoloured like the other camera
            group (`training.recolour.other_group_references`).
        amplitude_share: Share of records and copies whose amplitude spectrum is mixed
            with a random other training photo's (`training.amplitude`).
        amplitude_max_weight: Largest share of the other photo's amplitude.

    Returns:
        The records followed by the copies, and per record its hair seed, its
        acquisition seed, its colour reference and its amplitude reference (None
        where not drawn), for `preprocess_records`.
    """
    hairy, hair_seeds = with_copies(records, hair_copies, of=hair_copies_of, seed=seed)
    # Own streams: `seed + 1` would repeat the hair draw of the run seeded `seed + 1`.
    acquisition_stream, colour_stream, amplitude_stream = (
        int(np.random.SeedSequence([seed, stream]).generate_state(1)[0]) for stream in (1, 2, 3)
    )
    changed, acquisition_seeds = with_copies(
        records, acquisition_copies, of="all", seed=acquisition_stream
    )
    extra = changed[len(records) :]
    extended = [*hairy, *extra]
    no_seeds: list[int | None] = [None] * len(extended)
    return TrainingCopies(
        extended,
        hair_seeds + no_seeds[len(hairy) :],
        no_seeds[: len(hairy)] + acquisition_seeds[len(records) :],
        other_group_references(extended, recolour_share, seed=colour_stream),
        amplitude_references(
            extended, amplitude_share, max_weight=amplitude_max_weight, seed=amplitude_stream
        ),
    )


def with_copies(
    records: Sequence[Record], copies: float, *, of: str, seed: int
) -> tuple[list[Record], list[int | None]]:
    """Append records to be drawn again with a change, and a seed of the change per record.

    Args:
        records: Training records.
        copies: Extra copies per eligible record (0.5: every other one on average).
        of: `"all"` (every record is eligible, so the change says nothing about the
            class) or `"melanoma"` (melanomas only; also oversamples them).
        seed: Seed of the draw and of each copy's change.

    Returns:
        The records followed by the copies, and per record its seed (None for
        the originals), for `preprocess_records(..., hair_seeds=...)` or
        `acquisition_seeds=...`.

    Raises:
        ValueError: For an unknown `of` or negative `copies`.
    """
    if of not in ("all", "melanoma"):
        raise ValueError(f"`of` must be 'all' or 'melanoma'. Received: of={of!r}")
    if copies < 0:
        raise ValueError(f"`copies` must be >= 0. Received: copies={copies}")
    rng = np.random.default_rng(seed)
    eligible = [r for r in records if of == "all" or r.label == MELANOMA]
    extra = round(len(eligible) * copies)
    picks: list[int] = []
    if eligible:
        picks = rng.choice(len(eligible), extra, replace=extra > len(eligible)).tolist()
    seeds: list[int | None] = [None] * len(records)
    seeds += [int(rng.integers(1 << 31)) for _ in picks]
    return [*records, *(eligible[index] for index in picks)], seeds
