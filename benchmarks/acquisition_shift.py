"""How much do camera, colour and resolution changes move the model's answers?

The external test set comes from other clinics and devices. This benchmark imitates
the ways their photos differ, on the test split: every photo is changed *before*
the card's `preprocess()` (as a different camera would have taken it) and answered
again. Printed per change, next to the photos as sent: melanoma-against-mole ROC AUC
(P(melanoma), on the melanomas and moles), malignant-against-benign ROC AUC (the card's
malignant score, on every photo), the mean absolute change of P(melanoma), the share of
photos whose risk level changes and whose top class changes, and the mean P(melanoma)
of the moles and of the melanomas (a change that raises the first raises false alarms;
one that lowers the second misses melanomas). One change is a clinic's: surgical-marker
ink drawn around the lesion. Works for one-logit and eight-class cards.

Needs the shared dermoscopy data beside the repository.

Usage:
    python benchmarks/acquisition_shift.py [--model PATH] [--split-file CSV] [--split test]
        [--only closer JPEG ...]  (changes whose names contain these words)
        [--compare PATH]  (a second model answered on the same photos; rows alternate)
        [--limit N]  (at most N photos per source x class: a smoke run)

With `--compare`, rows are named by each model file's folder, and the photos scored must
be outside the second model's training and validation photos (its folder's split.csv,
when there is one).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    is_melanoma,
    load_model_and_records,
    melanoma_probabilities,
    parse_arguments,
    probabilities,
    risk_levels,
    top_classes,
)

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.lesions import MALIGNANT, MELANOMA, NEVUS, malignant_scores  # noqa: E402
from model.loader import load_model  # noqa: E402
from preprocessing.geometry import shrink_to  # noqa: E402
from preprocessing.pipeline import PreprocessConfig, preprocess  # noqa: E402
from training.classifier.acquisition import (  # noqa: E402
    add_noise,
    add_skin_marking,
    blur,
    jpeg,
    scale_channels,
)
from training.datasets import LABEL_NAMES, Record, load_image_rgb  # noqa: E402
from training.classifier.inputs import predict_logits  # noqa: E402
from training.datasets.split import read_split  # noqa: E402


def zoom_in(image: np.ndarray, fraction: float) -> np.ndarray:
    """Keep the centred `fraction` of each side (the lesion photographed closer)."""
    height, width = image.shape[:2]
    top, left = round(height * (1 - fraction) / 2), round(width * (1 - fraction) / 2)
    return image[top : height - top, left : width - left]


def content_rng(image: np.ndarray) -> np.random.Generator:
    """A generator seeded by the image's content, so reruns draw the same changes."""
    return np.random.default_rng(int(image[::7, ::7].sum()))


def gaussian_noise(image: np.ndarray, sigma: float) -> np.ndarray:
    """Add sensor noise."""
    return add_noise(image, sigma, content_rng(image))


SHIFTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as sent": lambda image: image,
    "low resolution (short side 64 px)": lambda image: shrink_to(image, 64),
    "JPEG quality 15": lambda image: jpeg(image, 15),
    "blurred (Gaussian sigma 2 px)": lambda image: blur(image, 2.0),
    "sensor noise (sigma 10)": lambda image: gaussian_noise(image, 10.0),
    "warm white balance (R x1.2, B x0.8)": lambda image: scale_channels(image, (1.2, 1.0, 0.8)),
    "cool white balance (R x0.8, B x1.2)": lambda image: scale_channels(image, (0.8, 1.0, 1.2)),
    "under-exposed (x0.6)": lambda image: scale_channels(image, (0.6, 0.6, 0.6)),
    "over-exposed (x1.4)": lambda image: scale_channels(image, (1.4, 1.4, 1.4)),
    "closer (centre 70 %)": lambda image: zoom_in(image, 0.7),
    # Clinics ink the lesions they will excise: a model must not read ink as melanoma.
    "skin marking (violet ink)": lambda image: add_skin_marking(image, content_rng(image)),
}


def shifted_input(task: tuple[Path, str, PreprocessConfig]) -> np.ndarray:
    """Load one photo, apply the named change, and preprocess it as the card says."""
    path, shift, config = task
    return preprocess(SHIFTS[shift](load_image_rgb(path)), config)


def auc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC, NaN when only one class is present."""
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < labels.size else np.nan


def check_unseen(model_path: Path, records: list[Record]) -> None:
    """Refuse to score a compared model on photos it was trained or validated on."""
    split_file = model_path.parent / "split.csv"
    if not split_file.is_file():
        return
    assignment = read_split(split_file)
    seen = [r.image_id for r in records if assignment.get(r.image_id, "test") != "test"]
    if seen:
        raise SystemExit(f"{model_path}: {len(seen)} of these photos are in its train/val split")


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    loaded, records, _ = load_model_and_records(arguments)
    first_name = arguments.model.parent.name if arguments.model else "shipped"
    models = {first_name: loaded}
    if arguments.compare:
        check_unseen(arguments.compare, records)
        compared_name = arguments.compare.parent.name
        if compared_name == first_name:  # two rows per change must stay apart
            compared_name += " (2)"
        models[compared_name] = load_model(arguments.compare)
    chosen = [
        name for name in SHIFTS if not arguments.only or any(o in name for o in arguments.only)
    ]
    labels = is_melanoma(records)
    pair = np.isin([r.label for r in records], (NEVUS, MELANOMA))
    malignant = np.array([LABEL_NAMES[r.label] in MALIGNANT for r in records])
    print(
        f"{len(records)} photos: {int(pair.sum())} melanomas and moles "
        f"({int(labels.sum())} melanomas), {int(malignant.sum())} malignant"
    )
    name_width = max(5, *map(len, models))
    columns = (
        f"{'AUC mel/mole':>12} {'malignant':>9} {'mean |dp|':>10} {'level changes':>14} "
        f"{'top changes':>12} {'mean p: moles':>14} {'melanomas':>10}"
    )
    print(f"{'change':<38} {'model':>{name_width}} {columns}")
    baselines: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    with ProcessPoolExecutor() as pool:
        for shift in ["as sent", *[name for name in chosen if name != "as sent"]]:
            # Preprocessed once per preprocessing config (a frozen, hashable dataclass).
            inputs: dict[PreprocessConfig, np.ndarray] = {}
            for name, model in models.items():
                card = model.card
                if card.preprocessing not in inputs:
                    tasks = [(r.path, shift, card.preprocessing) for r in records]
                    inputs[card.preprocessing] = np.stack(
                        list(pool.map(shifted_input, tasks, chunksize=16))
                    )
                logits = predict_logits(
                    model.model,
                    inputs[card.preprocessing],
                    batch_size=64,
                    views=card.test_time_views,
                )
                melanoma = melanoma_probabilities(logits, card)
                levels, top = risk_levels(logits, card), top_classes(logits, card)
                baseline = baselines.setdefault(name, (melanoma, levels, top))
                moved = np.abs(melanoma - baseline[0]).mean()
                changed = np.mean(levels != baseline[1])
                top_changed = np.mean(top != baseline[2])
                auc = auc_or_nan(labels[pair], melanoma[pair])
                malignant_auc = auc_or_nan(
                    malignant, malignant_scores(probabilities(logits, card), card.classes)
                )
                print(
                    f"{shift:<38} {name:>{name_width}} {auc:>12.3f} {malignant_auc:>9.3f} "
                    f"{moved:>10.3f} {changed:>14.3f} {top_changed:>12.3f} "
                    f"{melanoma[pair & ~labels].mean():>14.3f} {melanoma[labels].mean():>10.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
