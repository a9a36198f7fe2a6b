"""Evaluate a model (with its card) on any labelled set, per source.

Usage:
    melnev evaluate --data ../shared/data/dermoscopy --split-file runs/shipped/split.csv \\
        --split test --out runs/shipped/evaluation
    melnev evaluate --data path/to/HAM10000 --model model/shipped/melnev.keras
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from model.lesions import LESION_CLASSES, MELANOMA, NEVUS, malignant_scores
from model.loader import load_model
from model.predictor import class_probabilities
from model.views import check_views
from training.classifier.cache import preprocess_records
from training.classifier.confirmation import metrics_by_nevus_confirmation
from training.classifier.inputs import predict_logits
from training.datasets import LAYOUTS, read_datasets
from training.datasets.split import read_split
from training.evaluation.lesion_figures import save_lesion_figures
from training.evaluation.lesion_metrics import lesion_metrics_by_source

logger = logging.getLogger(__name__)


def _views(text: str) -> int:
    try:
        return check_views(int(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    """Return the `melnev evaluate` argument parser."""
    parser = argparse.ArgumentParser(prog="melnev evaluate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        action="extend",
        required=True,
        help="labelled image set(s): --data A --data B (or --data A B)",
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="auto")
    parser.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    parser.add_argument("--split-file", type=Path, default=None, help="split.csv of a training run")
    parser.add_argument("--split", default="test", help="which split of --split-file to use")
    parser.add_argument("--out", type=Path, default=Path("runs/evaluation"))
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--test-time-views",
        type=_views,
        default=None,
        help="flips/rotations averaged per image (default: the card's; its calibration "
        "was fitted for that number)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate and write metrics.json plus PNG figures; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    loaded = load_model(args.model)
    card = loaded.card
    report = read_datasets(args.data, args.layout)
    records = report.records
    if args.split_file is not None:
        assignment = read_split(args.split_file)
        records = [r for r in records if assignment.get(r.image_id) == args.split]
    if not records:
        logger.error("No labelled images to evaluate in %s", ", ".join(map(str, args.data)))
        return 1
    images, keep = preprocess_records(
        records, card.preprocessing, workers=args.workers or os.cpu_count(), description="evaluate"
    )
    records = [r for r, k in zip(records, keep, strict=True) if k]
    unknown = {LESION_CLASSES[r.label] for r in records} - set(card.classes)
    if unknown:
        logger.error("The model has no class %s; leave those images out", sorted(unknown))
        return 1
    labels = np.array([card.classes.index(LESION_CLASSES[r.label]) for r in records])
    sources = [r.source for r in records]
    views = card.test_time_views if args.test_time_views is None else args.test_time_views
    logits = predict_logits(loaded.model, images, views=views)
    probabilities = class_probabilities(logits, card.calibration)
    metrics = lesion_metrics_by_source(
        labels, probabilities, card.classes, card.thresholds, sources
    )
    moles_and_melanomas = np.array([r.label in (MELANOMA, NEVUS) for r in records])
    malignant = malignant_scores(probabilities, card.classes)
    result = {
        "model_version": card.model_version,
        "data": report.summary(),
        "split": args.split if args.split_file else "all",
        "test_time_views": views,
        "metrics": metrics,
        # Melanomas against each kind of mole (followed up, excised, ...), where recorded;
        # scored by the malignant score the screening threshold applies to.
        "by_nevus_confirmation": metrics_by_nevus_confirmation(
            [
                r.label == MELANOMA
                for r, keep in zip(records, moles_and_melanomas, strict=True)
                if keep
            ],
            malignant[moles_and_melanomas].clip(0.0, 1.0),
            [s for s, keep in zip(sources, moles_and_melanomas, strict=True) if keep],
            [r.confirmation for r, keep in zip(records, moles_and_melanomas, strict=True) if keep],
            card.thresholds,
        ),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    save_lesion_figures(metrics["overall"], card.classes, args.out)
    print(json.dumps(metrics["overall"], indent=2))
    logger.info("Metrics and figures written to %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
