"""Two models on the same photos: the shipped one against an earlier one, per source.

Two models trained on different splits cannot be compared on their own test figures.
This scores both on the shipped test split's photos that the earlier model never
trained on (outside the train split of its own split file; BCN20000 is outside every
split of a model trained before it), through the served LiteRT files, and prints per
source: n, each model's ROC AUC, the paired difference with a 95 % bootstrap interval
(the same resampled photos for both), and each model's sensitivity / specificity at its
own screening threshold.

Needs the shared data beside the repository.

Usage:
    python benchmarks/model_comparison.py --compare runs/model-2.6.0/melnev.keras \\
        --compare-split training/datasets/splits/split_2_6_0.csv
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import SHIPPED_SPLIT_FILE, model_inputs, split_records  # noqa: E402, I001

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.loader import load_model  # noqa: E402
from model.predictor import Predictor, calibrate  # noqa: E402
from training.datasets import MELANOMA  # noqa: E402
from training.datasets.split import read_split  # noqa: E402

BOOTSTRAP_DRAWS = 1000


def paired_auc_difference(
    labels: np.ndarray, first: np.ndarray, second: np.ndarray, seed: int = 0
) -> tuple[float, float, float]:
    """ROC AUC of `first` minus that of `second`, with a 95 % paired bootstrap interval."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(labels), np.flatnonzero(~labels)
    draws = []
    for _ in range(BOOTSTRAP_DRAWS):
        rows = np.concatenate(
            [rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        )
        draws.append(
            roc_auc_score(labels[rows], first[rows]) - roc_auc_score(labels[rows], second[rows])
        )
    low, high = np.percentile(draws, [2.5, 97.5])
    return roc_auc_score(labels, first) - roc_auc_score(labels, second), float(low), float(high)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--split-file", type=Path, default=SHIPPED_SPLIT_FILE)
    parser.add_argument("--compare", type=Path, required=True, help="the earlier model")
    parser.add_argument("--compare-split", type=Path, required=True, help="its split.csv")
    arguments = parser.parse_args()
    records, _ = split_records(arguments.split_file, "test")
    earlier_split = read_split(arguments.compare_split)
    records = [r for r in records if earlier_split.get(r.image_id) != "train"]
    models = {"shipped": load_model(arguments.model), "earlier": load_model(arguments.compare)}
    answers = {}
    with ProcessPoolExecutor() as pool:
        for name, loaded in models.items():
            images = model_inputs(pool, records, loaded.card.preprocessing)
            logits = Predictor(loaded).logits(images).ravel()
            answers[name] = calibrate(logits, loaded.card.calibration).ravel()
    versions = {name: loaded.card.model_version for name, loaded in models.items()}
    print(
        f"{len(records)} photos of the shipped test split outside the train split of "
        f"{versions['earlier']}; shipped {versions['shipped']}"
    )
    labels = np.array([r.label == MELANOMA for r in records])
    sources = np.array([r.source for r in records])
    print(
        f"{'source':<10} {'n':>5} {'mel':>4} {'AUC ' + versions['shipped']:>11} "
        f"{'AUC ' + versions['earlier']:>11} {'difference (95 % CI)':>26} "
        f"{'sens/spec ' + versions['shipped']:>17} {'sens/spec ' + versions['earlier']:>17}"
    )
    for source in [*sorted(set(sources)), "all"]:
        rows = np.ones(len(records), bool) if source == "all" else sources == source
        y = labels[rows]
        shipped, earlier = answers["shipped"][rows], answers["earlier"][rows]
        difference, low, high = paired_auc_difference(y, shipped, earlier)
        screening = []
        for name, scores in (("shipped", shipped), ("earlier", earlier)):
            flagged = scores >= models[name].card.thresholds.screening
            screening.append(f"{flagged[y].mean():.3f}/{(~flagged[~y]).mean():.3f}")
        print(
            f"{source:<10} {int(rows.sum()):>5} {int(y.sum()):>4} "
            f"{roc_auc_score(y, shipped):>11.3f} {roc_auc_score(y, earlier):>11.3f} "
            f"{difference:>+10.3f} ({low:+.3f} to {high:+.3f}) "
            f"{screening[0]:>17} {screening[1]:>17}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
