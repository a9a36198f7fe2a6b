# ruff: noqa: I001  (shared_split sets the environment before anything loads TensorFlow)
"""Probe: does the classifier's own pooled features beside the gate's tell the kinds apart better?

Issue 31 asks what separates the kinds when the frozen ImageNet features do not. This
fits the gate's head on [gate features, classifier features] (the shipped 3.0.0
classifier's 'pool' layer on its own preprocessed input, one view) and prints the same
held-out trade-off as `benchmarks/photo_gate.py` for both feature sets, whole topics and
ImageNet classes held out.

Usage:
    python benchmarks/gate_classifier_features.py   # gate features cached in runs/gate
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from shared_split import SHARED_DATA  # noqa: E402

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from model.loader import load_model  # noqa: E402
from model.photo_gate import load_served_gate  # noqa: E402
from model.predictor import Predictor  # noqa: E402
from training.gate.backbone import gate_backbone  # noqa: E402
from training.gate.features import FeatureExtractor, extract  # noqa: E402
from training.gate.fit import held_out_probabilities, trade_off  # noqa: E402
from training.gate.train import GateConfig, gather_photos  # noqa: E402

THRESHOLDS = (0.6, 0.7, 0.75, 0.8, 0.81, 0.85, 0.9)
SHOWN = ("framing one_lesion", "framing area", "framing several_lesions", "not_skin")


def classifier_features(pool: list, cache: Path) -> np.ndarray:
    """The shipped classifier's pooled features of every photo (cached)."""
    if cache.is_file():
        return np.load(cache)
    import keras

    loaded = load_model(keras_now=True)
    predictor = Predictor(loaded)
    model = loaded.model
    pooled = keras.Model(model.inputs, model.get_layer("pool").output)
    rows = []
    for start in tqdm(range(0, len(pool), 64), desc="classifier features"):
        batch = np.stack([predictor.preprocess(s.load()) for s in pool[start : start + 64]])
        rows.append(np.asarray(pooled(batch.astype(np.float32), training=False)))
    features = np.concatenate(rows)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, features)
    return features


def main() -> int:
    """Print the held-out trade-off with the gate's features, then with both."""
    if not (SHARED_DATA / "labels.csv").is_file():
        raise SystemExit(f"shared data not found at {SHARED_DATA}: nothing to measure")
    gate = load_served_gate()
    stored = gate.card["training"]["config"]
    config = GateConfig(out=REPO / "runs" / "gate", seed=int(stored["seed"]))
    config.l2, config.folds = float(stored["l2"]), int(stored["folds"])
    pool, marked, _ = gather_photos(config)
    gate_features = extract(
        FeatureExtractor(gate_backbone()), pool, marked, config.out / "features.npz", config.seed
    )
    both = np.hstack([gate_features, classifier_features(pool, config.out / "classifier.npy")])
    for name, features in (("gate features", gate_features), ("gate + classifier", both)):
        for l2 in (config.l2, config.l2 * 4):
            held_out = held_out_probabilities(
                features, pool, folds=config.folds, l2=l2, seed=config.seed
            )
            print(f"\n{name} ({features.shape[1]} features), C = {l2:g}")
            for point in trade_off(held_out, pool, THRESHOLDS, gate.refuse_at):
                shown = {k: v for k, v in point.items() if k in SHOWN or k == "threshold"}
                shown["several told several"] = point.get("several answered as several", 0.0)
                print("  ".join(f"{k} {v:.3f}" for k, v in shown.items()), flush=True)
    return 0


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help
    sys.exit(main())
