"""How well does the model tell melanomas from each kind of mole: followed up, or excised?

HAM10000 records how each nevus was confirmed (`dx_type` in `labels.csv`): by follow-up
(moles that looked harmless enough to watch), by histopathology (moles a doctor found
suspicious enough to excise) or by expert consensus. The excised ones are the hard
negatives, and the ones a clinic's or GP's second opinion is about. Prints ROC AUC with
its 95 % bootstrap interval of all the split's HAM10000 melanomas against each kind of
HAM10000 nevus, and of ISIC 2017's melanomas against its nevi (their confirmation is
not recorded; the challenge's benign lesions were mostly excised), with the false-alarm
rate (1 - specificity) at the card's screening threshold; and of every melanoma against
every mole but HAM10000's followed-up ones, whose photos give them away
(`benchmarks/acquisition_shortcut.py`).

Usage:
    python benchmarks/nevus_confirmation.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments  # noqa: E402, I001

import numpy as np  # noqa: E402

from model.predictor import calibrate  # noqa: E402
from training.cache import preprocess_records  # noqa: E402
from training.data import FOLLOW_UP, MELANOMA  # noqa: E402
from training.inputs import predict_logits  # noqa: E402
from training.confirmation import metrics_by_nevus_confirmation  # noqa: E402
from training.metrics import binary_metrics, metrics_by_source  # noqa: E402


def print_row(name: str, entry: dict[str, Any]) -> None:
    """One table row from `binary_metrics` or `metrics_by_nevus_confirmation` output."""
    if "n_nevi" in entry:
        moles, false_alarms = entry["n_nevi"], entry["screening_false_alarm_rate"]
    else:
        moles = entry["n"] - entry["n_melanoma"]
        false_alarms = 1 - entry["screening"]["specificity"]
    print(
        f"{name:<42} {moles:>5} {entry['roc_auc']:>8.3f} "
        f"({entry['roc_auc_ci_low']:.3f}-{entry['roc_auc_ci_high']:.3f}) {false_alarms:>12.1%}"
    )


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    loaded, records, _ = load_model_and_records(arguments)
    card = loaded.card
    images, keep = preprocess_records(records, card.preprocessing, description="photos")
    records = [r for r, k in zip(records, keep, strict=True) if k]
    logits = predict_logits(loaded.model, images, views=card.test_time_views).ravel()
    probabilities = calibrate(logits, card.calibration)
    labels = np.array([r.label == MELANOMA for r in records])
    sources = [r.source for r in records]
    # ISIC 2017 records no confirmation; its benign lesions were mostly excised.
    confirmations = [r.confirmation or "not recorded" for r in records]
    by_kind = metrics_by_nevus_confirmation(
        labels, probabilities, sources, confirmations, card.thresholds
    )
    overall = metrics_by_source(labels, probabilities, sources, card.thresholds)

    print(f"model {card.model_version}, {arguments.split} split: melanomas against each mole kind")
    print(f"{'moles':<42} {'n':>5} {'ROC AUC (95 % CI)':>22} {'false alarms':>13}")
    for name, entry in overall.items():
        if name != "overall":
            print_row(f"{name}, all", entry)
    # The honest all-sources figure: HAM10000's followed-up moles can be recognised by
    # the photo alone (benchmarks/acquisition_shortcut.py), so leave them out.
    kept = np.array([c != FOLLOW_UP for c in confirmations])
    print_row(
        "all sources, followed-up moles left out",
        binary_metrics(labels[kept], probabilities[kept], card.thresholds),
    )
    for name, entry in by_kind.items():
        print_row(name, entry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
