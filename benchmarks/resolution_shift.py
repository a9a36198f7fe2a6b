"""Does a photo's resolution change the answer? The same test photos at their own size and at 84 px.

BCN20000's photos are 84 x 84 px and 40 % of them are melanomas, against 150-256 px and
14 % in the other sources: a model can learn "low detail means melanoma". This answers
every test photo of the other sources twice, as sent and shrunk so its short side is
84 px (OpenCV area interpolation, before the card's `preprocess()`, as a BCN20000
photo was), through the served LiteRT file as the bot does. Printed per source: the
mean melanoma probability of the moles and of the melanomas at each size and its
shift, the share of photos whose risk level changes, and ROC AUC at each size.

A model that took the shortcut raises the moles' probability at 84 px (false alarms)
and changes many levels. Run it for the model before BCN20000 (2.6.0) on its own split
for the side-by-side baseline (see docs/model.md).

Needs the shared data beside the repository.

Usage:
    python benchmarks/resolution_shift.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import functools
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    load_model_and_records,
    model_inputs,
    parse_arguments,
    risk_levels,
)

import numpy as np  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from model.predictor import Predictor, calibrate  # noqa: E402
from preprocessing.geometry import shrink_to  # noqa: E402
from training.datasets import MELANOMA  # noqa: E402

BCN20000_SIDE = 84
"""BCN20000's photos are 84 x 84 px."""


def main() -> int:
    arguments = parse_arguments(__doc__.splitlines()[0])
    loaded, records, _ = load_model_and_records(arguments)
    records = [r for r in records if r.source != "BCN20000"]  # already 84 px
    predictor = Predictor(loaded)
    card = loaded.card
    print(
        f"model {card.model_version} ({predictor.runtime}), {len(records)} photos of "
        f"{arguments.split_file.name}:{arguments.split} outside BCN20000"
    )
    answers: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with ProcessPoolExecutor() as pool:
        for side in (0, BCN20000_SIDE):
            change = functools.partial(shrink_to, short_side=side) if side else None
            images = model_inputs(pool, records, card.preprocessing, change)
            logits = predictor.logits(images).ravel()
            answers[side] = (calibrate(logits, card.calibration).ravel(), risk_levels(logits, card))
    own, small = answers[0], answers[BCN20000_SIDE]
    labels = np.array([r.label == MELANOMA for r in records])
    sources = np.array([r.source for r in records])
    print(
        f"{'source':<10} {'class':<9} {'n':>5} {'mean p: own size':>17} {'84 px':>7} "
        f"{'shift':>7} {'level changes':>14} {'ROC AUC own / 84 px':>20}"
    )
    for source in [*sorted(set(sources)), "all"]:
        in_source = np.ones(len(records), bool) if source == "all" else sources == source
        auc = [roc_auc_score(labels[in_source], p[in_source]) for p, _ in (own, small)]
        for name, in_class in (("moles", ~labels), ("melanomas", labels)):
            chosen = in_source & in_class
            before, after = own[0][chosen].mean(), small[0][chosen].mean()
            changed = np.mean(own[1][chosen] != small[1][chosen])
            print(
                f"{source:<10} {name:<9} {int(chosen.sum()):>5} {before:>17.3f} {after:>7.3f} "
                f"{after - before:>+7.3f} {changed:>14.3f} {auc[0]:>11.3f} / {auc[1]:.3f}"
            )
    changed_all = np.mean(own[1] != small[1])
    print(f"risk level changed for {changed_all:.1%} of {len(records)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
