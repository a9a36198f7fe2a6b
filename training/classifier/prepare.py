"""The first two stages of a training run: the data and its split, then the arrays.

`read_and_split` reads the folders and assigns lesions to splits; `preprocess_splits` draws
the training copies and runs every split through the same `preprocess()` as serving, once,
into cached uint8 arrays.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from collections.abc import Sequence

import numpy as np

from preprocessing.pipeline import PreprocessConfig
from training.classifier.cache import preprocess_records
from training.classifier.config import TrainConfig
from training.classifier.confirmation import without_nevus_confirmations
from training.classifier.copies import with_training_copies
from training.datasets import DatasetReport, Record, read_datasets
from training.datasets.split import (
    assign_splits,
    limit_records,
    read_split,
    records_by_split,
    split_summary,
    write_split,
)

logger = logging.getLogger(__name__)
Arrays = dict[str, tuple[np.ndarray, list[Record]]]
"""Split name -> (preprocessed images, their records): train, val, test, held_out."""


@dataclasses.dataclass
class Data:
    """What the data stage read and how it split it."""

    report: DatasetReport
    records: list[Record]
    assignment: dict[str, str]
    by_split: dict[str, list[Record]]


def read_and_split(config: TrainConfig) -> Data:
    """Data stage: read the folders, assign lesions to splits, write `split.csv`."""
    report = read_datasets(config.data, config.layout)
    logger.info("Dataset: %s", json.dumps(report.summary()))
    records = report.records
    if config.limit:
        records = limit_records(records, config.limit, config.seed)
    if config.split_file is not None:
        assignment = read_split(config.split_file)
        records = [r for r in records if r.image_id in assignment]
    else:
        fixed = read_split(config.extends_split) if config.extends_split else None
        assignment = assign_splits(records, seed=config.seed, fixed=fixed)
    write_split(config.out / "split.csv", records, assignment)
    logger.info("Split: %s", json.dumps(split_summary(records, assignment)))
    by_split = records_by_split(records, assignment, config.train_sources)
    return Data(report, records, assignment, by_split)


def preprocess_splits(config: TrainConfig, data: Data, preprocessing: PreprocessConfig) -> Arrays:
    """Arrays stage: training copies drawn, every split preprocessed once (and cached)."""
    trained_on = without_nevus_confirmations(
        data.by_split["train"], config.exclude_nevus_confirmations
    )
    if len(trained_on) < len(data.by_split["train"]):
        logger.info("Left out of training: %d moles", len(data.by_split["train"]) - len(trained_on))
    copies = with_training_copies(
        trained_on,
        hair_copies=config.hair_copies,
        acquisition_copies=config.acquisition_copies,
        seed=config.seed,
    )
    cache_dir = config.cache_dir if config.cache_dir and str(config.cache_dir) != "." else None
    prepare = functools.partial(
        preprocess_records,
        config=preprocessing,
        cache_dir=cache_dir,
        workers=config.workers or os.cpu_count() or 1,
    )
    images, keep = prepare(
        copies.records,
        hair_seeds=copies.hair_seeds,
        acquisition_seeds=copies.acquisition_seeds,
        description="train",
    )
    arrays: Arrays = {"train": (images, _kept(copies.records, keep))}
    for name in ("val", "test", "held_out"):
        if data.by_split[name]:
            images, keep = prepare(data.by_split[name], description=name)
            arrays[name] = (images, _kept(data.by_split[name], keep))
    return arrays


def _kept(records: Sequence[Record], keep: np.ndarray) -> list[Record]:
    return [record for record, kept in zip(records, keep, strict=True) if kept]
