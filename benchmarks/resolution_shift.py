"""Does a photo's resolution change the answer? The same test photos at their own size and at 84 px.

BCN20000's photos are 84 x 84 px, and they hold most of the melanomas, basal cell
carcinomas and actinic keratoses, against 150-256 px for HAM10000 and ISIC 2017: a model
can learn "low detail means malignant". This answers every HAM10000 and ISIC 2017 photo
of the split twice, as sent and shrunk so its short side is 84 px (OpenCV area
interpolation, before the card's `preprocess()`, as a BCN20000 photo was), through the
served LiteRT file as the bot does, and prints:

1. the share of photos whose top class changes and whose risk level changes (with
   counts), overall, per source and per true class, beside the share named right and
   the share flagged (moderate or high) at each size;
2. how many photos each class is the top class of, at each size (where the changed
   answers go);
3. melanoma against mole (their photos only): the mean P(melanoma) of the moles and of
   the melanomas at each size and its shift, the share whose risk level changes, and
   ROC AUC at each size, per source.

A model that took the shortcut flags more photos at 84 px (false alarms), moves them
to the classes BCN20000 holds most of, and changes many levels. Works for one-logit
(melanoma-vs-nevus) and eight-class cards; run it for an earlier model on its own split
for the side-by-side baseline (see docs/model.md).

Needs the shared data beside the repository.

Usage:
    python benchmarks/resolution_shift.py [--model PATH] [--split-file CSV] [--split test]
        [--limit N]  (at most N photos per source x class: a smoke run)
"""

from __future__ import annotations

import functools
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    is_melanoma,
    load_model_and_records,
    melanoma_probabilities,
    model_inputs,
    parse_arguments,
    risk_levels,
    top_classes,
    true_classes,
)

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.lesions import LESION_CLASSES, MELANOMA, NEVUS  # noqa: E402
from model.predictor import Predictor  # noqa: E402
from preprocessing.geometry import shrink_to  # noqa: E402

BCN20000_SIDE = 84
"""BCN20000's photos are 84 x 84 px."""


def share(hits: np.ndarray) -> str:
    """A bool array as "hits/n share"."""
    return f"{int(hits.sum()):>4}/{hits.size:<4} {hits.mean() if hits.size else 0.0:>6.1%}"


def auc_or_nan(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC, NaN when only one class is present."""
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < labels.size else np.nan


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    loaded, records, _ = load_model_and_records(arguments)
    records = [r for r in records if r.source != "BCN20000"]  # already 84 px
    if not records:
        raise SystemExit("no HAM10000 or ISIC 2017 photos in this split")
    predictor = Predictor(loaded)
    card = loaded.card
    print(
        f"model {card.model_version} ({predictor.runtime}, {len(card.classes)} classes), "
        f"{len(records)} photos of {arguments.split_file.name}:{arguments.split} outside BCN20000"
    )
    answers = {}
    with ProcessPoolExecutor() as pool:
        for side in (0, BCN20000_SIDE):
            change = functools.partial(shrink_to, short_side=side) if side else None
            images = model_inputs(pool, records, card.preprocessing, change)
            logits = predictor.logits(images)
            answers[side] = {
                "melanoma": melanoma_probabilities(logits, card),
                "level": risk_levels(logits, card),
                "top": top_classes(logits, card),
            }
    own, small = answers[0], answers[BCN20000_SIDE]
    truth = true_classes(records)
    sources = np.array([r.source for r in records])
    top_changed = own["top"] != small["top"]
    level_changed = own["level"] != small["level"]

    print("\n1. changed by shrinking to 84 px (count/n share); named right, flagged: each size")
    print(
        f"{'photos':<18} {'n':>5} {'top class changed':>18} {'risk level changed':>19} "
        f"{'named right: own':>17} {'84 px':>6} {'flagged: own':>13} {'84 px':>6}"
    )
    groups = [("all", np.ones(len(records), bool))]
    groups += [(f"source {s}", sources == s) for s in sorted(set(sources))]
    groups += [(f"class {c}", truth == c) for c in LESION_CLASSES if (truth == c).any()]
    for name, chosen in groups:
        named = [(answer["top"][chosen] == truth[chosen]).mean() for answer in (own, small)]
        flagged = [(answer["level"][chosen] > 0).mean() for answer in (own, small)]
        print(
            f"{name:<18} {int(chosen.sum()):>5} {share(top_changed[chosen]):>18} "
            f"{share(level_changed[chosen]):>19} {named[0]:>17.3f} {named[1]:>6.3f} "
            f"{flagged[0]:>13.3f} {flagged[1]:>6.3f}"
        )
    print(
        f"top class changed for {top_changed.mean():.1%} and risk level for "
        f"{level_changed.mean():.1%} of {len(records)} photos"
    )

    print("\n2. photos per top class (all photos): own size -> 84 px")
    for name in card.classes:
        before, after = int((own["top"] == name).sum()), int((small["top"] == name).sum())
        ratio = f"{after / before:.2f}x" if before else "-"
        print(f"{name:<10} {before:>5} -> {after:>5}  ({after - before:+d}, {ratio})")

    print("\n3. melanoma against mole (their photos only), P(melanoma)")
    pair = np.isin([r.label for r in records], (NEVUS, MELANOMA))
    labels = is_melanoma(records)
    print(
        f"{'source':<10} {'class':<9} {'n':>5} {'mean p: own size':>17} {'84 px':>7} "
        f"{'shift':>7} {'level changes':>14} {'ROC AUC own / 84 px':>20}"
    )
    for source in [*sorted(set(sources[pair])), "all"]:
        in_source = pair if source == "all" else pair & (sources == source)
        auc = [auc_or_nan(labels[in_source], a["melanoma"][in_source]) for a in (own, small)]
        for name, in_class in (("moles", ~labels), ("melanomas", labels)):
            chosen = in_source & in_class
            if not chosen.any():
                continue
            before, after = own["melanoma"][chosen].mean(), small["melanoma"][chosen].mean()
            print(
                f"{source:<10} {name:<9} {int(chosen.sum()):>5} {before:>17.3f} {after:>7.3f} "
                f"{after - before:>+7.3f} {level_changed[chosen].mean():>14.3f} "
                f"{auc[0]:>11.3f} / {auc[1]:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
