"""How often does turning or mirroring a photo change the model's risk level?

For each test-split photo the model is run on its 8 flips and rotations
(`model.views.dihedral_views`). Printed, side by side:

* one view (no test-time augmentation): how often turning by 90 degrees, mirroring,
  or any of the 8 views changes the risk level (low / moderate / high);
* averaging over the 4 rotations (as the card asks since model 2.3.0): how often mirroring
  changes it (turning cannot, by construction: printed as a sanity check);

and the same two rows for the top class (the kind of lesion named). Works for one-logit
and eight-class cards (the risk level is the card's rule on its classes).

Needs the shared dermoscopy data beside the repository.

Usage:
    python benchmarks/rotation_consistency.py [--model PATH] [--split-file CSV] [--split test]
        [--limit N]  (at most N photos per source x class: a smoke run)
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shared_split import (  # noqa: E402, I001
    load_model_and_records,
    parse_arguments,
    risk_levels,
    top_classes,
)

import numpy as np  # noqa: E402

from model.card import ModelCard  # noqa: E402
from model.views import MAX_VIEWS, dihedral_views  # noqa: E402
from training.classifier.cache import preprocess_records  # noqa: E402
from training.classifier.inputs import predict_logits  # noqa: E402


def answers(by_view: np.ndarray, card: ModelCard) -> dict[str, np.ndarray]:
    """Risk level and top class per photo of (N, K) logits (one-logit cards: K = 1)."""
    return {"risk level": risk_levels(by_view, card), "top class": top_classes(by_view, card)}


def main() -> int:
    loaded, records, _ = load_model_and_records(parse_arguments(__doc__.splitlines()[0]))
    card = loaded.card
    images, _ = preprocess_records(records, card.preprocessing, description="photos")
    logits = predict_logits(loaded.model, dihedral_views(images, MAX_VIEWS))
    by_view = logits.reshape(len(images), MAX_VIEWS, -1)  # (image, view, K); 4-7 mirrored
    views = [answers(by_view[:, view], card) for view in range(MAX_VIEWS)]
    rotations = answers(by_view[:, :4].mean(axis=1), card)
    mirrored_rotations = answers(by_view[:, 4:].mean(axis=1), card)
    # A turned photo's 4 rotations are the same 4 views in another order: a sanity check
    # that summation order does not move any answer across a threshold.
    turned_rotations = answers(by_view[:, [1, 2, 3, 0]].mean(axis=1), card)
    print(f"model {card.model_version} ({len(card.classes)} classes), {len(images)} photos")
    for answer in ("risk level", "top class"):
        print(f"share of photos whose {answer} changes when the photo is ...")
        print(f"{'':<26} {'turned 90':>10} {'mirrored':>10} {'any of 8':>10}")
        each = np.stack([view[answer] for view in views])  # (view, image)
        differs = np.any(each != each[0], axis=0)
        print(
            f"{'one view':<26} {np.mean(each[0] != each[1]):>10.3f} "
            f"{np.mean(each[0] != each[4]):>10.3f} {np.mean(differs):>10.3f}"
        )
        print(
            f"{'4 rotations averaged':<26} "
            f"{np.mean(rotations[answer] != turned_rotations[answer]):>10.3f} "
            f"{np.mean(rotations[answer] != mirrored_rotations[answer]):>10.3f} {'':>10}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
