"""The photo-type gate's photos: every kind, with the group a measurement holds out.

- dermoscopy: the classifier's own training split (HAM10000, ISIC 2017) and BCN20000,
  grouped by lesion; the classifier's validation and test splits are kept for measuring;
- close_up, several_lesions, widespread, not_usable: DermNet photos of the topics
  `clinical_topics.csv` calls `single_spot`, `widespread` or `unusable` (nail, mouth,
  histology), grouped by topic (`excluded` topics are left out). A photo with a framing
  label (`../shared/data/clinical/framing.csv`) takes its kind from it (`FRAMING_KINDS`);
  the topic fills in the rest;
- not_skin: made by `training.gate.not_skin`, grouped in blocks of 20, and real photos
  (`../shared/data/not_skin`, one per ImageNet class, grouped by class); the photos that
  `not_skin_photos.csv` marks `measure_only` (bare skin over much of the picture) are
  measured, never trained on.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from model.photo_gate import PhotoKind
from training.datasets import LABEL_NAMES, load_image_rgb, read_dataset
from training.datasets.split import read_split
from training.gate.not_skin import not_skin_pictures

TOPICS_TABLE = Path(__file__).resolve().parent / "clinical_topics.csv"
NOT_SKIN_TABLE = Path(__file__).resolve().parent / "not_skin_photos.csv"
TOPIC_KINDS = {
    "single_spot": PhotoKind.CLOSE_UP,
    "widespread": PhotoKind.WIDESPREAD,
    "unusable": PhotoKind.UNUSABLE,
}
FRAMING_KINDS = {
    "one_lesion": PhotoKind.CLOSE_UP,
    "several_lesions": PhotoKind.SEVERAL,
    "area": PhotoKind.WIDESPREAD,
    "dermoscopy": PhotoKind.DERMOSCOPY,
    "other": PhotoKind.UNUSABLE,
}
NOT_SKIN_PER_GROUP = 20


@dataclasses.dataclass(frozen=True)
class GateSample:
    """One photo for the gate.

    Attributes:
        kind: Its kind.
        source: Where it comes from ("HAM10000", "DermNetNZ", "rendered", ...).
        group: The unit held out together (lesion, topic, block of made pictures).
        label: "melanoma", "nevus" or "other".
        topic: The DermNet topic ("" elsewhere).
        framing: The photo's framing label ("" when it has none).
        train: False for a photo only measured, never trained on.
        split: "train" for the gate's training pool, or the classifier split it
            belongs to ("val", "test") when kept for measuring.
        path: The image file; None for a made picture (`picture` holds it).
        picture: A made picture (RGB uint8), else None.
    """

    kind: PhotoKind
    source: str
    group: str
    label: str
    topic: str = ""
    framing: str = ""
    train: bool = True
    split: str = "train"
    path: Path | None = None
    picture: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)

    def load(self) -> np.ndarray:
        """Return the photo as RGB uint8."""
        if self.picture is not None:
            return self.picture
        assert self.path is not None
        return load_image_rgb(self.path)


def read_topic_table(path: Path = TOPICS_TABLE) -> dict[tuple[str, str], str]:
    """Return {(source, topic): kind} from the reviewed table."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["source"], row["topic"]): row["kind"] for row in csv.DictReader(handle)}


def read_framing(root: Path) -> dict[str, str]:
    """Return {image: framing} from `framing.csv` (empty when it is absent)."""
    path = root / "framing.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["image"]: row["framing"] for row in csv.DictReader(handle)}


def clinical_samples(
    root: Path, table: dict[tuple[str, str], str], framing: dict[str, str] | None = None
) -> list[GateSample]:
    """DermNet photos of the table's kept topics; a framing label overrides the topic."""
    framing = framing or {}
    samples = []
    with (root / "labels.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            kind = TOPIC_KINDS.get(table.get((row["source"], row["topic"]), "excluded"))
            if kind is None:
                continue
            label_of_photo = framing.get(row["image"], "")
            kind = FRAMING_KINDS.get(label_of_photo, kind)
            label = row["group"] if row["group"] in ("melanoma", "nevus") else "other"
            samples.append(
                GateSample(
                    kind=kind,
                    source=row["source"],
                    group=f"topic:{row['source']}:{row['topic']}",
                    label=label,
                    topic=row["topic"],
                    framing=label_of_photo,
                    path=root / row["image"],
                )
            )
    return samples


def dermoscopy_samples(
    root: Path, split_file: Path, per_split: dict[str, int], seed: int
) -> list[GateSample]:
    """Dermoscopy photos of the classifier's split: up to `per_split[split]` of each split."""
    assignment = read_split(split_file)
    rng = np.random.default_rng(seed)
    records = [r for r in read_dataset(root).records if r.image_id in assignment]
    samples = []
    for split, limit in per_split.items():
        chosen = [r for r in records if assignment[r.image_id] == split]
        if len(chosen) > limit:
            chosen = [chosen[i] for i in sorted(rng.choice(len(chosen), limit, replace=False))]
        samples += [
            GateSample(
                kind=PhotoKind.DERMOSCOPY,
                source=r.source,
                group=f"lesion:{r.lesion_id}",
                label=LABEL_NAMES[r.label],
                split="train" if split == "train" else split,
                path=r.path,
            )
            for r in chosen
        ]
    return samples


def bcn_samples(root: Path, per_lesion: int, limit: int, seed: int) -> list[GateSample]:
    """BCN20000 photos (84 px dermoscopy), at most `per_lesion` per lesion, `limit` in all."""
    rng = np.random.default_rng(seed)
    by_lesion: dict[str, list[GateSample]] = {}
    for r in read_dataset(root).records:
        sample = GateSample(
            kind=PhotoKind.DERMOSCOPY,
            source=r.source,
            group=f"lesion:{r.lesion_id}",
            label=LABEL_NAMES[r.label],
            path=r.path,
        )
        by_lesion.setdefault(r.lesion_id, []).append(sample)
    lesions = sorted(by_lesion)
    samples: list[GateSample] = []
    for index in rng.permutation(len(lesions)):
        samples += by_lesion[lesions[index]][:per_lesion]
        if len(samples) >= limit:
            break
    return samples[:limit]


def not_skin_samples(
    count: int, seed: int, shrink: Callable[[np.ndarray], np.ndarray]
) -> list[GateSample]:
    """`count` made pictures that are not skin, shrunk with `shrink` to save memory."""
    return [
        GateSample(
            kind=PhotoKind.NOT_SKIN,
            source=source,
            group=f"made:{index // NOT_SKIN_PER_GROUP}",
            label="other",
            picture=shrink(picture),
        )
        for index, (source, picture) in enumerate(not_skin_pictures(count, seed))
    ]


def real_not_skin_samples(root: Path, table: Path = NOT_SKIN_TABLE) -> list[GateSample]:
    """Real photos that are not skin, one per ImageNet class; `measure_only` ones kept out."""
    with table.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        measure_only = {row["synset"] for row in rows if row["use"] == "measure_only"}
    with (root / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return [
            GateSample(
                kind=PhotoKind.NOT_SKIN,
                source="ImageNet",
                group=f"class:{row['synset']}",
                label="other",
                train=row["synset"] not in measure_only,
                path=root / row["image"],
            )
            for row in csv.DictReader(handle)
        ]
