"""The kinds of lesion the classifier tells apart, and how they make a risk level.

The eight ISIC 2019 classes (UNK has no training images). The order is the model's output
order and the integer label of a training record: nevus 0 and melanoma 1, as in the
melanoma-vs-nevus models before 4.0.0, then the six others.

The risk level answers "how soon should a doctor see this", from the malignant classes:
melanoma, basal and squamous cell carcinoma, and actinic keratosis (precancerous).

    malignant score = P(melanoma) + P(bcc) + P(scc) + P(akiec)
    urgent score    = P(melanoma) + P(scc)

    high      when the urgent score reaches the card's `balanced` threshold
    moderate  when the malignant score reaches the card's `screening` threshold,
              or the most likely kind is a malignant one
    low       otherwise

The second moderate clause keeps the answer from contradicting itself: "looks most like a
melanoma" never comes with "low".

A basal cell carcinoma or an actinic keratosis alone is at most "moderate": both grow
slowly and need a doctor within weeks, not days. Melanoma and squamous cell carcinoma can
spread, so they alone can make a photo "high".
"""

from __future__ import annotations

import numpy as np

LESION_CLASSES = ("nevus", "melanoma", "bcc", "bkl", "akiec", "scc", "df", "vasc")
"""Class names in output order; a record's label is the index."""

PLAIN_NAMES = {
    "nevus": "mole (melanocytic nevus)",
    "melanoma": "melanoma",
    "bcc": "basal cell carcinoma",
    "bkl": "benign keratosis (seborrheic keratosis, solar lentigo)",
    "akiec": "actinic keratosis",
    "scc": "squamous cell carcinoma",
    "df": "dermatofibroma",
    "vasc": "vascular lesion (angioma)",
}
"""Each class in plain English (the command line; the bot has its own texts)."""

NEVUS, MELANOMA = 0, 1
BINARY_CLASSES = LESION_CLASSES[:2]
"""The classes of a melanoma-vs-nevus model (one logit; cards before 4.0.0)."""

MALIGNANT = ("melanoma", "bcc", "scc", "akiec")
URGENT = ("melanoma", "scc")

LABEL_ALIASES = {
    "nevus": NEVUS, "naevus": NEVUS, "nv": NEVUS, "0": NEVUS,
    "melanoma": MELANOMA, "mel": MELANOMA, "1": MELANOMA,
    "bcc": 2, "basal_cell_carcinoma": 2,
    "bkl": 3, "sek": 3, "seborrheic_keratosis": 3, "benign_keratosis": 3,
    "akiec": 4, "ak": 4, "actinic_keratosis": 4,
    "scc": 5, "squamous_cell_carcinoma": 5,
    "df": 6, "dermatofibroma": 6,
    "vasc": 7, "vascular_lesion": 7,
}  # fmt: skip
"""Spellings of a class in folders, labels.csv and ISIC/HAM10000 codes -> label."""


def parse_label(value: object) -> int | None:
    """Map a class spelling ("melanoma", "mel", "BCC", "ak", ...) to its label, or None."""
    return LABEL_ALIASES.get(str(value).strip().lower())


def class_indices(classes: tuple[str, ...], members: tuple[str, ...]) -> list[int]:
    """Positions in `classes` of those `members` the model has."""
    return [classes.index(name) for name in members if name in classes]


def malignant_scores(probabilities: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """Sum of the malignant classes' probabilities, per row of (N, K) `probabilities`."""
    return np.asarray(probabilities)[:, class_indices(classes, MALIGNANT)].sum(axis=1)


def urgent_scores(probabilities: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """Sum of the melanoma and squamous cell carcinoma probabilities, per row."""
    return np.asarray(probabilities)[:, class_indices(classes, URGENT)].sum(axis=1)


def melanoma_against_mole(probabilities: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """P(melanoma) / (P(melanoma) + P(nevus)): how much more a melanoma than a mole, per row.

    The melanoma-against-mole score of any model (for a one-logit model it is P(melanoma)).
    P(melanoma) alone ranks melanomas against moles worse: a mole that also looks a little
    like a keratosis gets a lower P(melanoma) without looking any less like a melanoma.
    """
    array = np.asarray(probabilities, np.float64)
    melanoma = array[:, classes.index("melanoma")]
    return melanoma / np.maximum(melanoma + array[:, classes.index("nevus")], 1e-12)


def risk_levels(
    probabilities: np.ndarray, classes: tuple[str, ...], *, screening: float, balanced: float
) -> np.ndarray:
    """The rule above for (N, K) class probabilities: an array of "low"/"moderate"/"high"."""
    probability_array = np.asarray(probabilities)
    malignant = malignant_scores(probability_array, classes)
    urgent = urgent_scores(probability_array, classes)
    top_is_malignant = np.isin(probability_array.argmax(axis=1), class_indices(classes, MALIGNANT))
    levels = np.where((malignant >= screening) | top_is_malignant, "moderate", "low")
    levels = levels.astype(object)
    levels[urgent >= balanced] = "high"
    return levels
