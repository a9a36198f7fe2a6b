"""Does hair on the skin move the model's answer?

Two checks on the test split, printed side by side:

* synthetic hair: every photo is answered as it is and with hair drawn on it first
  (`preprocessing.hair.add_synthetic_hair`, as training draws it, then the card's
  `preprocess()` with its hair removal). Printed per true class: the mean P(melanoma),
  the share flagged (moderate or high risk) and the share of photos whose risk level
  and whose top class change; then the melanoma-against-mole ROC AUC of both answers.
* real hair: the benign moles (nevi) of the test split, grouped by how much hair
  `preprocessing.hair.hair_mask` finds on the original photo. Printed per group: the
  mean P(melanoma) and the share given a moderate or high risk level (false alarms).
  A model that learned "hair means melanoma" raises more false alarms on hairy skin.

Works for one-logit and eight-class cards (the risk level is the card's rule).
Needs the shared dermoscopy data beside the repository.

Usage:
    python benchmarks/hair_robustness.py [--model PATH] [--split-file CSV] [--split test]
        [--limit N]  (at most N photos per source x class: a smoke run)
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    is_melanoma,
    load_model_and_records,
    melanoma_probabilities,
    parse_arguments,
    risk_levels,
    top_classes,
    true_classes,
)

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.lesions import LESION_CLASSES, MELANOMA, NEVUS  # noqa: E402
from preprocessing.hair import hair_mask  # noqa: E402
from training.classifier.cache import preprocess_records  # noqa: E402
from training.datasets import load_image_rgb  # noqa: E402
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
    labels, truth = is_melanoma(records), true_classes(records)
    pair = np.isin([r.label for r in records], (NEVUS, MELANOMA))
    probabilities, levels, top = {}, {}, {}
    for name, seeds in (
        ("as sent", None),
        ("hair drawn", [HAIR_SEED + i for i in range(len(records))]),
    ):
        images, keep = preprocess_records(
            records, card.preprocessing, hair_seeds=seeds, cache_dir=None, description=name
        )
        if not keep.all():  # answers would no longer line up with their labels
            raise SystemExit(f"{int((~keep).sum())} unreadable photos in the split")
        logits = predict_logits(loaded.model, images, views=card.test_time_views)
        probabilities[name] = melanoma_probabilities(logits, card)
        levels[name] = risk_levels(logits, card)
        top[name] = top_classes(logits, card)
    print(f"model {card.model_version} ({len(card.classes)} classes), {len(records)} photos")
    print(
        f"{'synthetic hair':<16} {'n':>5} {'mean p(mel) as sent':>20} {'hair':>6} "
        f"{'flagged as sent':>16} {'hair':>6} {'level changes':>14} {'top changes':>12}"
    )
    for name in LESION_CLASSES:
        chosen = truth == name
        if not chosen.any():
            continue
        before, after = (levels[key][chosen] for key in ("as sent", "hair drawn"))
        top_changed = np.mean(top["as sent"][chosen] != top["hair drawn"][chosen])
        print(
            f"{name:<16} {int(chosen.sum()):>5} {probabilities['as sent'][chosen].mean():>20.3f} "
            f"{probabilities['hair drawn'][chosen].mean():>6.3f} {np.mean(before > 0):>16.3f} "
            f"{np.mean(after > 0):>6.3f} {np.mean(before != after):>14.3f} {top_changed:>12.3f}"
        )
    if 0 < labels.sum() < pair.sum():
        aucs = [roc_auc_score(labels[pair], probabilities[key][pair]) for key in probabilities]
        print(f"melanoma-against-mole ROC AUC as sent {aucs[0]:.3f}, with hair drawn {aucs[1]:.3f}")

    nevi = [index for index, name in enumerate(truth) if name == "nevus"]
    coverage = np.array([np.mean(hair_mask(load_image_rgb(records[i].path)) > 0) for i in nevi])
    nevus_probabilities = probabilities["as sent"][nevi]
    nevus_levels = levels["as sent"][nevi]
    print(f"{'real hair (nevi)':<16} {'photos':>8} {'mean p(mel)':>12} {'false alarms':>13}")
    for low, high, name in HAIR_GROUPS:
        chosen = (coverage >= low) & (coverage < high)
        if not chosen.any():
            print(f"{name:<16} {0:>8}")
            continue
        alarms = np.mean(nevus_levels[chosen] > 0)
        mean = nevus_probabilities[chosen].mean()
        print(f"{name:<16} {int(chosen.sum()):>8} {mean:>12.3f} {alarms:>13.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
