"""How much would age, sex and body site add to the photo? (Measured; MelNev does not use them.)

Printed side by side, ROC AUC on validation and test, overall and per source:

* the model's logit alone (the card's test-time views);
* a logistic regression on age, sex and body site alone, fitted on the training split;
* both combined: two weights and a bias fitted on validation (as calibration is), so
  the test split stays untouched (the combined validation figures are therefore
  measured where they were fitted).

Every image in the split file is used (`--split` is ignored).

Needs the shared dermoscopy data (its `labels.csv` has the metadata) and scikit-learn.

Usage:
    python benchmarks/metadata_fusion.py [--model PATH] [--split-file CSV]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments  # noqa: E402, I001

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from tests.conftest import SHARED_DATA  # noqa: E402
from training.cache import preprocess_records  # noqa: E402
from training.data import MELANOMA  # noqa: E402
from training.inputs import predict_logits  # noqa: E402


def metadata_features(rows: list[dict[str, str]]) -> np.ndarray:
    """Return the metadata features of `labels.csv` rows, one row per image.

    Age / 100 (0.5 when missing, with a missing flag), sex and body site one-hot.
    """
    ages = [float(row["age"]) if row["age"] else np.nan for row in rows]
    sites = sorted({row["localization"] or "unknown" for row in rows})
    columns = [
        [0.5 if np.isnan(age) else age / 100 for age in ages],
        [float(np.isnan(age)) for age in ages],
        [float(row["sex"] == "male") for row in rows],
        [float(row["sex"] == "female") for row in rows],
        *([float((row["localization"] or "unknown") == site) for row in rows] for site in sites),
    ]
    return np.array(columns).T


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    arguments.split = "all"
    loaded, records, assignment = load_model_and_records(arguments)
    card = loaded.card
    with (SHARED_DATA / "labels.csv").open(newline="") as file:
        metadata = {row["image_id"]: row for row in csv.DictReader(file)}
    split = np.array([assignment[r.image_id] for r in records])
    sources = np.array([r.source for r in records])
    labels = np.array([r.label == MELANOMA for r in records])
    features = metadata_features([metadata[r.image_id] for r in records])

    train = split == "train"
    metadata_model = LogisticRegression(max_iter=5000).fit(features[train], labels[train])
    scores = {
        "metadata": metadata_model.decision_function(features),
        "photo": np.zeros(len(records)),
    }
    held = np.flatnonzero(split != "train")
    images, keep = preprocess_records(
        [records[i] for i in held], card.preprocessing, description="photos"
    )
    held = held[keep]  # unreadable photos keep a zero logit
    scores["photo"][held] = predict_logits(loaded.model, images, views=card.test_time_views).ravel()
    both = np.column_stack([scores["photo"], scores["metadata"]])
    validation = split == "val"
    fusion = LogisticRegression(max_iter=5000).fit(both[validation], labels[validation])
    scores["photo + metadata"] = fusion.decision_function(both)

    print(f"model {card.model_version}; ROC AUC (overall / HAM10000 / ISIC2017)")
    print(f"{'':<18} {'validation':>24} {'test':>24}")
    for name, score in scores.items():
        cells = []
        for part in ("val", "test"):
            values = []
            for source in (None, "HAM10000", "ISIC2017"):
                chosen = (split == part) & ((sources == source) if source else True)
                values.append(f"{roc_auc_score(labels[chosen], score[chosen]):.3f}")
            cells.append(" / ".join(values))
        print(f"{name:<18} {cells[0]:>24} {cells[1]:>24}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
