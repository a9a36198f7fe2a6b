"""Train the photo-type gate on frozen ImageNet features (EfficientNet-Lite0).

Usage:
    python -m training.gate.train --export model/shipped/photo_gate.tflite   # the shipped gate
    python -m training.gate.train --clinical-limit 40 --dermoscopy-train 40 --out runs/tiny

Reads top to bottom: the backbone, the photos of every kind, their features (cached in
`--out`), whole DermNet topics and ImageNet classes held out to measure, the refusal
threshold from those held-out answers, the head refitted on everything, the classifier's
dermoscopic dev sets scored, one LiteRT file and its card. What the classifier then says on
the close-ups the gate lets through is measured by `benchmarks/clinical_close_ups.py`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.card import file_sha256
from model.photo_gate import GATE_INPUT_SIZE, KINDS, PhotoGate, PhotoKind, gate_card_path
from preprocessing.geometry import shrink_to
from training.datasets.split import TWO_SOURCE_SPLIT
from training.gate.backbone import convert_gate, gate_backbone, gate_model
from training.gate.data import (
    TOPICS_TABLE,
    GateSample,
    bcn_samples,
    clinical_samples,
    dermoscopy_samples,
    not_skin_samples,
    read_framing,
    read_topic_table,
    real_not_skin_samples,
)
from training.gate.features import FeatureExtractor, extract
from training.gate.fit import (
    choose_thresholds,
    fit_head,
    held_out_probabilities,
    refusal_table,
    topic_table,
    trade_off,
)

logger = logging.getLogger(__name__)
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GATE_VERSION = "2.0.0"
TRADE_OFF = tuple(round(0.5 + 0.05 * step, 2) for step in range(10))
"""Refusal thresholds at which the card records the held-out trade-off."""
PATH_FIELDS = {
    "dermoscopy",
    "bcn",
    "clinical",
    "topics",
    "real_not_skin",
    "split_file",
    "out",
    "export",
}


@dataclasses.dataclass
class GateConfig:
    """Everything a gate training run depends on (command-line flags of the same names)."""

    dermoscopy: Path = SHARED / "dermoscopy"
    bcn: Path = SHARED / "bcn20000"
    clinical: Path = SHARED / "clinical"
    topics: Path = TOPICS_TABLE
    real_not_skin: Path = SHARED / "not_skin"
    split_file: Path = TWO_SOURCE_SPLIT  # the gate's dermoscopy photos, as for gate 1.0.0
    out: Path = Path("runs/gate")
    export: Path | None = None
    dermoscopy_train: int = 2000
    dermoscopy_eval: int = 5000
    bcn_photos: int = 800
    not_skin_photos: int = 800
    real_not_skin_photos: int = 800
    clinical_limit: int = 0
    watermark_share: float = 0.5
    watermark_checks: int = 600
    folds: int = 5
    l2: float = 0.0005
    max_spot_refused: float = 0.10
    seed: int = 0


def parse_config(argv: Sequence[str] | None) -> GateConfig:
    """Flags named like `GateConfig`'s fields (`--dermoscopy-train 40`)."""
    parser = argparse.ArgumentParser(prog="python -m training.gate.train", description=__doc__)
    for field in dataclasses.fields(GateConfig):
        default = getattr(GateConfig, field.name, None)
        kind = Path if field.name in PATH_FIELDS else type(default)
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind, default=default)
    return GateConfig(**vars(parser.parse_args(argv)))


def gather_photos(config: GateConfig) -> tuple[list[GateSample], list[bool], list[GateSample]]:
    """The training pool of every kind, which of them get a drawn watermark, the dev sets."""
    table = read_topic_table(config.topics)
    clinical = clinical_samples(config.clinical, table, read_framing(config.clinical))
    if config.clinical_limit:
        clinical = clinical[:: max(1, len(clinical) // config.clinical_limit)]
    real = real_not_skin_samples(config.real_not_skin) if config.real_not_skin_photos else []
    real = real[:: max(1, len(real) // max(config.real_not_skin_photos, 1))]
    per_split = {
        "train": config.dermoscopy_train,
        "val": config.dermoscopy_eval,
        "test": config.dermoscopy_eval,
    }
    dermoscopy = dermoscopy_samples(config.dermoscopy, config.split_file, per_split, config.seed)
    bcn = bcn_samples(config.bcn, 2, config.bcn_photos, config.seed) if config.bcn_photos else []
    made = not_skin_samples(config.not_skin_photos, config.seed, lambda im: shrink_to(im, 384))
    pool = [s for s in dermoscopy if s.split == "train"] + bcn + clinical + made + real
    rng = np.random.default_rng(config.seed)
    marked = [bool(flag) for flag in rng.random(len(pool)) < config.watermark_share]
    return pool, marked, [s for s in dermoscopy if s.split != "train"]


def main(argv: Sequence[str] | None = None) -> int:
    """Train, measure and (with `--export`) write the gate; returns the exit code."""
    config = parse_config(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.perf_counter()
    backbone = gate_backbone()
    extractor = FeatureExtractor(backbone)

    pool, marked, dev = gather_photos(config)
    logger.info("Gate photos: %d to train on, %d dermoscopy dev photos", len(pool), len(dev))

    # Features, then topics held out to measure and to choose the thresholds.
    cache = config.out / "features.npz"
    features = extract(extractor, pool, marked, cache, config.seed)
    dev_features = extract(extractor, dev, [False] * len(dev), cache, config.seed)
    checked = dev[: config.watermark_checks]
    dev_marked = extract(extractor, checked, [True] * len(checked), cache, config.seed + 1)
    held_out = held_out_probabilities(
        features, pool, folds=config.folds, l2=config.l2, seed=config.seed
    )
    held_out_photos = held_out_probabilities(
        features, pool, folds=config.folds, l2=config.l2, seed=config.seed, by_photo=True
    )
    refuse_at = choose_thresholds(held_out, pool, max_spot_refused=config.max_spot_refused)

    # The head refitted on every training photo, and the dev sets it never saw.
    trainable = [i for i, s in enumerate(pool) if s.train]
    mean, scale, weights, bias = fit_head(
        features[trainable], [pool[i].kind for i in trainable], l2=config.l2, seed=config.seed
    )
    head = PhotoGate(mean, scale, weights, bias, refuse_at=refuse_at)
    dev_table = refusal_table(head.probabilities(dev_features), dev, refuse_at)
    metrics: dict[str, Any] = {
        "held_out_topics": refusal_table(held_out, pool, refuse_at),
        "held_out_photos": refusal_table(held_out_photos, pool, refuse_at),
        "trade_off": trade_off(held_out, pool, TRADE_OFF, refuse_at),
        "dermoscopy_dev": dev_table,
        "dermoscopy_dev_watermarked": refusal_table(
            head.probabilities(dev_marked), checked, refuse_at
        ),
    }

    # One LiteRT file: pixels in, kind probabilities out.
    gate_path = config.export or config.out / "photo_gate.tflite"
    gate_path.parent.mkdir(parents=True, exist_ok=True)
    gate_path.write_bytes(convert_gate(gate_model(backbone, head)))
    card = {
        "gate_version": GATE_VERSION,
        "gate_file": gate_path.name,
        "gate_sha256": file_sha256(gate_path),
        "input": {"size": GATE_INPUT_SIZE, "framing": "whole photo, squashed"},
        "backbone": "EfficientNet-Lite0, ImageNet weights (model/backbones/), frozen",
        "refuse_at": refuse_at,
        "kinds": [kind.value for kind in KINDS],
        "training": {
            "command": "python -m training.gate.train "
            + " ".join(sys.argv[1:] if argv is None else argv),
            "config": {k: str(v) for k, v in dataclasses.asdict(config).items()},
            "photos": {kind.value: sum(s.kind == kind for s in pool) for kind in KINDS},
            "measured_only": sum(not s.train for s in pool),
            "seconds": round(time.perf_counter() - started, 1),
        },
        "metrics": metrics,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    gate_card_path(gate_path).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    config.out.mkdir(parents=True, exist_ok=True)
    topics = topic_table(held_out, pool, refuse_at)
    (config.out / "gate_topics.json").write_text(json.dumps(topics, indent=2) + "\n")
    refused = metrics["held_out_topics"]
    logger.info(
        "Held-out: area photos refused %.1f %%, one-lesion photos refused %.1f %%; dermoscopy "
        "dev refused %.1f %%; thresholds %s; %.0f s",
        100 * refused.get("framing area", {}).get("refused", 0.0),
        100 * refused.get("framing one_lesion", {}).get("refused", 0.0),
        100 * dev_table.get(PhotoKind.DERMOSCOPY.value, {}).get("refused", 0.0),
        refuse_at,
        time.perf_counter() - started,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
