"""The datasets room: labelled records, the readers of three layouts, the lesion-grouped split.

`records` defines what a labelled image is, `readers` parses each layout, `read` picks the
reader and merges folders, `split` assigns lesions to train, validation and test. Imports
run one way: records <- readers <- read; records <- split.
"""

from training.datasets.read import detect_layout, read_dataset, read_datasets
from training.datasets.records import (
    CONFIRMATIONS,
    EXCISED,
    FOLLOW_UP,
    LABEL_NAMES,
    LAYOUTS,
    MELANOMA,
    NEVUS,
    DatasetReport,
    Record,
    load_image_rgb,
)

__all__ = [
    "CONFIRMATIONS",
    "EXCISED",
    "FOLLOW_UP",
    "LABEL_NAMES",
    "LAYOUTS",
    "MELANOMA",
    "NEVUS",
    "DatasetReport",
    "Record",
    "detect_layout",
    "load_image_rgb",
    "read_dataset",
    "read_datasets",
]
