"""The shipped photo gate's decision on labelled real photos from `../shared`.

The photos are among those the gate was trained on: this checks that the file, its
threshold and the decision rule fit together on real photos of every framing. What the
gate is worth on photos it never saw is `benchmarks/photo_gate.py`'s (whole topics and
ImageNet classes held out) and the card's.
"""

from __future__ import annotations

import csv
import functools

import pytest

from model.photo_gate import SHIPPED_GATE_PATH, PhotoKind, ServedGate, load_served_gate
from tests.support.shared_data import SHARED_DATA
from training.datasets import load_image_rgb

CLINICAL = SHARED_DATA.parent / "clinical"
NOT_SKIN = SHARED_DATA.parent / "not_skin"
pytestmark = pytest.mark.skipif(
    not (CLINICAL / "framing.csv").is_file() or not (NOT_SKIN / "labels.csv").is_file(),
    reason="needs ../shared/data/clinical/framing.csv and ../shared/data/not_skin",
)
ANSWERED = {PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP}


@functools.cache
def gate() -> ServedGate:
    return load_served_gate(SHIPPED_GATE_PATH)


def framed(framing: str, count: int) -> list[PhotoKind]:
    with (CLINICAL / "framing.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["framing"] == framing][:count]
    return [d.kind for d in gate().decide([load_image_rgb(CLINICAL / r["image"]) for r in rows])]


def test_one_spot_is_answered_and_far_more_areas_are_not() -> None:
    one = framed("one_lesion", 40)
    area = framed("area", 40)
    assert sum(kind in ANSWERED for kind in one) >= 34
    assert sum(kind not in ANSWERED for kind in area) >= 16  # gate 2.0.0: 68 % held out


def test_several_spots_are_mostly_told_so_and_nails_and_mouths_are_not_usable() -> None:
    several = framed("several_lesions", 40)
    assert sum(kind == PhotoKind.SEVERAL for kind in several) >= 20
    other = framed("other", 23)
    assert sum(kind == PhotoKind.UNUSABLE for kind in other) >= 15


def test_real_photos_of_things_are_not_skin() -> None:
    with (NOT_SKIN / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[::40]
    decided = gate().decide([load_image_rgb(NOT_SKIN / row["image"]) for row in rows])
    assert sum(d.kind == PhotoKind.NOT_SKIN for d in decided) >= len(rows) - 1
