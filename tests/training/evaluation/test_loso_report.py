"""The leave-one-source-out report: runs gathered, earlier reports' runs kept or replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from training.evaluation.loso_report import build_report, main


def write_run(root: Path, held_out: str, trained_on: list[str], accuracy: float) -> Path:
    """A run folder with the parts of a card that the report reads."""
    figures = {"n": 10, "balanced_accuracy": accuracy, "balanced_accuracy_ci95": [0.5, 0.9]}
    card = {
        "model_version": "9.9.9",
        "test_time_views": 4,
        "thresholds": {"screening": 0.1, "balanced": 0.4},
        "calibration": {"method": "temperature", "slope": 1.0, "intercept": 0.0},
        "metrics": {
            "val": {},
            "held_out": {"overall": figures, "by_source": {held_out: figures}},
        },
        "training": {
            "config": {"epochs": 1},
            "train_sources": trained_on,
            "command": f"melnev train --train-sources {' '.join(trained_on)}",
            "seed": 0,
            "duration_seconds": 1.0,
            "epochs_run": 1,
            "best_val_auc": 0.8,
        },
    }
    run = root / f"loso-{held_out.lower()}"
    run.mkdir()
    (run / "melnev.card.json").write_text(json.dumps(card))
    return run


def held_out_auc(report: dict[str, Any]) -> dict[str, float]:
    """Held-out source -> its balanced accuracy, per run of the report."""
    return {
        run["held_out_source"]: run["metrics"]["held_out"]["overall"]["balanced_accuracy"]
        for run in report["runs"]
    }


def test_a_new_run_replaces_the_kept_run_of_its_source_and_keeps_the_others(
    tmp_path: Path,
) -> None:
    (tmp_path / "old").mkdir()
    old_a = write_run(tmp_path / "old", "A", ["B", "C"], 0.80)
    old_b = write_run(tmp_path / "old", "B", ["A", "C"], 0.81)
    earlier_report = build_report([old_a, old_b], earlier={"note": "older recipe"})
    (tmp_path / "new").mkdir()
    new_a = write_run(tmp_path / "new", "A", ["B", "C"], 0.85)
    new_c = write_run(tmp_path / "new", "C", ["A", "B"], 0.83)

    report = build_report([new_a, new_c], earlier_report["earlier_runs"], earlier_report["runs"])

    assert held_out_auc(report) == {"A": 0.85, "B": 0.81, "C": 0.83}
    assert report["earlier_runs"] == {"note": "older recipe"}


def test_the_command_line_keeps_an_earlier_reports_runs(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    kept_path = tmp_path / "kept.json"
    old = write_run(tmp_path / "old", "A", ["B"], 0.80)
    kept_path.write_text(json.dumps(build_report([old], earlier={"note": "older"})))
    out = tmp_path / "report.json"

    exit_code = main(
        [
            str(write_run(tmp_path / "new", "B", ["A"], 0.9)),
            "--keep",
            str(kept_path),
            "--out",
            str(out),
        ]
    )

    report = json.loads(out.read_text())
    assert exit_code == 0
    assert held_out_auc(report) == {"A": 0.80, "B": 0.9}
    assert report["earlier_runs"] == {"note": "older"}


def test_two_runs_holding_out_the_same_source_are_refused(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    runs = [write_run(tmp_path / name, "A", ["B"], 0.8) for name in ("one", "two")]

    with pytest.raises(ValueError, match="same source"):
        build_report(runs)
