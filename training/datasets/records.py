"""What a labelled image is: `Record`, `DatasetReport`, class and confirmation names.

Also the small helpers the readers share (label spellings, image index, cleaning) and
`load_image_rgb`, which decodes a file exactly as the bot decodes an upload.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.lesions import LESION_CLASSES
from model.lesions import MELANOMA as MELANOMA
from model.lesions import NEVUS as NEVUS
from model.lesions import parse_label as parse_label
from preprocessing.decode import decode_image

LOGGER = logging.getLogger(__name__)

LABEL_NAMES = dict(enumerate(LESION_CLASSES))
LAYOUTS = ("auto", "folders", "ham10000", "isic")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
HAM_METADATA = "HAM10000_metadata.csv"
# How a diagnosis was confirmed (`Record.confirmation`, HAM10000's `dx_type`). A mole
# confirmed by histopathology is one a doctor excised; followed-up moles come from one
# centre's digital follow-up (docs/experiments.md, acquisition_shortcut).
FOLLOW_UP, EXCISED, CONSENSUS, CONFOCAL = "follow_up", "histo", "consensus", "confocal"
CONFIRMATIONS = (FOLLOW_UP, EXCISED, CONSENSUS, CONFOCAL)


@dataclasses.dataclass(frozen=True)
class Record:
    """One labelled image.

    Attributes:
        path: Absolute path of the image file.
        label: Index into `model.lesions.LESION_CLASSES` (`NEVUS` 0, `MELANOMA` 1, ...).
        source: Where the image comes from (e.g. "HAM10000"), for stratification.
        image_id: Unique id of the image (the file stem).
        lesion_id: The lesion (split group); the image id when the lesion is unknown.
        confirmation: How the diagnosis was confirmed, one of `CONFIRMATIONS`
            (HAM10000's `dx_type`), empty when not recorded.
    """

    path: Path
    label: int
    source: str
    image_id: str
    lesion_id: str
    confirmation: str = ""


@dataclasses.dataclass
class DatasetReport:
    """The records read plus everything that could not be used.

    Attributes:
        records: Usable images, both files present and labels known.
        unknown_labels: (image_id, label) pairs whose label was not understood.
        missing_files: Images listed by the labels but not found on disk.
        layout: The layout that was read.
        excluded: Known but out-of-scope classes (e.g. ISIC's `UNK`), counted.
    """

    records: list[Record]
    unknown_labels: list[tuple[str, str]]
    missing_files: list[str]
    layout: str
    excluded: dict[str, int] = dataclasses.field(default_factory=dict)
    duplicates: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    """(image_id, folder) of images already read from an earlier folder, left out."""

    def summary(self) -> dict[str, Any]:
        """Return JSON-serialisable counts per source x label plus what was left out."""
        counts: dict[str, dict[str, int]] = {}
        for record in self.records:
            per_label = counts.setdefault(record.source, {})
            name = LABEL_NAMES[record.label]
            per_label[name] = per_label.get(name, 0) + 1
        return {
            "layout": self.layout,
            "n_records": len(self.records),
            "counts": {source: counts[source] for source in sorted(counts)},
            "unknown_labels": len(self.unknown_labels),
            "missing_files": len(self.missing_files),
            "excluded": dict(sorted(self.excluded.items())),
            **({"duplicates_across_folders": len(self.duplicates)} if self.duplicates else {}),
        }


def load_image_rgb(path: Path) -> np.ndarray:
    """Read an image file and decode it exactly as the bot decodes an upload."""
    return decode_image(Path(path).read_bytes())


def index_images(root: Path) -> dict[str, Path]:
    """Map file stem -> path for every image file below `root` (first one wins)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            found.setdefault(path.stem, path)
    return found


def clean(value: object) -> str:
    """Return a stripped string, "" for NaN/None."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def find_isic_csv(root: Path) -> Path | None:
    for path in sorted(root.glob("*.csv")):
        try:
            columns = set(pd.read_csv(path, nrows=0).columns)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
        has_id = bool(columns & {"image", "image_id"})
        one_hot = {"MEL", "NV"} <= columns or {"melanoma", "seborrheic_keratosis"} <= columns
        if has_id and one_hot:
            return path
    return None
