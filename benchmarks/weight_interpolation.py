"""WiSE-FT: how do weights between the start and the end of fine-tuning score?

For a training run folder (its `melnev.keras`, `start.weights.h5` and `split.csv`),
prints side by side, for each alpha, ROC AUC with its 95 % bootstrap interval on
validation, test, and the sources the run never trained on (leave-one-source-out
runs), each photo answered with the card's test-time views. Alpha 1 is the model the
run shipped; alpha 0 the model before fine-tuning (the ImageNet backbone with the
linear probe's head when the run used `--linear-probe`, otherwise a random head).

Choose alpha on validation; the held-out sources show what the choice does across
sources. Needs the shared dermoscopy data.

Usage:
    python benchmarks/weight_interpolation.py runs/lpft-ham [--alphas 0.5 0.75 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.conftest import SHARED_DATA  # noqa: E402, I001  (quiets TensorFlow first)

import numpy as np  # noqa: E402

from model.loader import load_model  # noqa: E402
from training.cache import preprocess_records  # noqa: E402
from training.data import MELANOMA, Record, read_dataset  # noqa: E402
from training.inputs import predict_logits  # noqa: E402
from training.metrics import bootstrap_auc  # noqa: E402
from training.split import read_split, records_by_split  # noqa: E402
from training.transfer import interpolate_weights  # noqa: E402


def evaluation_sets(run: Path, train_sources: list[str] | str) -> dict[str, list[Record]]:
    """Return the run's validation, test and held-out records, as `melnev train` read them.

    The same function as training's (same order and names), so its preprocessing cache
    is reused.
    """
    assignment = read_split(run / "split.csv")
    records = [r for r in read_dataset(SHARED_DATA).records if r.image_id in assignment]
    trained = () if train_sources == "all" else tuple(train_sources)
    subsets = records_by_split(records, assignment, trained)
    return {name: subsets[name] for name in ("val", "test", "held_out") if subsets[name]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a `melnev train --out` folder")
    parser.add_argument("--alphas", nargs="*", type=float, default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--cache-dir", type=Path, default=REPO_ROOT / ".cache" / "melnev")
    arguments = parser.parse_args()
    if not (SHARED_DATA / "labels.csv").is_file():
        raise SystemExit(f"shared data not found at {SHARED_DATA}: nothing to measure")
    loaded = load_model(arguments.run / "melnev.keras")
    card, model = loaded.card, loaded.model
    end = model.get_weights()
    model.load_weights(arguments.run / "start.weights.h5")
    start = model.get_weights()

    columns = []
    for name, subset in evaluation_sets(arguments.run, card.training["train_sources"]).items():
        images, keep = preprocess_records(
            subset, card.preprocessing, cache_dir=arguments.cache_dir, description=name
        )
        kept = [r for r, k in zip(subset, keep, strict=True) if k]
        labels = np.array([r.label == MELANOMA for r in kept])
        sources = sorted({r.source for r in kept})
        columns.append((name, images, labels, sources, np.array([r.source for r in kept])))

    print(f"run {arguments.run} (model {card.model_version}); ROC AUC (95 % CI)")
    for alpha in arguments.alphas:
        model.set_weights(interpolate_weights(start, end, alpha))
        cells = []
        for name, images, labels, sources, source_of in columns:
            scores = predict_logits(model, images, views=card.test_time_views).ravel()
            auc, low, high = bootstrap_auc(labels, scores)
            cell = f"{name} {auc:.3f} ({low:.3f}-{high:.3f})"
            if len(sources) > 1:
                per = [
                    f"{s} {bootstrap_auc(labels[source_of == s], scores[source_of == s])[0]:.3f}"
                    for s in sources
                ]
                cell += " [" + ", ".join(per) + "]"
            cells.append(cell)
        print(f"alpha {alpha:.2f}: " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
