"""Does hair on the skin move the model's answer?

Two checks on the test split, printed side by side:

* synthetic hair: every photo is answered as it is and with hair drawn on it first
  (`preprocessing.hair.add_synthetic_hair`, as training draws it, then the card's
  `preprocess()` with its hair removal). Printed per class: the mean probability and the
  share of photos whose risk level changes; then the ROC AUC of both answers, overall.
* real hair: the benign moles (nevi) of the test split, grouped by how much hair
  `preprocessing.hair.hair_mask` finds on the original photo. Printed per group: the
  mean probability and the share answered above the screening threshold (false
  alarms). A model that learned "hair means melanoma" raises more false alarms on
  hairy skin.

Needs the shared dermoscopy data beside the repository.

Usage:
    python benchmarks/hair_robustness.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments, risk_levels  # noqa: E402, I001

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.predictor import calibrate  # noqa: E402
from preprocessing.hair import hair_mask  # noqa: E402
from training.classifier.cache import preprocess_records  # noqa: E402
from training.datasets import MELANOMA, load_image_rgb  # noqa: E402
from training.classifier.inputs import predict_logits  # noqa: E402

HAIR_SEED = 1000
# Share of a photo's pixels the hair mask covers, bounding the "real hair" groups.
HAIR_GROUPS = (
    (0.0, 0.005, "no hair (<0.5 %)"),
    (0.005, 0.03, "some hair"),
    (0.03, 1.0, "hairy (>3 %)"),
)


def main() -> int:
    loaded, records, _ = load_model_and_records(parse_arguments(__doc__.splitlines()[0]))
    card = loaded.card
    labels = np.array([r.label == MELANOMA for r in records])
    probabilities, levels = {}, {}
    for name, seeds in (
        ("as sent", None),
        ("hair drawn", [HAIR_SEED + i for i in range(len(records))]),
    ):
        images, keep = preprocess_records(
            records, card.preprocessing, hair_seeds=seeds, cache_dir=None, description=name
        )
        if not keep.all():  # answers would no longer line up with their labels
            raise SystemExit(f"{int((~keep).sum())} unreadable photos in the split")
        logits = predict_logits(loaded.model, images, views=card.test_time_views).ravel()
        probabilities[name] = calibrate(logits, card.calibration).ravel()
        levels[name] = risk_levels(logits, card)
    print(f"model {card.model_version}, {len(records)} photos")
    print(
        f"{'synthetic hair':<16} {'mean p as sent':>15} {'mean p hair':>12} {'level changes':>14}"
    )
    for value, name in ((False, "nevus"), (True, "melanoma")):
        chosen = labels == value
        changed = np.mean(levels["as sent"][chosen] != levels["hair drawn"][chosen])
        print(
            f"{name:<16} {probabilities['as sent'][chosen].mean():>15.3f} "
            f"{probabilities['hair drawn'][chosen].mean():>12.3f} {changed:>14.3f}"
        )
    print(
        f"ROC AUC as sent {roc_auc_score(labels, probabilities['as sent']):.3f}, "
        f"with hair drawn {roc_auc_score(labels, probabilities['hair drawn']):.3f}"
    )

    nevi = [index for index, value in enumerate(labels) if not value]
    coverage = np.array([np.mean(hair_mask(load_image_rgb(records[i].path)) > 0) for i in nevi])
    nevus_probabilities = probabilities["as sent"][nevi]
    print(f"{'real hair (nevi)':<16} {'photos':>8} {'mean p':>8} {'false alarms':>13}")
    for low, high, name in HAIR_GROUPS:
        chosen = (coverage >= low) & (coverage < high)
        if not chosen.any():
            print(f"{name:<16} {0:>8}")
            continue
        alarms = np.mean(nevus_probabilities[chosen] >= card.thresholds.screening)
        mean = nevus_probabilities[chosen].mean()
        print(f"{name:<16} {int(chosen.sum()):>8} {mean:>8.3f} {alarms:>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
