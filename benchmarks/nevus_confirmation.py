"""How well does the model tell melanomas from each kind of mole: followed up, or excised?

HAM10000 records how each nevus was confirmed (`dx_type` in `labels.csv`): by follow-up
(moles that looked harmless enough to watch), by histopathology (moles a doctor found
suspicious enough to excise) or by expert consensus. The excised ones are the hard
negatives, and the ones a clinic's or GP's second opinion is about. Prints ROC AUC with
its 95 % bootstrap interval of all the split's HAM10000 melanomas against each kind of
HAM10000 nevus, and of ISIC 2017's melanomas against its nevi (their confirmation is
not recorded; the challenge's benign lesions were mostly excised), with the false-alarm
rate (1 - specificity) at the card's screening threshold.

Usage:
    python benchmarks/nevus_confirmation.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments  # noqa: E402, I001

import numpy as np  # noqa: E402

from model.predictor import calibrate  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from training.cache import preprocess_records  # noqa: E402
from training.data import MELANOMA  # noqa: E402
from training.inputs import predict_logits  # noqa: E402
from training.metrics import bootstrap_auc  # noqa: E402


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    loaded, records, _ = load_model_and_records(arguments)
    card = loaded.card
    with (SHARED_DATA / "labels.csv").open(newline="") as file:
        confirmed_by = {
            row["image_id"]: row["dx_type"] or "unknown" for row in csv.DictReader(file)
        }
    images, keep = preprocess_records(records, card.preprocessing, description="photos")
    records = [r for r, k in zip(records, keep, strict=True) if k]
    logits = predict_logits(loaded.model, images, views=card.test_time_views).ravel()
    alarms = calibrate(logits, card.calibration) >= card.thresholds.screening
    melanoma = np.array([r.label == MELANOMA for r in records])
    source = np.array([r.source for r in records])
    kind = np.array([confirmed_by[r.image_id] for r in records])

    print(
        f"model {card.model_version}, {arguments.split} split; melanomas against each kind of mole"
    )
    print(f"{'moles':<34} {'n':>5} {'ROC AUC (95 % CI)':>22} {'false alarms':>13}")
    for name, nevi, source_name in (
        ("HAM10000, all", ~melanoma & (source == "HAM10000"), "HAM10000"),
        ("HAM10000, followed up", ~melanoma & (kind == "follow_up"), "HAM10000"),
        ("HAM10000, expert consensus", ~melanoma & (kind == "consensus"), "HAM10000"),
        ("HAM10000, excised (histopathology)", ~melanoma & (kind == "histo"), "HAM10000"),
        ("ISIC 2017 (mostly excised)", ~melanoma & (source == "ISIC2017"), "ISIC2017"),
    ):
        positives = melanoma & (source == source_name)
        if not nevi.any() or not positives.any():
            continue
        chosen = positives | nevi
        auc, low, high = bootstrap_auc(melanoma[chosen], logits[chosen])
        print(
            f"{name:<34} {int(nevi.sum()):>5} {auc:>8.3f} ({low:.3f}-{high:.3f}) "
            f"{alarms[nevi].mean():>12.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
