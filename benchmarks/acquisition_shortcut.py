"""Can HAM10000's followed-up moles be told from its excised ones without the mole?

HAM10000's followed-up moles come from one centre's digital follow-up, its excised
moles and melanomas mostly from other practices. If their photos differ in acquisition
(camera, colour, sharpness, framing), a model can separate melanomas from watched moles
by the photo rather than the lesion, and the 0.995 it scores there overstates what it
would do elsewhere. Two probes, on the photos exactly as the model sees them
(`preprocess()` with the model card's settings):

1. **Corners only.** Colour and texture statistics of the four corner patches (the
   part of the frame farthest from the lesion) feed a logistic regression, scored by
   5-fold cross-validation grouped by lesion on every HAM10000 photo of the split
   file: ROC AUC for followed-up vs excised moles, melanomas vs each.
2. **The model with the lesion covered.** The central disc (the centre 40 % of the
   side as radius, about half the frame) is painted with the mean colour of the rest,
   and the model answers again on the chosen split: how well it still ranks melanomas
   above each kind of mole when it cannot see the lesion.
3. **Melanomas and excised moles recoloured like a followed-up mole** (the colours of a
   random followed-up training mole, `training.recolour.transfer_colour`), then also
   JPEG-compressed at quality 60, the followed-up moles as sent: how much of what the
   model keys on is the follow-up centre's colours and compression. Meant for a model
   trained with those moles, e.g. 2.4.0 (`git show 6999f82:model/shipped/melnev.keras`,
   and its `melnev.card.json`, into one folder).
4. **Their amplitude spectrum swapped with a followed-up mole's** (phase kept,
   `training.amplitude.mix_amplitude` at weight 1): the whole spectrum, and, after the
   recolouring, only above 0.03 cycles per pixel as `--amplitude-share` mixes it: how much
   of the rest is sharpness, noise and compression rather than the scene.

Usage:
    python benchmarks/acquisition_shortcut.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments  # noqa: E402, I001

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from preprocessing.pipeline import PreprocessConfig, preprocess  # noqa: E402
from training.acquisition import jpeg  # noqa: E402
from training.amplitude import mix_amplitude  # noqa: E402
from training.cache import preprocess_records  # noqa: E402
from training.data import EXCISED, FOLLOW_UP, MELANOMA, Record, load_image_rgb  # noqa: E402
from training.inputs import predict_logits  # noqa: E402
from training.metrics import bootstrap_auc  # noqa: E402
from training.recolour import transfer_colour  # noqa: E402

PATCH_FRACTION = 0.125  # corner patches: 24 px of a 192 px input
COVER_RADIUS = 0.4  # of the side: the covered disc holds about half the frame
TASKS = {  # (positive group, negative group)
    "followed-up vs excised moles": (f"nevus/{EXCISED}", f"nevus/{FOLLOW_UP}"),
    "melanomas vs excised moles": ("melanoma", f"nevus/{EXCISED}"),
    "melanomas vs followed-up moles": ("melanoma", f"nevus/{FOLLOW_UP}"),
}


def group_of(record: Record) -> str:
    """'melanoma', or 'nevus/<confirmation>' (follow_up, histo, consensus)."""
    return "melanoma" if record.label == MELANOMA else f"nevus/{record.confirmation}"


def corner_features(images: np.ndarray) -> np.ndarray:
    """Per corner and channel: mean, standard deviation and mean |Laplacian| (sharpness)."""
    side = images.shape[1]
    patch = max(4, round(side * PATCH_FRACTION))
    features = []
    for image in images:
        row = []
        for y, x in ((0, 0), (0, side - patch), (side - patch, 0), (side - patch, side - patch)):
            corner = image[y : y + patch, x : x + patch].astype(np.float32)
            laplacian = np.abs(cv2.Laplacian(corner, cv2.CV_32F))
            row += [*corner.mean((0, 1)), *corner.std((0, 1)), *laplacian.mean((0, 1))]
        features.append(row)
    return np.asarray(features, np.float32)


def cover_lesion(images: np.ndarray) -> np.ndarray:
    """Paint the central disc with the mean colour of the rest of each image."""
    side = images.shape[1]
    coords = np.arange(side) - (side - 1) / 2
    inside = np.hypot(coords[None, :], coords[:, None]) <= COVER_RADIUS * side
    covered = images.copy()
    for image in covered:
        image[inside] = image[~inside].mean(axis=0).astype(np.uint8)
    return covered


def print_auc(name: str, labels: np.ndarray, scores: np.ndarray) -> None:
    auc, low, high = bootstrap_auc(labels, scores)
    print(
        f"  {name:<34} {int(labels.sum()):>5} vs {int((1 - labels).sum()):>5}   "
        f"{auc:.3f} ({low:.3f}-{high:.3f})"
    )


def corners_probe(images: np.ndarray, records: list[Record]) -> None:
    """Print out-of-fold ROC AUCs of a logistic regression on the corner statistics."""
    features, groups = corner_features(images), np.array([group_of(r) for r in records])
    lesions = np.array([r.lesion_id for r in records])
    print(f"1. corners only ({len(records)} HAM10000 photos, out-of-fold, grouped by lesion)")
    print(f"  {'task':<34} {'n':>14}   ROC AUC (95 % CI)")
    for task, (positive, negative) in TASKS.items():
        chosen = np.isin(groups, [positive, negative])
        labels = (groups[chosen] == positive).astype(int)
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
        scores = cross_val_predict(
            classifier,
            features[chosen],
            labels,
            groups=lesions[chosen],
            cv=folds,
            method="predict_proba",
        )[:, 1]
        print_auc(task, labels, scores)


Change = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (photo, followed-up photo) -> photo
CHANGES: dict[str, Change] = {
    "3. others recoloured like a followed-up mole": transfer_colour,
    "   recoloured, then JPEG 60": lambda image, ref: jpeg(transfer_colour(image, ref), 60),
    "4. others' amplitude spectrum swapped": lambda image, ref: mix_amplitude(
        image, ref, 1.0, keep_below=0.0
    ),
    "   recoloured, spectrum above 0.03 swapped": lambda image, ref: mix_amplitude(
        transfer_colour(image, ref), ref, 1.0
    ),
}


def like_follow_up(
    records: list[Record], references: list[Record], config: PreprocessConfig, change: Change
) -> np.ndarray:
    """Preprocess records, every one but the followed-up moles changed like a followed-up one."""
    rng = np.random.default_rng(0)  # the same reference per record for every change
    images = []
    for record in records:
        image = load_image_rgb(record.path)
        if group_of(record) != f"nevus/{FOLLOW_UP}":
            reference = load_image_rgb(references[int(rng.integers(len(references)))].path)
            image = change(image, reference)
        images.append(preprocess(image, config))
    return np.stack(images)


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    # Every photo of the split file, preprocessed once: probe 1 uses all, probe 2 the split.
    every_split = argparse.Namespace(**{**vars(arguments), "split": "all"})
    loaded, records, assignment = load_model_and_records(every_split)
    card = loaded.card
    records = [r for r in records if r.source == "HAM10000"]
    images, keep = preprocess_records(records, card.preprocessing, description="HAM10000")
    records = [r for r, k in zip(records, keep, strict=True) if k]
    corners_probe(images, records)

    in_split = np.array([arguments.split in ("all", assignment[r.image_id]) for r in records])
    images = images[in_split]
    split_records = [r for r, chosen in zip(records, in_split, strict=True) if chosen]
    groups = np.array([group_of(r) for r in split_records])
    references = [
        r for r in records if assignment[r.image_id] == "train" and r.confirmation == FOLLOW_UP
    ]
    print(f"\n2. model {card.model_version}, {arguments.split} split, HAM10000 photos")
    print(f"  {'task':<34} {'n':>14}   ROC AUC (95 % CI)")
    views = {"as seen": images, "lesion covered": cover_lesion(images)}
    for name, change in CHANGES.items():  # lesion covered: the camera, not the lesion
        changed = like_follow_up(split_records, references, card.preprocessing, change)
        views[f"{name}, lesion covered"] = cover_lesion(changed)
    for view, batch in views.items():
        logits = predict_logits(loaded.model, batch, views=card.test_time_views).ravel()
        print(f" {view}:")
        for task, (positive, negative) in TASKS.items():
            chosen = np.isin(groups, [positive, negative])
            print_auc(task, (groups[chosen] == positive).astype(int), logits[chosen])
    return 0


if __name__ == "__main__":
    sys.exit(main())
