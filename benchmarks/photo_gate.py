# ruff: noqa: I001  (shared_split sets the environment before anything loads TensorFlow)
"""The photo-type gate's targets: what is refused, and what is answered.

Every DermNet and real non-skin figure comes from a head that never saw the photo's
topic or ImageNet class (the shipped gate's own settings and seed, five folds by group),
counted by per-photo framing label where the photo has one; the dermoscopy dev sets (the
classifier's validation and test splits) are scored by the shipped gate file itself
(LiteRT), which never saw them. Each
decision is the bot's: the heuristic quality gate first, then the learned gate
(`model.photo_gate.photo_verdict`).

The gate does not depend on the classifier: the figures are the same for a one-logit and an
eight-class model.

Usage:
    python benchmarks/photo_gate.py            # features cached in runs/gate (about 15 min cold)
    python benchmarks/photo_gate.py --limit 20 # at most 20 photos a group: a smoke run
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from shared_split import SHARED_DATA  # noqa: E402

import numpy as np  # noqa: E402

from model.photo_gate import (  # noqa: E402
    PhotoKind,
    ServedGate,
    decision,
    load_served_gate,
    photo_verdict,
)
from preprocessing import assess_quality  # noqa: E402
from training.gate.backbone import gate_backbone  # noqa: E402
from training.gate.data import GateSample, read_topic_table  # noqa: E402
from training.gate.features import FeatureExtractor, extract  # noqa: E402
from training.gate.fit import held_out_probabilities, trade_off  # noqa: E402
from training.gate.train import GateConfig, gather_photos  # noqa: E402

TARGETS = {
    "framing one_lesion (single-spot topics)": ("refused", "<= 10 %"),
    "framing area": ("refused", ">= 90 %"),
    "framing several_lesions": ("several", ">= 70 %"),
    "dermoscopy dev sets": ("refused", "<= 1 %"),
    "real non-skin photos (held-out classes)": ("refused", ">= 97 %"),
}
NOT_SKIN_ROW = "real non-skin photos (held-out classes)"
TRADE_OFF = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def verdicts(samples: list[GateSample], probabilities: np.ndarray, gate: ServedGate) -> list:
    """The bot's verdict on each photo: the quality gate, then the learned gate."""
    return [
        photo_verdict(assess_quality(sample.load()), decision(row, gate.refuse_at))
        for sample, row in zip(samples, probabilities, strict=True)
    ]


def main(limit: int = 0) -> int:
    """Print the targets, the groups around them, then the trade-off curve.

    Args:
        limit: At most this many photos per group and of the dermoscopy dev sets (0: all).
    """
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
    table = read_topic_table(config.topics)
    groups: dict[str, list[int]] = defaultdict(list)
    for index, sample in enumerate(pool):
        if sample.framing:
            name = f"framing {sample.framing}"
            groups[name].append(index)
            if table.get((sample.source, sample.topic)) == "single_spot":
                groups[f"{name} (single-spot topics)"].append(index)
            if sample.framing == "one_lesion" and sample.label in ("melanoma", "nevus"):
                groups[f"framing one_lesion / {sample.label}"].append(index)
        elif sample.topic:
            groups[f"{sample.kind.value} (topic only)"].append(index)
        elif sample.source == "ImageNet":
            groups[NOT_SKIN_ROW].append(index)
            if not sample.train:
                groups["real photos showing bare skin (never trained)"].append(index)
    rows: dict[str, tuple[int, float, float]] = {}
    if limit:
        groups = {name: spread(indices, limit) for name, indices in groups.items()}
        dev = spread(dev, limit)
    for name, indices in sorted(groups.items()):
        found = verdicts([pool[i] for i in indices], held_out[indices], gate)
        rows[name] = summary(found)
    dev_decided = [  # in chunks: some ISIC 2017 photos are 36 MB decoded
        found for start in range(0, len(dev), 32)
        for found in gate.decide([s.load() for s in dev[start : start + 32]])
    ]  # fmt: skip
    dev_probabilities = np.array([list(d.probabilities.values()) for d in dev_decided])
    rows["dermoscopy dev sets"] = summary(verdicts(dev, dev_probabilities, gate))
    print(f"photo gate {gate.card['gate_version']} (DermNet and ImageNet rows: whole topics")
    print("and classes held out; dermoscopy dev sets: the shipped file)")
    print(f"{'group':48s} {'photos':>7s} {'refused':>8s} {'several':>8s}  target")
    for name, (count, refused, several) in rows.items():
        target = TARGETS.get(name, ("", ""))[1]
        print(f"{name:48s} {count:7d} {100 * refused:7.1f}% {100 * several:7.1f}%  {target}")
    print("\ntrade-off (the gate alone, held out): share refused at each threshold")
    for point in trade_off(held_out, pool, TRADE_OFF, gate.refuse_at):
        print("  ".join(f"{k} {v:.3f}" for k, v in point.items()))
    return 0


def spread(items: list, limit: int) -> list:
    """At most `limit` of `items`, evenly spaced (so every source of a group stays in)."""
    return items[:: max(1, -(-len(items) // limit))]


def summary(found: list) -> tuple[int, float, float]:
    """Photos, share given no risk level, share told "several spots"."""
    total = max(len(found), 1)
    refused = sum(not verdict.answered for verdict in found)
    several = sum(verdict.kind == PhotoKind.SEVERAL and not verdict.answered for verdict in found)
    return len(found), refused / total, several / total


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="photos per group (0: all)")
    sys.exit(main(parser.parse_args().limit))
