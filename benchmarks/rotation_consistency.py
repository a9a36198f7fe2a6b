"""How often does turning or mirroring a photo change the model's risk level?

For each test-split photo the model is run on its 8 flips and rotations
(`model.views.dihedral_views`). Printed, side by side:

* one view (no test-time augmentation): how often turning by 90 degrees, mirroring,
  or any of the 8 views changes the risk level (low / moderate / high);
* averaging over the 4 rotations (as the card asks since model 2.3.0): how often mirroring
  changes it (turning cannot, by construction: printed as a sanity check).

Needs the shared dermoscopy data beside the repository.

Usage:
    python benchmarks/rotation_consistency.py [--model PATH] [--split-file CSV] [--split test]
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import load_model_and_records, parse_arguments, risk_levels  # noqa: E402, I001

import numpy as np  # noqa: E402

from model.views import MAX_VIEWS, dihedral_views  # noqa: E402
from training.classifier.cache import preprocess_records  # noqa: E402
from training.classifier.inputs import predict_logits  # noqa: E402


def main() -> int:
    loaded, records, _ = load_model_and_records(parse_arguments(__doc__.splitlines()[0]))
    card = loaded.card
    images, _ = preprocess_records(records, card.preprocessing, description="photos")
    by_view = predict_logits(loaded.model, dihedral_views(images, MAX_VIEWS))
    by_view = by_view.reshape(-1, MAX_VIEWS).T  # (view, image); views 4-7 are mirrored
    levels = risk_levels(by_view, card)
    rotations = risk_levels(by_view[:4].mean(axis=0), card)
    mirrored_rotations = risk_levels(by_view[4:].mean(axis=0), card)
    print(f"model {card.model_version}, {len(images)} photos")
    print("share of photos whose risk level changes when the photo is ...")
    print(f"{'':<26} {'turned 90':>10} {'mirrored':>10} {'any of 8':>10}")
    print(
        f"{'one view':<26} {np.mean(levels[0] != levels[1]):>10.3f} "
        f"{np.mean(levels[0] != levels[4]):>10.3f} "
        f"{np.mean(levels.min(axis=0) != levels.max(axis=0)):>10.3f}"
    )
    # A turned photo's 4 rotations are the same 4 views in another order: a sanity check
    # that summation order does not move any answer across a threshold.
    turned_rotations = risk_levels(by_view[[1, 2, 3, 0]].mean(axis=0), card)
    print(
        f"{'4 rotations averaged':<26} {np.mean(rotations != turned_rotations):>10.3f} "
        f"{np.mean(rotations != mirrored_rotations):>10.3f} {'':>10}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
