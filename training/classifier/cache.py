"""Decode and preprocess a dataset once, in parallel, into uint8 arrays.

Training then augments these arrays on the fly. Preprocessing goes through the
same `preprocess()` as serving, so the model sees in training what it will see
in production. The changes drawn for training copies (`training.classifier.copies`: synthetic
hair, another camera) are applied here, before `preprocess()`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm import tqdm

from preprocessing.errors import InvalidImageError
from preprocessing.hair import add_synthetic_hair
from preprocessing.pipeline import PreprocessConfig, preprocess
from training.classifier.acquisition import simulate_acquisition
from training.datasets import Record, load_image_rgb

logger = logging.getLogger(__name__)
T = TypeVar("T")

_REPO = Path(__file__).resolve().parents[2]
# The code that turns a file into a cached array: preprocessing, plus the changes
# drawn on training copies before it, and this module, which applies them.
PREPROCESSING_SOURCES = (
    *sorted((_REPO / "preprocessing").glob("*.py")),
    _REPO / "training" / "classifier" / "acquisition.py",
    _REPO / "training" / "classifier" / "cache.py",
)


def preprocessing_fingerprint() -> str:
    """Return a hash of the source code that produces cached arrays.

    Part of every cache key: a cache made before the preprocessing code changed
    must not be reused (the config alone cannot tell two versions of the code apart).
    """
    digest = hashlib.sha256()
    for source in PREPROCESSING_SOURCES:
        digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()[:16]


def _preprocess_one(
    task: tuple[str, dict[str, object], int | None, int | None],
) -> np.ndarray | None:
    path, config_values, hair_seed, acquisition_seed = task
    config = PreprocessConfig.from_dict(config_values)
    try:
        image = load_image_rgb(Path(path))
    except (OSError, InvalidImageError) as error:
        logger.warning("Skipping unreadable image %s: %s", path, error)
        return None
    if hair_seed is not None:
        image = add_synthetic_hair(image, np.random.default_rng(hair_seed))
    if acquisition_seed is not None:
        image = simulate_acquisition(image, np.random.default_rng(acquisition_seed))
    return preprocess(image, config)


def _per_record(values: Sequence[T] | None, count: int) -> list[T | None]:
    """The given per-record values as a list, or None for each of `count` records."""
    return list(values) if values is not None else [None] * count


def preprocess_records(
    records: Sequence[Record],
    config: PreprocessConfig,
    *,
    hair_seeds: Sequence[int | None] | None = None,
    acquisition_seeds: Sequence[int | None] | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    description: str = "preprocess",
) -> tuple[np.ndarray, np.ndarray]:
    """Preprocess records into an image array, with a progress bar and a disk cache.

    Args:
        records: Images to load.
        config: Preprocessing configuration (the one saved in the model card).
        hair_seeds: Per record, a seed to draw synthetic hair first, or None.
        acquisition_seeds: Per record, a seed to change it as another camera would
            (after the hair), or None.
        workers: Worker processes (default: all cores).
        cache_dir: Where to keep `.npz` caches keyed by content; None disables.
        description: Progress bar label.

    Returns:
        (images uint8 (N, S, S, 3), keep mask bool (len(records),)) where the
        mask is False for images that could not be read.
    """
    hair = _per_record(hair_seeds, len(records))
    acquisition = _per_record(acquisition_seeds, len(records))
    if not len(hair) == len(acquisition) == len(records):
        raise ValueError(
            f"Seeds must match the {len(records)} records. Received: "
            f"{len(hair)} hair and {len(acquisition)} acquisition seeds"
        )
    values = config.to_dict()
    tasks = [
        (str(r.path), values, h, a) for r, h, a in zip(records, hair, acquisition, strict=True)
    ]
    cache_file = None
    if cache_dir is not None:
        keyed = json.dumps([preprocessing_fingerprint(), tasks]).encode()
        key = hashlib.sha256(keyed).hexdigest()[:20]
        cache_file = cache_dir / f"{description}-{key}.npz"
        if cache_file.is_file():
            with np.load(cache_file) as cached:
                return cached["images"], cached["keep"]
    size = config.image_size
    images = np.zeros((len(tasks), size, size, 3), np.uint8)
    keep = np.zeros(len(tasks), bool)
    processes = workers or os.cpu_count() or 1
    if processes == 1:
        fill(images, keep, map(_preprocess_one, tasks), len(tasks), description)
    else:
        # spawn, not fork: the parent may already run TensorFlow or JAX threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            results = pool.map(_preprocess_one, tasks, chunksize=64)
            fill(images, keep, results, len(tasks), description)
    images = images[keep]
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # Written under another name and renamed: a run reading it meanwhile sees all or none.
        partial = cache_file.with_suffix(f".{os.getpid()}.partial.npz")
        np.savez(partial, images=images, keep=keep)
        os.replace(partial, cache_file)
    return images, keep


def fill(
    images: np.ndarray,
    keep: np.ndarray,
    results: Iterable[np.ndarray | None],
    total: int,
    description: str,
) -> None:
    """Copy results into `images`, marking readable ones in `keep`, with a progress bar."""
    for index, result in enumerate(tqdm(results, total=total, desc=description)):
        if result is not None:
            images[index], keep[index] = result, True
