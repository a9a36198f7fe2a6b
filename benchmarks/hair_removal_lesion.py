"""How much of the lesion itself does DullRazor hair removal paint over?

`preprocessing.hair.hair_mask` keeps round dots but takes any long or mesh-like dark
structure for hair, and `remove_hair` inpaints it. Inside a lesion such structures are
also pigment network, streaks and dark blotches, the signs of melanoma. For every photo
of the split, at the working size `preprocess()` removes hair at, this prints per source
and class: the share of the frame masked as hair, the share of the lesion's interior
masked (the dark Otsu region of the blurred grey image, eroded by 4 px so that the
lesion's border is left out), and the share of photos with more than 5 % of their
lesion interior masked. Real hair over a lesion counts too, so compare the classes.

Needs the shared dermoscopy data beside the repository; no model.

Usage:
    python benchmarks/hair_removal_lesion.py [--split-file CSV] [--split val] [--sheet PNG]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import SHIPPED_SPLIT_FILE, split_records  # noqa: E402, I001

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from preprocessing.geometry import resize  # noqa: E402
from preprocessing.hair import hair_mask, remove_hair  # noqa: E402
from preprocessing.pipeline import PreprocessConfig, frame  # noqa: E402
from training.data import LABEL_NAMES, MELANOMA, load_image_rgb  # noqa: E402

INTERIOR_THRESHOLD = 0.05  # a photo counts when more than this share of its lesion is masked


def lesion_interior(image: np.ndarray) -> np.ndarray:
    """The dark Otsu region of the blurred grey image, eroded away from its border."""
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (9, 9), 0)
    _, dark = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return cv2.erode(dark.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split-file", type=Path, default=SHIPPED_SPLIT_FILE)
    parser.add_argument("--split", default="val")
    parser.add_argument("--sheet", type=Path, default=None, help="PNG: melanomas, mask, result")
    arguments = parser.parse_args()
    records, _ = split_records(arguments.split_file, arguments.split)
    config = PreprocessConfig()
    rows: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    sheet: list[np.ndarray] = []
    for record in records:
        working = resize(frame(load_image_rgb(record.path), config), config.working_size)
        hair = hair_mask(working) > 0
        interior = lesion_interior(working)
        inside = float((hair & interior).sum() / max(interior.sum(), 1))
        rows[(record.source, LABEL_NAMES[record.label])].append((float(hair.mean()), inside))
        if record.label == MELANOMA and inside > INTERIOR_THRESHOLD and len(sheet) < 6:
            marked = working.copy()
            marked[hair] = (0, 255, 0)
            sheet.append(np.hstack([working, marked, remove_hair(working)]))
    print(f"{arguments.split} split, hair mask at {config.working_size} px")
    print(f"{'source, class':<22} {'n':>5} {'frame masked':>13} {'lesion masked':>14} {'> 5 %':>7}")
    for (source, label), values in sorted(rows.items()):
        frame_share, inside = np.array(values).T
        print(
            f"{source + ', ' + label:<22} {len(values):>5} {frame_share.mean():>13.1%} "
            f"{inside.mean():>14.1%} {(inside > INTERIOR_THRESHOLD).mean():>7.1%}"
        )
    if arguments.sheet is not None and sheet:
        cv2.imwrite(str(arguments.sheet), cv2.cvtColor(np.vstack(sheet), cv2.COLOR_RGB2BGR))
        print(f"contact sheet (photo, mask in green, after removal): {arguments.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
