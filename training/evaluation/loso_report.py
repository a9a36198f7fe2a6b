"""Gather leave-one-source-out runs into one report for `model/shipped/evaluation/`.

Each run trained on all sources but one (`melnev train --train-sources ...`) and was
tested on every image of the source it never saw (`held_out` in its metrics).

Usage:
    python -m training.evaluation.loso_report runs/loso-ham runs/loso-isic runs/loso-bcn \\
        --out model/shipped/evaluation/leave_one_source_out.json

Runs recorded in an earlier report whose folders are gone can be kept with `--keep
REPORT`: a new run replaces the kept one that held out the same source.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WHAT = (
    "Leave-one-source-out: the shipped recipe trained on every source but one, split as "
    "the shipped model's split.csv, and tested on every image of the source left out "
    "(never seen in training, validation or thresholds)."
)


def run_entry(run: Path) -> dict[str, Any]:
    """Summarise one run folder (its card and metrics) as a report entry.

    Raises:
        ValueError: When the run tested no held-out source.
    """
    card = json.loads((run / "melnev.card.json").read_text())
    held_out = card["metrics"].get("held_out")
    if not held_out:
        raise ValueError(f"{run} held no source out. Received metrics: {sorted(card['metrics'])}")
    training = card["training"]
    return {
        "held_out_source": next(iter(held_out["by_source"])),
        "trained_on": training["train_sources"],
        "run": run.name,
        "command": training["command"],
        "config": training["config"],
        "model_version": card["model_version"],
        "seed": training["seed"],
        "duration_seconds": training["duration_seconds"],
        "epochs_run": training["epochs_run"],
        "best_val_auc_one_view": training["best_val_auc"],
        "test_time_views": card["test_time_views"],
        "thresholds": card["thresholds"],
        "calibration": card["calibration"],
        "metrics": {"val": card["metrics"]["val"], "held_out": held_out},
    }


def build_report(
    runs: Sequence[Path],
    earlier: dict[str, Any] | None = None,
    kept: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Return the report: what it is, one entry per run, and earlier recipes' figures.

    Args:
        runs: Run folders of `melnev train --train-sources ...`.
        earlier: Earlier recipes' figures, kept as they are under `earlier_runs`.
        kept: Entries of an earlier report; one whose held-out source a run in `runs`
            also holds out is replaced by that run.

    Raises:
        ValueError: When two of `runs` hold out the same source.
    """
    entries = [run_entry(run) for run in runs]
    held_out = [entry["held_out_source"] for entry in entries]
    if len(set(held_out)) != len(held_out):
        raise ValueError(f"Two runs hold out the same source. Received: held_out={held_out}")
    entries = [entry for entry in kept if entry["held_out_source"] not in held_out] + entries
    report: dict[str, Any] = {"what": WHAT, "runs": entries}
    if earlier:
        report["earlier_runs"] = earlier
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Write the report; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m training.evaluation.loso_report", description=WHAT
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders of melnev train")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--earlier", type=Path, default=None, help="a JSON of earlier recipes' figures to keep"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="an earlier report whose runs to keep (and its earlier_runs, unless --earlier)",
    )
    args = parser.parse_args(argv)
    kept_report = json.loads(args.keep.read_text()) if args.keep else {}
    earlier = json.loads(args.earlier.read_text()) if args.earlier else None
    report = build_report(
        args.runs, earlier or kept_report.get("earlier_runs"), kept_report.get("runs", ())
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    for entry in report["runs"]:
        figures = entry["metrics"]["held_out"]["overall"]
        low, high = figures["balanced_accuracy_ci95"]
        print(
            f"{entry['held_out_source']}: balanced accuracy {figures['balanced_accuracy']:.3f} "
            f"({low:.3f}-{high:.3f}), n={figures['n']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
