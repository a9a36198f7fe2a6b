"""Eight-class figures: the confusion matrix (row-normalised) and risk levels per class.

Usage:
    save_lesion_figures(report["overall"], classes, out_dir)   # report: lesion_metrics_by_source
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from training.evaluation.figures import plt, save_figure
from training.evaluation.lesion_metrics import LEVELS

LEVEL_COLOURS = {"low": "#4c9f70", "moderate": "#e0a030", "high": "#c0392b"}


def _confusion(report: dict[str, Any], classes: tuple[str, ...]) -> Any:
    counts = np.array(report["confusion"], np.float64)
    present = counts.sum(axis=1) > 0
    rows = counts[present] / counts[present].sum(axis=1, keepdims=True)
    row_names = [name for name, keep in zip(classes, present, strict=True) if keep]
    figure, axis = plt.subplots(figsize=(7.5, 6))
    axis.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for (row, column), share in np.ndenumerate(rows):
        count = int(counts[present][row, column])
        colour = "white" if share > 0.5 else "black"
        axis.text(column, row, f"{share:.2f}\n{count}", ha="center", va="center",
                  color=colour, fontsize=7)  # fmt: skip
    axis.set(
        xticks=range(len(classes)),
        yticks=range(len(row_names)),
        xticklabels=classes,
        yticklabels=row_names,
        xlabel="top class",
        ylabel="true class",
        title=f"Confusion (share of each row), balanced accuracy {report['balanced_accuracy']:.3f}",
    )
    return figure


def _risk_levels(report: dict[str, Any]) -> Any:
    names = list(report["risk_levels"])
    table = np.array([[report["risk_levels"][name][level] for level in LEVELS] for name in names])
    shares = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(7.5, 4))
    left = np.zeros(len(names))
    for index, level in enumerate(LEVELS):
        axis.barh(names, shares[:, index], left=left, color=LEVEL_COLOURS[level], label=level)
        left += shares[:, index]
    axis.set(xlim=(0, 1), xlabel="share of the class's photos", title="Risk level by true class")
    axis.invert_yaxis()
    axis.legend(loc="lower right", fontsize=8)
    return figure


def save_lesion_figures(
    report: dict[str, Any], classes: tuple[str, ...], out_dir: Path
) -> list[Path]:
    """Write lesion_confusion.png and risk_levels.png for one `lesion_metrics` report."""
    out_dir = Path(out_dir)
    return [
        save_figure(_confusion(report, classes), out_dir / "lesion_confusion.png"),
        save_figure(_risk_levels(report), out_dir / "risk_levels.png"),
    ]
