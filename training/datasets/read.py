"""Read labelled dermoscopy sets in three layouts into one list of `Record`s.

Layouts:
    folders:   class folders (`melanoma/`, `nevus/`, `bcc/`, ...: `model.lesions`),
               optionally with a `labels.csv` (image,label,source,image_id,lesion_id,...),
               as `../shared/data/dermoscopy` and `../shared/data/lesions`.
    ham10000:  the official HAM10000 download: `HAM10000_metadata.csv` plus the images
               in any subfolder; all seven HAM10000 classes (its `akiec` includes Bowen's
               disease, which ISIC 2019 calls SCC).
    isic:      an ISIC challenge ground-truth CSV (one-hot `MEL`/`NV`/`BCC`/... columns,
               UNK excluded, or the ISIC 2017 `melanoma`/`seborrheic_keratosis` columns)
               plus an image folder.

Unknown labels and missing files are logged and listed in the `DatasetReport`, never
silently dropped.

Usage:
    report = read_dataset(Path("../shared/data/dermoscopy"))
    print(report.summary())
    image = load_image_rgb(report.records[0].path)
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

from training.datasets import readers
from training.datasets.records import (
    HAM_METADATA,
    LABEL_NAMES,
    LAYOUTS,
    DatasetReport,
    Record,
    find_isic_csv,
)

LOGGER = logging.getLogger(__name__)


def detect_layout(root: Path) -> str:
    """Guess the layout of `root` ("folders", "ham10000" or "isic").

    Raises:
        ValueError: If no known layout matches.
    """
    root = Path(root)
    if (root / "labels.csv").is_file():
        return "folders"
    if (root / HAM_METADATA).is_file() or any(root.glob(f"*/{HAM_METADATA}")):
        return "ham10000"
    if find_isic_csv(root) is not None:
        return "isic"
    if any((root / name).is_dir() for name in LABEL_NAMES.values()):
        return "folders"
    raise ValueError(
        "Unknown dataset layout: expected labels.csv or class folders (melanoma/, nevus/), "
        f"{HAM_METADATA}, or an ISIC ground-truth CSV with MEL/NV columns. Received: root={root}"
    )


def read_dataset(root: Path, layout: str = "auto", *, source: str | None = None) -> DatasetReport:
    """Read a labelled dataset.

    Args:
        root: The dataset folder.
        layout: "auto", "folders", "ham10000" or "isic".
        source: Source name for every record; by default the `source` column of
            labels.csv, "HAM10000" for HAM10000, else the folder name of `root`.

    Returns:
        The records plus unknown labels, missing files and exclusions.

    Raises:
        ValueError: If `root` is not a folder, `layout` is unknown or not detected.
    """
    root = Path(root).resolve()
    if not root.is_dir():
        raise ValueError(f"`root` must be an existing folder. Received: root={root}")
    if layout not in LAYOUTS:
        raise ValueError(f"`layout` must be one of {LAYOUTS}. Received: layout={layout!r}")
    if layout == "auto":
        layout = detect_layout(root)
    reader = {"folders": readers.read_folders, "ham10000": readers.read_ham10000,
              "isic": readers.read_isic}[layout]  # fmt: skip
    report = reader(root, source)
    report = _deduplicate(report)
    if report.unknown_labels:
        LOGGER.warning("%d images with unknown labels, e.g. %s", len(report.unknown_labels),
                       report.unknown_labels[:3])  # fmt: skip
    if report.missing_files:
        LOGGER.warning("%d listed images are missing on disk, e.g. %s",
                       len(report.missing_files), report.missing_files[:3])  # fmt: skip
    LOGGER.info("Read %d images (%s layout) from %s", len(report.records), layout, root)
    return report


def read_datasets(roots: Sequence[Path], layout: str = "auto") -> DatasetReport:
    """Read several labelled folders as one dataset (`melnev train --data A --data B`).

    One folder is read exactly as `read_dataset` reads it, so its split stays
    reproducible. With several, an image id already read from an earlier folder is left
    out and reported in `duplicates` (the same ISIC image can sit in two collections).

    Args:
        roots: The dataset folders, in order of precedence.
        layout: The layout of every folder ("auto": detected per folder).

    Returns:
        The records of all folders, their problems summed, layouts joined by "+".

    Raises:
        ValueError: For no folders, or as `read_dataset`.
    """
    if not roots:
        raise ValueError("At least one data folder is needed. Received: roots=[]")
    reports = [read_dataset(root, layout) for root in roots]
    if len(reports) == 1:
        return reports[0]
    merged = DatasetReport(records=[], unknown_labels=[], missing_files=[], layout="")
    seen: set[str] = set()
    for root, report in zip(roots, reports, strict=True):
        for record in report.records:
            if record.image_id in seen:
                merged.duplicates.append((record.image_id, str(root)))
                continue
            seen.add(record.image_id)
            merged.records.append(record)
        merged.unknown_labels += report.unknown_labels
        merged.missing_files += report.missing_files
        for name, count in report.excluded.items():
            merged.excluded[name] = merged.excluded.get(name, 0) + count
    merged.layout = "+".join(report.layout for report in reports)
    if merged.duplicates:
        LOGGER.warning("%d images appear in more than one folder and were read once, e.g. %s",
                       len(merged.duplicates), merged.duplicates[:3])  # fmt: skip
    return merged


def _deduplicate(report: DatasetReport) -> DatasetReport:
    seen: set[str] = set()
    kept: list[Record] = []
    counts = collections.Counter(report.excluded)
    for record in report.records:
        if record.image_id in seen:
            counts["duplicate_image_id"] += 1
            LOGGER.warning("Duplicate image id %s: keeping the first", record.image_id)
            continue
        seen.add(record.image_id)
        kept.append(record)
    return dataclasses.replace(report, records=kept, excluded=dict(counts))
