# ruff: noqa: I001  (shared_split sets the environment before anything loads TensorFlow)
"""The classifier on clinical close-ups: DermNet photos of one spot, per kind of lesion.

The classifier learned from dermatoscope images; users send phone close-ups. This runs
DermNet NZ close-ups (`../shared/data/clinical`) of the single-spot topics
(`training/gate/clinical_topics.csv`) of each class the model knows (`CLASS_TOPICS`)
through the bot's path (`model.assessment.assess_photo`: the quality gate, the served
photo-type gate, then the classifier's LiteRT file with the card's preprocessing and
test-time views). Within those topics a photo with a framing label (`framing.csv`) is
kept only when it is `one_lesion`; a photo without one is kept on its topic alone (the
table says which). Photos the gates refuse are answered by the classifier too, to
measure it on every close-up.

Printed per class and topic: photos, the share the gates answer, and among all photos
and among the answered ones: the share whose top class is the topic's class (named),
the share flagged (a moderate or high risk level), the risk-level shares; then the
top-class distribution per class, why the gates refused photos, and melanoma-against-mole
ROC AUC (P(melanoma)). `--write-card` stores the answered photos' figures in the
classifier's card as `metrics["close_ups"]` (the card's sha256 covers the .keras file
only, so its check still passes).

DermNet labels are per topic as published (no histology per photo), and the shipped photo
gate was trained on these DermNet topics: its answered share here is optimistic
(`benchmarks/photo_gate.py` holds topics out). No single-spot topic is actinic keratosis
(DermNet's is a widespread topic), so `akiec` has no row.

Needs the shared data beside the repository (`clinical/` beside `dermoscopy/`).

Usage:
    python benchmarks/clinical_close_ups.py [--model PATH] [--gate PATH] [--limit 150]
        [--write-card]
"""

from __future__ import annotations

import argparse
import collections
import csv
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from shared_split import LEVELS, REPO_ROOT, SHARED_DATA

import numpy as np
from sklearn.metrics import roc_auc_score

from model.assessment import assess_photo
from model.card import card_path_for, load_card
from model.lesions import MALIGNANT
from model.loader import LoadedModel, load_model
from model.photo_gate import ServedGate, load_served_gate
from model.predictor import Prediction, Predictor
from preprocessing import InvalidImageError, decode_image

CLINICAL = SHARED_DATA.parent / "clinical"
TOPICS_TABLE = REPO_ROOT / "training" / "gate" / "clinical_topics.csv"
SOURCE = "DermNetNZ"
CLASS_TOPICS = {
    "melanoma": (
        "Melanoma",
        "Melanoma in situ",
        "Nodular melanoma",
        "Amelanotic melanoma",
        "Acral lentiginous melanoma",
    ),
    "nevus": (
        "Melanocytic naevus",
        "Atypical melanocytic naevus",
        "Blue nevus",
        "Halo naevus",
        "Meyerson naevus",
    ),
    "bcc": ("Basal cell carcinoma",),
    "scc": ("Squamous cell carcinoma",),
    "bkl": ("Solar lentigo", "Atypical solar lentigo", "Lichenoid keratosis"),
    "df": ("Dermatofibroma",),
    "vasc": ("Cherry angioma", "Spider angioma", "Pyogenic granuloma"),
}
"""DermNet NZ single-spot topics of each class (ISIC 2019's: BKL holds solar lentigines and
lichen planus-like keratoses, VASC angiomas and pyogenic granulomas)."""


@dataclasses.dataclass(frozen=True)
class CloseUp:
    """One photo and what the path answered."""

    lesion_class: str
    topic: str
    basis: str  # "one_lesion" (framing label) or "topic" (no framing label)
    answered: bool
    outcome: str  # the assessment's outcome ("prediction", "several_lesions", ...)
    prediction: Prediction | None  # None only for an undecodable file


def chosen_photos(limit: int, seed: int) -> tuple[list[tuple[str, str, str, Path]], list[str]]:
    """The close-ups to run: (class, topic, basis, path), and one note per topic."""
    with TOPICS_TABLE.open(encoding="utf-8", newline="") as handle:
        kinds = {(r["source"], r["topic"]): r["kind"] for r in csv.DictReader(handle)}
    with (CLINICAL / "framing.csv").open(encoding="utf-8", newline="") as handle:
        framing = {r["image"]: r["framing"] for r in csv.DictReader(handle)}
    with (CLINICAL / "labels.csv").open(encoding="utf-8", newline="") as handle:
        by_topic = collections.defaultdict(list)
        for row in csv.DictReader(handle):
            if row["source"] == SOURCE:
                by_topic[row["topic"]].append(row["image"])
    rng = np.random.default_rng(seed)
    photos, notes = [], []
    for lesion_class, topics in CLASS_TOPICS.items():
        for topic in topics:
            if kinds.get((SOURCE, topic)) != "single_spot":
                raise SystemExit(f"{topic!r} is not a single-spot topic in {TOPICS_TABLE.name}")
            images = by_topic[topic]
            kept = [(i, "one_lesion") for i in images if framing.get(i) == "one_lesion"]
            kept += [(i, "topic") for i in images if i not in framing]
            if len(kept) > limit:
                kept = [kept[k] for k in sorted(rng.choice(len(kept), limit, replace=False))]
            framed = sum(1 for basis in kept if basis[1] == "one_lesion")
            notes.append(
                f"{lesion_class:<9} {topic:<28} {len(images):>4} photos, {framed:>3} framing "
                f"one_lesion, {len(kept) - framed:>3} topic only (no framing label) kept"
            )
            photos += [(lesion_class, topic, basis, CLINICAL / image) for image, basis in kept]
    return photos, notes


def run(
    photos: list[tuple[str, str, str, Path]], model: Path | None, gate: Path | None
) -> tuple[list[CloseUp], LoadedModel, ServedGate]:
    """Every photo through both gates and the classifier; also the loaded model and gate."""
    loaded = load_model(model)
    predictor, served_gate = Predictor(loaded), load_served_gate(gate)
    found = []
    for lesion_class, topic, basis, path in photos:
        try:
            image = decode_image(path.read_bytes())
        except InvalidImageError:
            found.append(CloseUp(lesion_class, topic, basis, False, "invalid", None))
            continue
        assessment = assess_photo(image, predictor, served_gate)
        # The model's own answer: the served one raises a close-up's "low" to "moderate".
        prediction = predictor.predict([image])[0]
        answered = assessment.prediction is not None
        found.append(CloseUp(lesion_class, topic, basis, answered, assessment.outcome, prediction))
    return found, loaded, served_gate


@dataclasses.dataclass(frozen=True)
class Figures:
    """What the classifier said about some photos of one class."""

    n: int
    named: float  # top class is the photos' class
    flagged: float  # risk level moderate or high
    levels: dict[str, float]
    top: collections.Counter[str]


def figures(lesion_class: str, photos: list[CloseUp]) -> Figures:
    """Named, flagged and level shares, and the top classes, of photos with an answer."""
    answers = [p.prediction for p in photos if p.prediction is not None]
    count = max(len(answers), 1)
    levels = collections.Counter(a.risk_level.value for a in answers)
    return Figures(
        n=len(answers),
        named=sum(a.lesion_class == lesion_class for a in answers) / count,
        flagged=sum(a.risk_level.value != "low" for a in answers) / count,
        levels={level: levels[level] / count for level in LEVELS},
        top=collections.Counter(a.lesion_class for a in answers),
    )


def row(name: str, photos: list[CloseUp], lesion_class: str) -> str:
    """One table row: photos, answered share, then all and answered figures."""
    answered = [p for p in photos if p.answered]
    cells = [f"{name:<30} {len(photos):>6} {len(answered) / max(len(photos), 1):>8.1%}"]
    for group in (photos, answered):
        found = figures(lesion_class, group)
        cells.append(
            f"{found.n:>5} {found.named:>6.1%} {found.flagged:>7.1%} "
            + " ".join(f"{found.levels[level]:>8.0%}" for level in LEVELS)
        )
    return " | ".join(cells)


def distribution(
    by_class: dict[str, list[CloseUp]], classes: tuple[str, ...], answered: bool
) -> None:
    """Print the share of each class's photos whose top class is each of the model's."""
    print(f"{'':<10}" + "".join(f"{name:>9}" for name in classes) + f"{'n':>6}")
    for lesion_class, photos in by_class.items():
        found = figures(lesion_class, [p for p in photos if p.answered or not answered])
        shares = "".join(f"{found.top[name] / max(found.n, 1):>9.1%}" for name in classes)
        print(f"{lesion_class:<10}{shares}{found.n:>6}")


def melanoma_auc(photos: list[CloseUp]) -> str:
    """Melanoma-against-mole ROC AUC of P(melanoma | melanoma or mole), or why there is none."""
    pairs = [p for p in photos if p.prediction and p.lesion_class in ("melanoma", "nevus")]
    labels = np.array([p.lesion_class == "melanoma" for p in pairs])
    if not 0 < labels.sum() < labels.size:
        return "n/a"
    scores = [
        p.prediction.melanoma_probability
        / max(p.prediction.melanoma_probability + p.prediction.class_probabilities["nevus"], 1e-12)
        for p in pairs
        if p.prediction
    ]  # P(melanoma) / (P(melanoma) + P(mole)), as `model.lesions.melanoma_against_mole`
    auc = roc_auc_score(labels, scores)
    return f"{auc:.3f} ({int(labels.sum())} melanomas, {int((~labels).sum())} moles)"


def by_answer(by_class: dict[str, list[CloseUp]]) -> dict[str, dict[str, float | int]]:
    """Per kind the model named: how many answered photos, the share truly of that kind,
    and the share that were melanomas or carcinomas (what a person told that kind needs)."""
    answered = [p for photos in by_class.values() for p in photos if p.answered and p.prediction]
    found: dict[str, dict[str, float | int]] = {}
    for kind in sorted({p.prediction.lesion_class for p in answered if p.prediction}):
        named = [p for p in answered if p.prediction and p.prediction.lesion_class == kind]
        found[kind] = {
            "n": len(named),
            "right": sum(p.lesion_class == kind for p in named) / len(named),
            "malignant": sum(p.lesion_class in MALIGNANT for p in named) / len(named),
        }
    return found


def write_card(model_path: Path, by_class: dict[str, list[CloseUp]]) -> Path:
    """Store the answered photos' figures as the card's `metrics["close_ups"]`: per true
    class (`by_kind`) and per kind the model named (`by_answer`, what the bot quotes)."""
    stored = {}
    for lesion_class, photos in by_class.items():
        found = figures(lesion_class, [p for p in photos if p.answered])
        empty = found.n == 0
        stored[lesion_class] = {
            "n": found.n,
            "named": None if empty else found.named,
            "flagged": None if empty else found.flagged,
            "levels": None if empty else found.levels,
            "topics": list(dict.fromkeys(p.topic for p in photos)),
            "answered_share": sum(p.answered for p in photos) / max(len(photos), 1),
        }
    path = card_path_for(model_path)
    card = json.loads(path.read_text(encoding="utf-8"))
    card.setdefault("metrics", {})["close_ups"] = {
        "by_kind": stored,
        "by_answer": by_answer(by_class),
        "photos": "DermNet NZ close-ups labelled one_lesion, answered by both gates",
    }
    path.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    load_card(model_path)  # still valid: the sha256 covers the .keras file only
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--gate", type=Path, default=None, help="default: the shipped gate")
    parser.add_argument("--limit", type=int, default=150, help="most photos per topic")
    parser.add_argument("--seed", type=int, default=0, help="which photos --limit keeps")
    parser.add_argument("--write-card", action="store_true", help='store metrics["close_ups"]')
    arguments = parser.parse_args()
    if not (CLINICAL / "labels.csv").is_file():
        raise SystemExit(f"clinical photos not found at {CLINICAL}: nothing to measure")

    photos, notes = chosen_photos(arguments.limit, arguments.seed)
    started = time.perf_counter()
    found, loaded, gate = run(photos, arguments.model, arguments.gate)
    card = loaded.card
    trained_on = gate.card.get("training", {}).get("config", {}).get("clinical")
    print(
        f"model {card.model_version} ({len(card.classes)} classes, {card.test_time_views} "
        f"views), photo gate {gate.card.get('gate_version')}; {len(found)} DermNet NZ close-ups "
        f"in {time.perf_counter() - started:.0f} s"
    )
    if trained_on:
        print("note: the photo gate was trained on these DermNet topics: answered share optimistic")
    print("photos chosen per topic (at most --limit a topic):")
    for note in notes:
        print(f"  {note}")

    by_class: dict[str, list[CloseUp]] = {name: [] for name in CLASS_TOPICS}
    for photo in found:
        by_class[photo.lesion_class].append(photo)
    figure_names = f"{'n':>5} {'named':>6} {'flagged':>7} " + " ".join(
        f"{level:>8}" for level in LEVELS
    )
    width = len(figure_names)
    print(f"\n{'':<47} | {'all photos':^{width}} | {'answered by the gates':^{width}}")
    print(f"{'class / topic':<30} {'photos':>6} {'answered':>8} | {figure_names} | {figure_names}")
    for lesion_class, photos_of_class in by_class.items():
        print(row(lesion_class, photos_of_class, lesion_class))
        for topic in CLASS_TOPICS[lesion_class]:
            of_topic = [p for p in photos_of_class if p.topic == topic]
            if len(CLASS_TOPICS[lesion_class]) > 1 and of_topic:
                print(row(f"  {topic}", of_topic, lesion_class))
    print("(named: top class is the topic's class; flagged: risk level moderate or high)")

    for answered in (False, True):
        print(f"\ntop class, share of {'answered' if answered else 'all'} photos of each class")
        distribution(by_class, card.classes, answered)

    print("\nby the kind the model named (answered photos): n, share truly that kind, "
          "share melanoma or carcinoma")  # fmt: skip
    for kind, values in by_answer(by_class).items():
        print(f"  {kind:<9} {values['n']:>4} {values['right']:>7.1%} {values['malignant']:>7.1%}")

    print("\nwhy the gates gave no risk level (share of all photos of each class)")
    for lesion_class, photos_of_class in by_class.items():
        outcomes = collections.Counter(p.outcome for p in photos_of_class if not p.answered)
        count = max(len(photos_of_class), 1)
        shares = ", ".join(f"{name} {n / count:.1%}" for name, n in outcomes.most_common())
        print(f"{lesion_class:<10} {shares or '-'}")

    answered_photos = [p for p in found if p.answered]
    print(
        "\nmelanoma against mole, P(melanoma | melanoma or mole): "
        f"all photos {melanoma_auc(found)}; answered {melanoma_auc(answered_photos)}"
    )
    if arguments.write_card:
        path = write_card(loaded.path, by_class)
        print(f'wrote metrics["close_ups"] (answered photos) to {path}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
