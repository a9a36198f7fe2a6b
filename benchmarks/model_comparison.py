"""Two models on the same photos: melanoma against mole, a candidate against a baseline, paired.

Two models trained on different splits cannot be compared on their own test figures.
This scores both on the same melanoma and mole photos (default: those in the test split
of *both* models' split files), through the served LiteRT files with each card's
preprocessing and test-time views, and uses P(melanoma) / (P(melanoma) + P(mole)) as each
model's score (a one-logit model's calibrated probability;
`model.lesions.melanoma_against_mole`).
Printed per source and for all photos: n, each model's ROC AUC, the paired difference
(candidate minus baseline) with a 95 % bootstrap interval (the same resampled photos for
both, melanomas and moles each resampled within themselves), and each model's served
sensitivity / specificity (melanomas given a moderate or high risk level / moles given
low, by each card's own rule). Then the check the 4.0.0 issue asks for: the candidate's
ROC AUC on the same photos is at least the baseline's. Last, each model's risk levels on
the candidate's test photos of the other kinds (BCC, keratoses, ...), by kind.

The baseline defaults to 3.0.0, the last melanoma-vs-nevus model, taken from git commit
93385f9 (its .keras, LiteRT file, card and split.csv) into a temporary folder. 4.0.0's
split keeps 3.0.0's melanoma and mole lesions where they were, so all of its melanoma
and mole test photos are in both test splits.

Needs the shared data beside the repository.

Usage:
    python benchmarks/model_comparison.py                  # shipped model against 3.0.0
    python benchmarks/model_comparison.py --model runs/shipped-4.0.0/melnev.keras
    python benchmarks/model_comparison.py --baseline runs/model-2.6.0/melnev.keras \\
        --baseline-split training/datasets/splits/split_2_6_0.csv --outside-baseline-train

`--split-file` / `--baseline-split` default to the split.csv beside each model.
`--outside-baseline-train` scores the candidate's test photos that the baseline never
trained on (outside its train split, e.g. BCN20000 for a model trained before it) instead
of the photos in both test splits. `--limit N`: at most N photos per source x class
(smoke runs).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    is_melanoma,
    melanoma_or_nevus,
    melanoma_probabilities,
    model_inputs,
    risk_levels,
    split_records,
)

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.lesions import LESION_CLASSES, MELANOMA, NEVUS  # noqa: E402
from model.loader import SHIPPED_MODEL_PATH, LoadedModel, load_model  # noqa: E402
from model.predictor import Predictor  # noqa: E402
from training.datasets import Record  # noqa: E402
from training.datasets.split import read_split  # noqa: E402

BASELINE_COMMIT = "93385f9"
"""The commit whose model/shipped/ holds 3.0.0, the last melanoma-vs-nevus model."""
BASELINE_FILES = ("melnev.keras", "melnev.tflite", "melnev.card.json", "split.csv")


def paired_auc_difference(
    labels: np.ndarray, first: np.ndarray, second: np.ndarray, draws: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """ROC AUC of `first` minus that of `second`, with a 95 % paired bootstrap interval.

    Each draw resamples the photos (melanomas and moles each within themselves, so both
    are always present) and scores both models on the same resampled photos.
    """
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(labels), np.flatnonzero(~labels)
    differences = []
    for _ in range(draws):
        rows = np.concatenate(
            [rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)]
        )
        differences.append(
            roc_auc_score(labels[rows], first[rows]) - roc_auc_score(labels[rows], second[rows])
        )
    low, high = np.percentile(differences, [2.5, 97.5])
    return roc_auc_score(labels, first) - roc_auc_score(labels, second), float(low), float(high)


def baseline_from_git(commit: str, folder: Path) -> Path:
    """Write model/shipped/'s model files of `commit` into `folder`; return the .keras path."""
    for name in BASELINE_FILES:
        shown = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "show", f"{commit}:model/shipped/{name}"],
            check=True,
            capture_output=True,
        )
        (folder / name).write_bytes(shown.stdout)
    return folder / "melnev.keras"


def beside(model_path: Path, given: Path | None) -> Path:
    """The split file given, else the split.csv beside the model."""
    path = given or model_path.parent / "split.csv"
    if not path.is_file():
        raise SystemExit(f"no split file {path}: pass it with --split-file / --baseline-split")
    return path


def print_other_kinds(
    pool: ProcessPoolExecutor, records: list[Record], models: dict[str, LoadedModel]
) -> None:
    """Each model's risk levels on the test photos of the kinds besides melanoma and mole.

    A melanoma-vs-mole model was never trained on them; the shares show what it told
    people who sent such a spot.
    """
    names = np.array([LESION_CLASSES[r.label] for r in records])
    print(f"risk levels on the other kinds' {len(records)} test photos (low / moderate / high):")
    for name, loaded in models.items():
        images = model_inputs(pool, records, loaded.card.preprocessing)
        levels = risk_levels(Predictor(loaded).logits(images), loaded.card)
        cells = []
        for kind in sorted(set(names), key=LESION_CLASSES.index):
            shares = [np.mean(levels[names == kind] == level) for level in (0, 1, 2)]
            cells.append(f"{kind} " + "/".join(f"{100 * share:.0f}" for share in shares))
        print(f"  {name} {loaded.card.model_version}: " + ", ".join(cells) + " %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="candidate (default: shipped)")
    parser.add_argument("--split-file", type=Path, default=None, help="the candidate's split")
    parser.add_argument(
        "--baseline", type=Path, default=None, help=f"default: 3.0.0 from git {BASELINE_COMMIT}"
    )
    parser.add_argument("--baseline-split", type=Path, default=None, help="the baseline's split")
    parser.add_argument("--outside-baseline-train", action="store_true")
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap draws")
    parser.add_argument("--limit", type=int, default=0, help="photos per source x class (0: all)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="melnev-baseline-") as workdir:
        candidate_path = arguments.model or SHIPPED_MODEL_PATH
        baseline_path = arguments.baseline or baseline_from_git(BASELINE_COMMIT, Path(workdir))
        candidate_split = beside(candidate_path, arguments.split_file)
        baseline_split = read_split(beside(baseline_path, arguments.baseline_split))
        tested, _ = split_records(candidate_split, "test", arguments.limit)
        tested = melanoma_or_nevus(tested)
        if arguments.outside_baseline_train:
            rule = "the candidate's test photos outside the baseline's train split"
            records = [r for r in tested if baseline_split.get(r.image_id) != "train"]
        else:
            rule = "photos in both models' test splits"
            records = [r for r in tested if baseline_split.get(r.image_id) == "test"]
        if not records:
            raise SystemExit("no melanoma or mole photo is in both test splits")
        models = {"candidate": load_model(candidate_path), "baseline": load_model(baseline_path)}
        scores, flagged = {}, {}
        with ProcessPoolExecutor() as pool:
            for name, loaded in models.items():
                images = model_inputs(pool, records, loaded.card.preprocessing)
                predictor = Predictor(loaded)
                logits = predictor.logits(images)
                scores[name] = melanoma_probabilities(logits, loaded.card)
                flagged[name] = risk_levels(logits, loaded.card) > 0
                print(
                    f"{name}: {loaded.card.model_version} ({len(loaded.card.classes)} classes, "
                    f"{predictor.runtime}, {loaded.card.test_time_views} views) {loaded.path}"
                )
            others = [r for r in split_records(candidate_split, "test", arguments.limit)[0]
                      if r.label not in (MELANOMA, NEVUS)]  # fmt: skip
            if others:
                print_other_kinds(pool, others, models)
    versions = {name: loaded.card.model_version for name, loaded in models.items()}
    print(
        f"{len(records)} melanoma and mole photos: {rule} "
        f"({len(tested)} in the candidate's test split, {candidate_split.name})"
    )
    labels = is_melanoma(records)
    sources = np.array([r.source for r in records])
    candidate, baseline = versions["candidate"], versions["baseline"]
    print(
        f"{'source':<10} {'n':>5} {'mel':>4} {'AUC ' + candidate:>11} {'AUC ' + baseline:>11} "
        f"{'difference (95 % CI)':>26} {'sens/spec ' + candidate:>17} "
        f"{'sens/spec ' + baseline:>17}"
    )
    overall = (0.0, 0.0, 0.0)
    for source in [*sorted(set(sources)), "all"]:
        rows = np.ones(len(records), bool) if source == "all" else sources == source
        y = labels[rows]
        if y.all() or not y.any():
            print(f"{source:<10} {int(rows.sum()):>5} {int(y.sum()):>4}  (one class only)")
            continue
        first, second = scores["candidate"][rows], scores["baseline"][rows]
        difference, low, high = paired_auc_difference(y, first, second, arguments.draws)
        if source == "all":
            overall = (difference, low, high)
        screening = [
            f"{flagged[name][rows][y].mean():.3f}/{(~flagged[name][rows][~y]).mean():.3f}"
            for name in ("candidate", "baseline")
        ]
        print(
            f"{source:<10} {int(rows.sum()):>5} {int(y.sum()):>4} "
            f"{roc_auc_score(y, first):>11.3f} {roc_auc_score(y, second):>11.3f} "
            f"{difference:>+10.3f} ({low:+.3f} to {high:+.3f}) "
            f"{screening[0]:>17} {screening[1]:>17}"
        )
    difference, low, high = overall
    print(
        f"check: {candidate}'s melanoma-against-mole ROC AUC on the same photos is at least "
        f"{baseline}'s: {'met' if difference >= 0 else 'NOT met'} ({difference:+.3f}, 95 % CI "
        f"{low:+.3f} to {high:+.3f}; "
        f"{'a drop is ruled out' if low >= 0 else 'the interval includes a drop'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
