# ruff: noqa: I001  (shared_split sets the environment before anything loads TensorFlow)
"""The photo-type gate's targets: what is refused, and what is answered.

Every DermNet figure comes from a head that never saw the photo's topic (the shipped
gate's own settings and seed, five folds by topic); the dermoscopy dev sets (the
classifier's validation and test splits) and the real non-skin photos of
`../shared/data/not_skin` (one per ImageNet class) are scored by the shipped gate
file itself (LiteRT), which never saw them. Each
decision is the bot's: the heuristic quality gate first, then the learned gate
(`model.photo_gate.photo_verdict`).

Usage:
    python benchmarks/photo_gate.py            # features cached in runs/gate (about 15 min cold)
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from shared_split import SHARED_DATA  # noqa: E402

import numpy as np  # noqa: E402

from model.photo_gate import ServedGate, decision, load_served_gate, photo_verdict  # noqa: E402
from preprocessing import assess_quality  # noqa: E402
from training.gate.backbone import gate_backbone  # noqa: E402
from training.gate.data import GateSample  # noqa: E402
from training.gate.features import FeatureExtractor, extract  # noqa: E402
from training.gate.fit import held_out_probabilities  # noqa: E402
from training.datasets import load_image_rgb  # noqa: E402
from training.gate.train import GateConfig, gather_photos  # noqa: E402

TARGETS = {
    "widespread (held-out topics)": ("refused", ">= 90 %"),
    "close_up / melanoma": ("refused", "<= 10 %"),
    "close_up / nevus": ("refused", "<= 10 %"),
    "dermoscopy dev sets": ("refused", "<= 2 %"),
    "real non-skin photos": ("refused", "≥ 97 %"),
}


def refused_share(samples: list[GateSample], probabilities: np.ndarray, gate: ServedGate) -> float:
    """Share of photos the bot gives no risk level (quality gate, then the learned gate)."""
    refused = 0
    for sample, row in zip(samples, probabilities, strict=True):
        verdict = photo_verdict(assess_quality(sample.load()), decision(row, gate.refuse_at))
        refused += not verdict.answered
    return refused / max(len(samples), 1)


def main() -> int:
    """Print the targets, then per-source and per-topic figures."""
    if not (SHARED_DATA / "labels.csv").is_file():
        raise SystemExit(f"shared data not found at {SHARED_DATA}: nothing to measure")
    gate = load_served_gate()
    stored = gate.card["training"]["config"]
    config = GateConfig(out=REPO / "runs" / "gate", seed=int(stored["seed"]))
    config.l2, config.folds = float(stored["l2"]), int(stored["folds"])
    pool, marked, dev = gather_photos(config)
    cache = config.out / "features.npz"
    features = extract(FeatureExtractor(gate_backbone()), pool, marked, cache, config.seed)
    held_out = held_out_probabilities(
        features, pool, folds=config.folds, l2=config.l2, seed=config.seed
    )
    dev_probabilities = np.stack(
        [
            [d.probabilities[k] for k in d.probabilities]
            for d in gate.decide([s.load() for s in dev])
        ]
    )
    groups: dict[str, list[int]] = defaultdict(list)
    for index, sample in enumerate(pool):
        if sample.topic:
            groups[f"{sample.kind.value} (held-out topics)"].append(index)
            if sample.label in ("melanoma", "nevus"):
                groups[f"{sample.kind.value} / {sample.label}"].append(index)
    rows = {
        name: refused_share([pool[i] for i in indices], held_out[indices], gate)
        for name, indices in sorted(groups.items())
    }
    rows["dermoscopy dev sets"] = refused_share(dev, dev_probabilities, gate)
    refused, pictures = non_skin_refused(gate)
    rows["real non-skin photos"] = refused / max(pictures, 1)
    print(f"photo gate {gate.card['gate_version']} (DermNet rows: whole topics held out)")
    print(f"{'group':38s} {'photos':>7s} {'refused':>8s}  target")
    for name, share in rows.items():
        count = len(groups[name]) if name in groups else (len(dev) if "dev" in name else pictures)
        target = TARGETS.get(name, ("", ""))[1]
        print(f"{name:38s} {count:7d} {100 * share:7.1f}%  {target}")
    return 0


def non_skin_refused(gate: ServedGate) -> tuple[int, int]:
    """How many real non-skin photos (`../shared/data/not_skin`) get no risk level, of how many."""
    folder = SHARED_DATA.parent / "not_skin" / "images"
    photos = sorted(folder.glob("*.jpg"))
    refused = 0
    for path in photos:
        image = load_image_rgb(path)
        refused += not photo_verdict(assess_quality(image), gate.decide([image])[0]).answered
    return refused, len(photos)


if __name__ == "__main__":
    sys.exit(main())
