# ruff: noqa: I001  (the environment must be set before anything loads TensorFlow)
"""What the benchmarks on the shared dermoscopy data have in common.

Imported by the benchmark scripts after they put the repository on `sys.path`.
`MELNEV_SHARED_DATA` points at another dermoscopy folder (default: `../shared/data/dermoscopy`
beside the repository, with `bcn20000` and `lesions` beside it).

Answers work for both kinds of model card: one logit (melanoma against nevus, before 4.0.0)
and one logit per class. `class_probabilities` gives (N, K) probabilities in the card's
class order either way (one logit: [P(nevus), P(melanoma)]), the melanoma score is
P(melanoma), and the risk level is `model.lesions.risk_levels` with the card's classes.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np

from model import lesions
from model.card import ModelCard
from model.loader import LoadedModel, load_model
from model.predictor import RiskLevel, class_probabilities
from preprocessing.pipeline import PreprocessConfig, preprocess
from training.datasets import LABEL_NAMES, MELANOMA, NEVUS, Record, load_image_rgb, read_datasets
from training.datasets.split import limit_records, read_split


REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(
    os.environ.get("MELNEV_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "dermoscopy")
)
SHIPPED_DATA = (SHARED_DATA, SHARED_DATA.parent / "bcn20000", SHARED_DATA.parent / "lesions")
"""The folders the shipped model was trained on, in the order of its command (a split file
of a melanoma-vs-nevus model lists no `lesions` photos, so they are left out for it)."""
EXAMPLES = REPO_ROOT / "examples"
"""Real example photos shipped with the repository (`examples/README.md`)."""

SHIPPED_SPLIT_FILE = REPO_ROOT / "model" / "shipped" / "split.csv"
"""The shipped model's split, every benchmark's default `--split-file`."""

LEVELS = tuple(level.value for level in RiskLevel)
"""Risk levels in order: `risk_levels` returns their index (0 low, 1 moderate, 2 high)."""


def parse_arguments(description: str) -> argparse.Namespace:
    """Parse `--model`, `--split-file` and `--split` (default: the shipped model's test split).

    Args:
        description: The benchmark's one-line description, for `--help`.

    Returns:
        The parsed flags.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--split-file", type=Path, default=SHIPPED_SPLIT_FILE)
    parser.add_argument("--split", default="test", help="'all': every image in the split file")
    parser.add_argument(
        "--only", nargs="*", default=[], help="benchmarks with variants: run those named so"
    )
    parser.add_argument(
        "--compare", type=Path, default=None, help="acquisition_shift: a second model, side by side"
    )
    parser.add_argument(
        "--limit", type=int, default=0, help="at most this many photos per source x class (0: all)"
    )
    return parser.parse_args()


def split_records(
    split_file: Path, split: str, limit: int = 0
) -> tuple[list[Record], dict[str, str]]:
    """Return the shared images of one split of a split file.

    Reads every shared folder the shipped model was trained on that is present
    (dermoscopy, and BCN20000 beside it); images of an absent folder are left out.

    Args:
        split_file: A `split.csv` written by a training run.
        split: "train", "val", "test", or "all" for every image in the file.
        limit: Keep at most this many photos per source x class (seeded; 0: all), for
            smoke runs.

    Returns:
        The records of the split in dataset order, and the split file's assignment
        (image id -> "train", "val" or "test").

    Raises:
        SystemExit: When the shared data is not beside the repository.
    """
    if not (SHARED_DATA / "labels.csv").is_file():
        raise SystemExit(f"shared data not found at {SHARED_DATA}: nothing to measure")
    assignment = read_split(split_file)
    records = [
        r
        for r in read_datasets([f for f in SHIPPED_DATA if (f / "labels.csv").is_file()]).records
        if r.image_id in assignment and split in ("all", assignment[r.image_id])
    ]
    if limit:
        records = limit_records(records, limit, seed=0)
    return records, assignment


def load_model_and_records(
    arguments: argparse.Namespace,
) -> tuple[LoadedModel, list[Record], dict[str, str]]:
    """Load the model and the shared images of the chosen split.

    Args:
        arguments: Flags from `parse_arguments` (`--split all`: every image in the file;
            `--limit`: at most that many photos per source x class).

    Returns:
        The model with its card, the records of the split in dataset order, and
        the split file's assignment (image id -> "train", "val" or "test").

    Raises:
        SystemExit: When the shared data is not beside the repository.
    """
    records, assignment = split_records(arguments.split_file, arguments.split, arguments.limit)
    return load_model(arguments.model), records, assignment


def melanoma_or_nevus(records: Sequence[Record]) -> list[Record]:
    """The melanomas and moles among `records` (for melanoma-against-mole questions)."""
    return [r for r in records if r.label in (NEVUS, MELANOMA)]


def is_melanoma(records: Sequence[Record]) -> np.ndarray:
    """Whether each record is a melanoma, as a bool array."""
    return np.array([r.label == MELANOMA for r in records], dtype=bool)


def true_classes(records: Sequence[Record]) -> np.ndarray:
    """Each record's class name (`model.lesions.LESION_CLASSES`)."""
    return np.array([LABEL_NAMES[r.label] for r in records], dtype=object)


def probabilities(logits: np.ndarray, card: ModelCard) -> np.ndarray:
    """Calibrated (N, K) class probabilities in `card.classes` order.

    Args:
        logits: (N,) for a one-logit card, (N, K) for one logit per class (as
            `Predictor.logits` and `predict_logits` return them).
        card: The model's card.
    """
    return class_probabilities(logits, card.calibration)


def melanoma_probabilities(logits: np.ndarray, card: ModelCard) -> np.ndarray:
    """P(melanoma) / (P(melanoma) + P(nevus)) of every photo, (N,): the melanoma-against-mole
    score of any card (`model.lesions.melanoma_against_mole`; P(melanoma) for one logit)."""
    return lesions.melanoma_against_mole(probabilities(logits, card), card.classes)


def top_classes(logits: np.ndarray, card: ModelCard) -> np.ndarray:
    """The most likely class name of every photo, (N,) (a one-logit card: nevus or melanoma)."""
    return np.array(card.classes, dtype=object)[np.argmax(probabilities(logits, card), axis=1)]


def risk_levels(logits: np.ndarray, card: ModelCard) -> np.ndarray:
    """The served risk level of every photo as 0 (low), 1 (moderate) or 2 (high), (N,).

    The rule of `model.lesions.risk_levels` on the card's classes and thresholds (for a
    one-logit card: P(melanoma) against both thresholds, as before 4.0.0).
    """
    names = lesions.risk_levels(
        probabilities(logits, card),
        card.classes,
        screening=card.thresholds.screening,
        balanced=card.thresholds.balanced,
    )
    return np.array([LEVELS.index(name) for name in names], dtype=int)


Change = Callable[[np.ndarray], np.ndarray]


def _model_input(task: tuple[Path, PreprocessConfig, Change | None]) -> np.ndarray:
    path, config, change = task
    image = load_image_rgb(path)
    return preprocess(change(image) if change else image, config)


def model_inputs(
    pool: Executor,
    records: Sequence[Record],
    config: PreprocessConfig,
    change: Change | None = None,
) -> np.ndarray:
    """Every record's photo, changed by `change` before `preprocess()`, as one uint8 batch.

    Args:
        pool: Where the photos are loaded and preprocessed (`change` must be picklable
            for a process pool: a module-level function or a `functools.partial` of one).
        records: The photos, in order.
        config: The card's preprocessing.
        change: What to do to each decoded photo first (None: nothing).
    """
    tasks = [(r.path, config, change) for r in records]
    return np.stack(list(pool.map(_model_input, tasks, chunksize=16)))
