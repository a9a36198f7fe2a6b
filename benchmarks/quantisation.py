# ruff: noqa: I001  (shared_split quiets TensorFlow before it loads)
"""Quantisation measured: float32, float16 and int8 LiteRT files against the Keras model.

Converts the model (default: the shipped one) to LiteRT three ways (float32; float16
weights; int8 post-training quantisation calibrated on the 4 rotations of training-split
photos), runs the validation and test splits through each with the card's test-time
views, and prints per split: melanoma-against-mole ROC AUC (P(melanoma), on the
melanomas and moles) and its change against the Keras float model, the share of photos
whose risk level changes and whose top class changes, the largest logit difference, and
the predict step (one photo, the card's views, p50 over 50 runs) with the file size.
The rule for shipping a quantised file: on both splits ROC AUC moves by <= 0.003 and
at most 1 % of risk levels change. Works for one-logit and eight-class cards.

Usage:
    python benchmarks/quantisation.py [--calibration 128] [--keep DIR] [--json out.json]
        [--limit N]  (at most N photos per source x class and split: a smoke run)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_split import (
    SHIPPED_SPLIT_FILE,
    is_melanoma,
    melanoma_probabilities,
    risk_levels,
    split_records,
    top_classes,
)

import numpy as np
from sklearn.metrics import roc_auc_score

from model.convert import PRECISIONS, write_served_model
from model.loader import load_model
from model.serving import ServedModel
from model.views import averaged_logits, dihedral_views
from model.lesions import MELANOMA, NEVUS
from training.classifier.cache import preprocess_records
from training.classifier.inputs import predict_logits

AUC_TOLERANCE = 0.003
LEVEL_TOLERANCE = 0.01


def step_ms(served: ServedModel, views: np.ndarray, runs: int = 50) -> float:
    """p50 of one forward call over `views` (one photo's test-time views)."""
    for _ in range(3):
        served.forward(views)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        served.forward(views)
        samples.append(1000 * (time.perf_counter() - start))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--split-file", type=Path, default=SHIPPED_SPLIT_FILE)
    parser.add_argument("--calibration", type=int, default=128, help="training photos for int8")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the .tflite files here")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=0, help="photos per source x class (0: all)")
    args = parser.parse_args()

    loaded = load_model(args.model)
    card = loaded.card
    views = card.test_time_views
    splits = {}
    for split in ("val", "test"):
        records, _ = split_records(args.split_file, split, args.limit)
        images, keep = preprocess_records(records, card.preprocessing, workers=2)
        kept = [r for r, k in zip(records, keep, strict=True) if k]
        pair = np.isin([r.label for r in kept], (NEVUS, MELANOMA))
        splits[split] = (images, is_melanoma(kept), pair)
    train, _ = split_records(args.split_file, "train")
    count = min(args.calibration, len(train))
    picked = np.random.default_rng(0).choice(len(train), count, replace=False)
    calibration, _ = preprocess_records([train[i] for i in picked], card.preprocessing, workers=2)
    calibration_views = dihedral_views(calibration, 4)
    print(
        f"model {card.model_version}; int8 calibrated on {len(calibration_views)} views "
        f"({count} training photos x 4 rotations); threads {args.threads}; "
        f"{len(card.classes)} classes"
    )

    reference = {
        split: predict_logits(loaded.model, images, views=views)
        for split, (images, _, _) in splits.items()
    }
    results: dict[str, dict[str, object]] = {}
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="melnev-quant-"))
    workdir.mkdir(parents=True, exist_ok=True)
    one_photo = dihedral_views(splits["test"][0][:1], views)
    for precision in PRECISIONS:
        path = workdir / f"melnev.{precision}.tflite"
        started = time.perf_counter()
        write_served_model(
            loaded.model, path, precision=precision, calibration_images=lambda: calibration_views
        )
        convert_s = time.perf_counter() - started
        served = ServedModel(path, threads=args.threads)
        entry: dict[str, object] = {
            "file_mb": path.stat().st_size / 2**20,
            "convert_s": convert_s,
            "predict_step_ms": step_ms(served, one_photo),
        }
        for split, (images, labels, pair) in splits.items():
            logits = averaged_logits(served.logits, images, views, 32)
            keras_logits = reference[split]
            keras_melanoma = melanoma_probabilities(keras_logits, card)
            float_auc = roc_auc_score(labels[pair], keras_melanoma[pair])
            auc = roc_auc_score(labels[pair], melanoma_probabilities(logits, card)[pair])
            changed = risk_levels(logits, card) != risk_levels(keras_logits, card)
            top_changed = top_classes(logits, card) != top_classes(keras_logits, card)
            entry[split] = {
                "roc_auc": auc,
                "roc_auc_keras": float_auc,
                "auc_change": auc - float_auc,
                "levels_changed": float(changed.mean()),
                "top_class_changed": float(top_changed.mean()),
                "max_logit_diff": float(np.abs(logits - keras_logits).max()),
            }
        entry["passes"] = all(
            abs(entry[s]["auc_change"]) <= AUC_TOLERANCE  # type: ignore[index]
            and entry[s]["levels_changed"] <= LEVEL_TOLERANCE  # type: ignore[index]
            for s in splits
        )
        results[precision] = entry

    print(
        f"{'precision':<9} {'split':<5} {'ROC AUC':>8} {'change':>8} {'levels':>7} "
        f"{'top':>7} {'max |dz|':>9}   predict ms  MB"
    )
    for precision, entry in results.items():
        for split in splits:
            row = entry[split]
            print(
                f"{precision:<9} {split:<5} {row['roc_auc']:>8.4f} {row['auc_change']:>+8.4f} "  # type: ignore[index]
                f"{100 * row['levels_changed']:>6.2f}% {100 * row['top_class_changed']:>6.2f}% "  # type: ignore[index]
                f"{row['max_logit_diff']:>9.4f}   "  # type: ignore[index]
                f"{entry['predict_step_ms']:>8.1f}  {entry['file_mb']:.1f}"
            )
        print(
            f"{precision:<9} rule (|AUC change| <= {AUC_TOLERANCE}, levels <= 1 %): "
            f"{'passes' if entry['passes'] else 'FAILS'}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
