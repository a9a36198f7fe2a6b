"""Helpers shared by the tests of the per-photo training changes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from preprocessing.pipeline import PreprocessConfig
from training.cache import preprocess_records
from training.data import NEVUS, Record


def write_photo_records(folder: Path, photos: list[np.ndarray]) -> list[Record]:
    """Write RGB photos as PNG files in `folder`; return a mole record for each."""
    records = []
    for index, photo in enumerate(photos):
        path = folder / f"photo_{index}.png"
        cv2.imwrite(str(path), photo[..., ::-1])
        records.append(Record(path, NEVUS, "S", path.stem, path.stem))
    return records


def preprocess_plain_and_changed(
    record: Record, config: PreprocessConfig, cache_dir: Path, **change: list[object]
) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess `record` as it is, then with `change` (e.g. colour_references=[...]),
    both through the same cache folder; return the two (1, S, S, 3) arrays."""
    plain, _ = preprocess_records([record], config, workers=1, cache_dir=cache_dir)
    changed, _ = preprocess_records(
        [record],
        config,
        workers=1,
        cache_dir=cache_dir,
        **change,  # type: ignore[arg-type]
    )
    return plain, changed
