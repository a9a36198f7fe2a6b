# ruff: noqa: I001  (tests.conftest must be imported before anything that loads TensorFlow)
"""The photo-type gate's targets: what is refused, and what is answered.

Every DermNet figure comes from a head that never saw the photo's topic (the shipped
gate's own settings and seed, five folds by topic); the dermoscopy dev sets (the
classifier's validation and test splits) and the quality tests' non-skin pictures
are scored by the shipped gate file itself (LiteRT), which never saw them. Each
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

from tests.conftest import SHARED_DATA  # noqa: E402

import numpy as np  # noqa: E402

from model.photo_gate import ServedGate, decision, load_served_gate, photo_verdict  # noqa: E402
from preprocessing import assess_quality  # noqa: E402
from training.gate_backbone import gate_backbone  # noqa: E402
from training.gate_data import GateSample  # noqa: E402
from training.gate_features import FeatureExtractor, extract  # noqa: E402
from training.gate_fit import held_out_probabilities  # noqa: E402
from training.train_gate import GateConfig, gather_photos  # noqa: E402

TARGETS = {
    "widespread (held-out topics)": ("refused", ">= 90 %"),
    "close_up / melanoma": ("refused", "<= 10 %"),
    "close_up / nevus": ("refused", "<= 10 %"),
    "dermoscopy dev sets": ("refused", "<= 2 %"),
    "non-skin test pictures": ("refused", "all"),
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
    rows["non-skin test pictures"] = refused / pictures
    print(f"photo gate {gate.card['gate_version']} (DermNet rows: whole topics held out)")
    print(f"{'group':38s} {'photos':>7s} {'refused':>8s}  target")
    for name, share in rows.items():
        count = len(groups[name]) if name in groups else (len(dev) if "dev" in name else pictures)
        target = TARGETS.get(name, ("", ""))[1]
        print(f"{name:38s} {count:7d} {100 * share:7.1f}%  {target}")
    return 0


def non_skin_refused(gate: ServedGate) -> tuple[int, int]:
    """How many of the quality tests' non-skin pictures get no risk level, of how many."""
    from tests.preprocessing.test_quality import NOT_LESIONS

    refused = 0
    for make in NOT_LESIONS.values():
        image = make()
        refused += not photo_verdict(assess_quality(image), gate.decide([image])[0]).answered
    return refused, len(NOT_LESIONS)


if __name__ == "__main__":
    sys.exit(main())
