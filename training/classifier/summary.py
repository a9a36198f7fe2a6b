"""What a training run records about itself in the model card."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from training.classifier.config import TrainConfig
from training.datasets import DatasetReport, Record
from training.datasets.split import split_summary

LIMITATIONS = [
    "Not a diagnosis and not a medical device: a statistical estimate from one photo.",
    "Trained only on dermoscopic images (HAM10000, ISIC 2017, BCN20000) of mostly light "
    "skin; phone photos and dark skin are outside the training data.",
    "Eight kinds only (the ISIC 2019 classes: nevus, melanoma, basal cell carcinoma, benign "
    "keratosis, actinic keratosis, squamous cell carcinoma, dermatofibroma, vascular "
    "lesion): anything else (rashes, warts, cysts, scars) is forced into one of them.",
    "Class probabilities are calibrated for photos in which the eight kinds are equally "
    "common (as in training): among real photos moles are far more common.",
    "Basal cell carcinomas, actinic keratoses and squamous cell carcinomas come mostly from "
    "one hospital's 84 px images (BCN20000).",
    "Training data licensed CC BY-NC 4.0: non-commercial use only.",
]


REPO_ROOT = Path(__file__).resolve().parents[2]


def plain_value(value: Any) -> Any:
    """A config value as JSON: paths as strings (the repository's own relative to its
    root, so cards agree across machines); one data folder as it always was."""
    if isinstance(value, Path):
        return str(value.relative_to(REPO_ROOT)) if value.is_relative_to(REPO_ROOT) else str(value)
    if isinstance(value, tuple) and value and all(isinstance(v, Path) for v in value):
        return str(value[0]) if len(value) == 1 else [str(v) for v in value]
    return value


def run_summary(
    config: TrainConfig,
    argv: Sequence[str],
    *,
    duration: float,
    history: dict[str, list[float]],
    report: DatasetReport,
    records: Sequence[Record],
    assignment: dict[str, str],
    training_images: int,
) -> dict[str, Any]:
    """Return the card's `training` entry: command, config, seed, timing, data and split.

    Args:
        config: The run's configuration.
        argv: Its command-line arguments after `melnev train`.
        duration: Wall-clock seconds of the whole run.
        history: `model.fit`'s history (`loss`, `val_auc`, ...).
        report: The dataset as read.
        records: Every record the split assigns.
        assignment: image id -> "train", "val" or "test".
        training_images: Training images after copies were added.
    """
    return {
        "command": "melnev train " + " ".join(argv),
        "config": {
            k: plain_value(v)
            for k, v in dataclasses.asdict(config).items()
            if k != "cache_dir"  # where a cache lives does not change the model
        },
        "seed": config.seed,
        "duration_seconds": round(duration, 1),
        "epochs_run": len(history["loss"]),
        "best_val_auc": float(max(history["val_auc"])),
        "backend": keras.backend.backend(),
        "cpu_count": os.cpu_count(),
        "data": report.summary(),
        "split": split_summary(records, assignment),
        "train_sources": list(config.train_sources) or "all",
        "training_images_with_copies": training_images,
    }
