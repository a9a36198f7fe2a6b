"""Calibrate and score a model from its logits: the last stages of a training run.

`melnev train` calls `score` on the logits of its validation, test and held-out photos.
It also keeps those logits (`logits.npz`) and the split (`split.csv`) before these stages,
so that when the rule that turns probabilities into answers changes
(`model.lesions.risk_levels`, `training.classifier.calibration`), a finished run can be
scored again without retraining: the calibration and thresholds are fitted on validation
again, every metric and figure recomputed, the card and `metrics.json` rewritten. The
weights and the LiteRT file stay as they are.

Usage:
    python -m training.classifier.scoring runs/shipped-4.0.0
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.card import Calibration, ModelCard, Thresholds, card_path_for, save_card
from model.predictor import class_probabilities
from training.classifier.calibration import choose_risk_thresholds, fit_temperature
from training.evaluation.lesion_figures import save_lesion_figures
from training.evaluation.lesion_metrics import lesion_metrics_by_source

Split = tuple[np.ndarray, np.ndarray, list[str]]
"""(logits (N, K), labels (N,) as positions in the classes, sources)."""


def score(
    splits: Mapping[str, Split],
    classes: tuple[str, ...],
    recipe: Mapping[str, Any],
    figures: Path | None = None,
) -> tuple[Calibration, Thresholds, dict[str, Any]]:
    """Fit temperature scaling and the risk thresholds on "val"; score every split.

    Args:
        splits: "val" (required), "test", "held_out": logits, labels, sources.
        classes: The model's classes in output order.
        recipe: `TrainConfig` values: screening_sensitivity, carcinoma_sensitivity,
            keratosis_high_share.
        figures: Folder for each non-validation split's figures (`figures/<split>/`).

    Returns:
        The calibration, the thresholds and {split: `lesion_metrics_by_source`}.
    """
    val_logits, val_labels, _ = splits["val"]
    calibration = fit_temperature(val_logits, val_labels)
    thresholds = choose_risk_thresholds(
        val_labels,
        class_probabilities(val_logits, calibration),
        classes,
        melanoma_sensitivity=recipe["screening_sensitivity"],
        carcinoma_sensitivity=recipe["carcinoma_sensitivity"],
        keratosis_high_share=recipe["keratosis_high_share"],
    )
    metrics: dict[str, Any] = {}
    for name, (logits, labels, sources) in splits.items():
        probabilities = class_probabilities(logits, calibration)
        metrics[name] = lesion_metrics_by_source(
            labels, probabilities, classes, thresholds, sources
        )
        if figures is not None and name != "val":
            save_lesion_figures(metrics[name]["overall"], classes, figures / name)
    return calibration, thresholds, metrics


def rescore(run: Path, model_file: str = "melnev.keras") -> ModelCard:
    """Score a finished run again from its logits.npz and split.csv; rewrite its card.

    Raises:
        ValueError: If the split's rows do not match the saved logits.
    """
    card_path = card_path_for(run / model_file)
    card = ModelCard.from_dict(json.loads(card_path.read_text()))
    trained_on = card.training.get("train_sources")
    trained = set(trained_on) if isinstance(trained_on, list) else None
    with (run / "split.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    groups = {  # as `records_by_split` orders them
        name: [
            r for r in rows if r["split"] == name and (trained is None or r["source"] in trained)
        ]
        for name in ("val", "test")
    }
    if trained is not None:
        groups["held_out"] = [r for r in rows if r["source"] not in trained]
    saved = dict(np.load(run / "logits.npz"))
    splits: dict[str, Split] = {}
    for name, group in groups.items():
        if len(group) != len(saved[name]):
            raise ValueError(
                f"{name}: {len(group)} rows in split.csv for {len(saved[name])} logits"
            )
        labels = np.array([card.classes.index(row["label"]) for row in group])
        splits[name] = (saved[name], labels, [row["source"] for row in group])
    calibration, thresholds, metrics = score(
        splits, card.classes, card.training["config"], figures=run
    )
    card = dataclasses.replace(
        card, calibration=calibration, thresholds=thresholds, metrics=metrics
    )
    save_card(card, run / model_file)
    (run / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return card


def main(argv: Sequence[str] | None = None) -> int:
    """Rescore the runs named on the command line; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders of melnev train")
    for run in parser.parse_args(argv).runs:
        card = rescore(run)
        test = card.metrics["test"]["overall"]
        print(f"{run}: {card.thresholds}, test balanced accuracy {test['balanced_accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
