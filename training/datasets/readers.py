"""Per-layout parsers behind `training.datasets.read.read_dataset` (use that, not these)."""

from __future__ import annotations

import collections
from pathlib import Path

import pandas as pd

from training.datasets.records import (
    HAM_METADATA,
    IMAGE_SUFFIXES,
    LABEL_NAMES,
    DatasetReport,
    Record,
    clean,
    find_isic_csv,
    index_images,
    parse_label,
)


def read_folders(root: Path, source: str | None) -> DatasetReport:
    """Class folders (`melanoma/`, `nevus/`, `bcc/`, ...), with or without a `labels.csv`."""
    if (root / "labels.csv").is_file():
        return _read_labels_csv(root, source)
    records: list[Record] = []
    unknown: list[tuple[str, str]] = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        label = parse_label(folder.name)
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
                continue
            if label is None:
                unknown.append((path.stem, folder.name))
            else:
                records.append(Record(path, label, source or root.name, path.stem, path.stem))
    return DatasetReport(records, unknown, [], "folders")


def _read_labels_csv(root: Path, source: str | None) -> DatasetReport:
    table = pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
    if "label" not in table.columns or not {"image", "image_id"} & set(table.columns):
        raise ValueError(
            "labels.csv needs a `label` column and an `image` or `image_id` column. "
            f"Received: columns={list(table.columns)}"
        )
    records: list[Record] = []
    unknown: list[tuple[str, str]] = []
    missing: list[str] = []
    for row in table.to_dict("records"):
        relative = clean(row.get("image"))
        image_id = clean(row.get("image_id")) or Path(relative).stem
        label = parse_label(row["label"])
        if label is None:
            unknown.append((image_id, clean(row["label"])))
            continue
        path = root / relative if relative else _find_in_class_folder(root, image_id, label)
        if path is None or not path.is_file():
            missing.append(relative or image_id)
            continue
        lesion = clean(row.get("lesion_id")) or clean(row.get("patient_id")) or image_id
        row_source = source or clean(row.get("source")) or root.name
        confirmation = clean(row.get("dx_type")).lower()
        records.append(Record(path, label, row_source, image_id, lesion, confirmation))
    return DatasetReport(records, unknown, missing, "folders")


def _find_in_class_folder(root: Path, image_id: str, label: int) -> Path | None:
    folder = root / LABEL_NAMES[label]
    for suffix in IMAGE_SUFFIXES:
        if (folder / f"{image_id}{suffix}").is_file():
            return folder / f"{image_id}{suffix}"
    return None


def read_ham10000(root: Path, source: str | None) -> DatasetReport:
    """The official HAM10000 download: metadata CSV plus images in any subfolder."""
    metadata = root / HAM_METADATA
    if not metadata.is_file():
        candidates = sorted(root.glob(f"*/{HAM_METADATA}"))
        if not candidates:
            raise ValueError(f"No {HAM_METADATA} in the folder. Received: root={root}")
        metadata = candidates[0]
    table = pd.read_csv(metadata, dtype=str, keep_default_na=False)
    images = index_images(root)
    records: list[Record] = []
    unknown: list[tuple[str, str]] = []
    missing: list[str] = []
    excluded: collections.Counter[str] = collections.Counter()
    for row in table.to_dict("records"):
        image_id, dx = clean(row["image_id"]), clean(row["dx"]).lower()
        label = parse_label(dx)
        if label is None:
            unknown.append((image_id, dx))
        elif image_id not in images:
            missing.append(image_id)
        else:
            lesion = clean(row.get("lesion_id")) or image_id
            confirmation = clean(row.get("dx_type")).lower()
            path, row_source = images[image_id], source or "HAM10000"
            records.append(Record(path, label, row_source, image_id, lesion, confirmation))
    return DatasetReport(records, unknown, missing, "ham10000", dict(excluded))


def read_isic(root: Path, source: str | None) -> DatasetReport:
    """An ISIC ground-truth CSV (one-hot MEL/NV, or ISIC 2017 columns) plus images.

    A lesion id is taken from the ground truth, or from another CSV in `root`
    (e.g. `ISIC_2019_Training_Metadata.csv`) that has `image` and `lesion_id`.
    """
    csv_path = find_isic_csv(root)
    if csv_path is None:
        raise ValueError(f"No ISIC ground-truth CSV with MEL/NV columns. Received: root={root}")
    table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    id_column = "image" if "image" in table.columns else "image_id"
    lesions = _lesion_ids(root, csv_path)
    images = index_images(root)
    records: list[Record] = []
    unknown: list[tuple[str, str]] = []
    missing: list[str] = []
    excluded: collections.Counter[str] = collections.Counter()
    for row in table.to_dict("records"):
        image_id = clean(row[id_column])
        verdict = _isic_label(row)
        if isinstance(verdict, str):
            if verdict.startswith("?"):
                unknown.append((image_id, verdict[1:]))
            else:
                excluded[verdict] += 1
        elif image_id not in images:
            missing.append(image_id)
        else:
            lesion = clean(row.get("lesion_id")) or lesions.get(image_id) or image_id
            records.append(Record(images[image_id], verdict, source or root.name, image_id, lesion))
    return DatasetReport(records, unknown, missing, "isic", dict(excluded))


def _isic_label(row: dict[str, str]) -> int | str:
    """Return the label, an excluded class name (UNK), or "?<values>" for an unreadable row."""
    if "MEL" in row:  # ISIC 2018/2019: one-hot MEL, NV, BCC, ...; UNK is excluded
        names = [name for name in row if name.isupper()]
        renamed = {name: name for name in names}
    else:  # ISIC 2017: melanoma, seborrheic_keratosis; neither means nevus
        renamed = {"melanoma": "MEL", "seborrheic_keratosis": "SEK"}
    values = {}
    for name in renamed:
        try:
            values[name] = float(row[name])
        except ValueError:
            values[name] = float("nan")
    if any(value != value for value in values.values()):  # NaN: unreadable
        return "?" + ",".join(f"{name}={row[name]}" for name in renamed)
    hot = [renamed[name] for name, value in values.items() if value >= 0.5]
    if "MEL" not in row and not hot:
        hot = ["NV"]
    if len(hot) > 1:
        return "?" + "+".join(hot)
    label = parse_label(hot[0]) if hot else None
    return label if label is not None else (hot[0] if hot else "none")


def _lesion_ids(root: Path, ground_truth: Path) -> dict[str, str]:
    for path in sorted(root.glob("*.csv")):
        if path == ground_truth:
            continue
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        id_column = "image" if "image" in table.columns else "image_id"
        if id_column in table.columns and "lesion_id" in table.columns:
            return {
                clean(image): clean(lesion)
                for image, lesion in zip(table[id_column], table["lesion_id"], strict=True)
                if clean(lesion)
            }
    return {}
