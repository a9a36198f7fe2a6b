"""Train/val/test split grouped by lesion, stratified by class and source, seeded.

Every lesion (`Record.lesion_id`) lands in exactly one split, so several shots of one
mole can never sit on both sides. Within each stratum (source x label) the lesions are
shuffled with the seed, ordered largest first, and each is given to the split that is
least filled relative to its target number of images. So fractions come out close to
the targets per source and per class, multi-image lesions are spread over the splits in
proportion too (the test split is not left with single-shot lesions only), and the same
seed always gives the same split.

Usage:
    assignment = assign_splits(report.records, seed=0)
    write_split(run_dir / "split.csv", report.records, assignment)
    assert read_split(run_dir / "split.csv") == assignment
"""

from __future__ import annotations

import collections
import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from training.datasets.records import LABEL_NAMES, Record

SPLITS = ("train", "val", "test")
SPLIT_COLUMNS = ("image_id", "lesion_id", "label", "source", "split")

SAME_LESION = {"BCN_0001604": "BCN_0004816"}
"""Lesion ids that are one lesion (they share three byte-identical images; the lesions
folder's README), mapped to the id whose group they join."""

SPLIT_3_0_0 = Path(__file__).resolve().parent / "splits" / "split_3_0_0.csv"
"""Model 3.0.0's split of its melanomas and moles (dermoscopy and bcn20000, seed 0). The
eight-class recipe keeps those lesions where they were, so both models' test photos are
the same and neither was trained on the other's test lesions (paired comparison)."""

TWO_SOURCE_SPLIT = Path(__file__).resolve().parent / "splits" / "split_2_6_0.csv"
"""Model 2.6.0's split of the dermoscopy folder (HAM10000, ISIC 2017), seed 0; the
photo gate 1.0.0 draws its dermoscopy photos from it, and seed 0 draws it again."""


def assign_splits(
    records: Sequence[Record],
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Assign every image to "train", "val" or "test", whole lesions at a time.

    Lesions in `SAME_LESION` are one group.

    Args:
        records: The images; `image_id` must be unique.
        val_fraction: Target share of images in validation, per stratum.
        test_fraction: Target share of images in test, per stratum.
        seed: Shuffling seed; the same seed gives the same assignment.
        fixed: image_id -> split of an earlier split to extend: a lesion with an image
            listed there keeps that split, the other lesions are assigned as above.

    Returns:
        image_id -> split name.

    Raises:
        ValueError: For fractions outside [0, 1) or summing to >= 1, or duplicate ids.
    """
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value}")
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            "`val_fraction + test_fraction` must be < 1. "
            f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}"
        )
    ids = [record.image_id for record in records]
    if len(set(ids)) != len(ids):
        duplicates = sorted(k for k, n in collections.Counter(ids).items() if n > 1)
        raise ValueError(f"`image_id` must be unique. Received duplicates: {duplicates[:5]}")
    fractions = np.array([1.0 - val_fraction - test_fraction, val_fraction, test_fraction])

    groups: dict[str, list[Record]] = collections.defaultdict(list)
    for record in records:
        groups[SAME_LESION.get(record.lesion_id, record.lesion_id)].append(record)
    fixed = fixed or {}
    assignment: dict[str, str] = {}
    strata: dict[tuple[str, int], list[str]] = collections.defaultdict(list)
    for lesion_id in sorted(groups):
        members = groups[lesion_id]
        kept = next((fixed[r.image_id] for r in members if r.image_id in fixed), None)
        if kept is not None:
            assignment.update((record.image_id, kept) for record in members)
            continue
        key, _ = collections.Counter((r.source, r.label) for r in members).most_common(1)[0]
        strata[key].append(lesion_id)

    rng = np.random.default_rng(seed)
    for key in sorted(strata):
        lesions = [strata[key][i] for i in rng.permutation(len(strata[key]))]
        lesions.sort(key=lambda lesion: -len(groups[lesion]))  # stable: ties stay shuffled
        targets = fractions * sum(len(groups[lesion]) for lesion in lesions)
        counts = np.zeros(len(SPLITS))
        for lesion in lesions:  # to the split least filled relative to its target
            with np.errstate(divide="ignore", invalid="ignore"):
                filled = np.where(targets > 0, counts / targets, np.inf)
            chosen = int(np.argmin(filled))
            counts[chosen] += len(groups[lesion])
            for record in groups[lesion]:
                assignment[record.image_id] = SPLITS[chosen]
    return assignment


def write_split(path: Path, records: Sequence[Record], assignment: dict[str, str]) -> Path:
    """Write the split as CSV (image_id,lesion_id,label,source,split) and return `path`.

    Raises:
        ValueError: If a record has no split in `assignment`.
    """
    missing = [record.image_id for record in records if record.image_id not in assignment]
    if missing:
        raise ValueError(f"Records without a split. Received: {missing[:5]}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SPLIT_COLUMNS)
        for record in records:
            label = LABEL_NAMES[record.label]
            split = assignment[record.image_id]
            writer.writerow([record.image_id, record.lesion_id, label, record.source, split])
    return path


def read_split(path: Path) -> dict[str, str]:
    """Read a split CSV written by `write_split`: image_id -> split name.

    Raises:
        ValueError: If the columns or a split name are wrong.
    """
    with Path(path).open(newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"image_id", "split"} <= set(reader.fieldnames):
            raise ValueError(
                f"A split file needs image_id and split columns. Received: {reader.fieldnames}"
            )
        assignment = {row["image_id"]: row["split"] for row in reader}
    unknown = sorted(set(assignment.values()) - set(SPLITS))
    if unknown:
        raise ValueError(f"Split names must be one of {SPLITS}. Received: {unknown}")
    return assignment


def split_summary(records: Sequence[Record], assignment: dict[str, str]) -> dict[str, Any]:
    """Count images per split x source x label (JSON-serialisable).

    Returns:
        {"counts": {split: {source: {class name: n}}},
         "totals": {split: n}, "fractions": {split: share}, "lesions": {split: n},
         "unassigned": n}
    """
    sources = sorted({record.source for record in records})
    names = [LABEL_NAMES[label] for label in sorted({record.label for record in records})]
    counts = {split: {source: dict.fromkeys(names, 0) for source in sources} for split in SPLITS}
    lesions: dict[str, set[str]] = {split: set() for split in SPLITS}
    unassigned = 0
    for record in records:
        split = assignment.get(record.image_id)
        if split is None:
            unassigned += 1
            continue
        counts[split][record.source][LABEL_NAMES[record.label]] += 1
        lesions[split].add(record.lesion_id)
    totals = {split: sum(sum(c.values()) for c in counts[split].values()) for split in SPLITS}
    assigned = sum(totals.values()) or 1
    return {
        "counts": counts,
        "totals": totals,
        "fractions": {split: round(totals[split] / assigned, 4) for split in SPLITS},
        "lesions": {split: len(lesions[split]) for split in SPLITS},
        "unassigned": unassigned,
    }


def limit_records(records: list[Record], limit: int, seed: int) -> list[Record]:
    """Keep at most `limit` records per source x class (for smoke runs)."""
    rng = np.random.default_rng(seed)
    kept: list[Record] = []
    for key in sorted({(r.source, r.label) for r in records}):
        group = [r for r in records if (r.source, r.label) == key]
        picks = rng.permutation(len(group))[:limit]
        kept.extend(group[i] for i in sorted(picks))
    return kept


def records_by_split(
    records: Sequence[Record], assignment: dict[str, str], train_sources: Sequence[str] = ()
) -> dict[str, list[Record]]:
    """Return the records of "train", "val", "test" and "held_out", in dataset order.

    Args:
        records: Every record the split assigns.
        assignment: image id -> "train", "val" or "test".
        train_sources: Sources to train on (empty: all). For leave-one-source-out the
            other sources are never seen: they leave train, val and test and are tested
            on whole as "held_out".

    Returns:
        The four lists ("held_out" empty when every source is trained on).
    """
    trained = [r for r in records if not train_sources or r.source in train_sources]
    subsets = {
        name: [r for r in trained if assignment[r.image_id] == name]
        for name in ("train", "val", "test")
    }
    subsets["held_out"] = [r for r in records if train_sources and r.source not in train_sources]
    return subsets
