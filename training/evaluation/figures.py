"""Evaluation and training figures saved as PNG (matplotlib Agg, figures closed).

Usage:
    paths = save_evaluation_figures(labels, probabilities, thresholds, out_dir, sources=sources)
    save_training_curves(history.history, out_dir / "training_curves.png")
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from model.card import Thresholds
from training.classifier.calibration import check_probabilities
from training.evaluation.metrics import expected_calibration_error, threshold_metrics

DPI = 110


def save_figure(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    plt.close(figure)
    return path


def _groups(
    labels: np.ndarray, probabilities: np.ndarray, sources: Sequence[str] | None
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """("all", ...) plus one entry per source that holds both classes."""
    groups = [("all", labels, probabilities)]
    if sources is not None:
        source_array = np.asarray([str(source) for source in sources])
        if source_array.size != labels.size:
            raise ValueError(
                f"`sources` needs one entry per label. Received: len(sources)={source_array.size}"
            )
        for source in sorted(set(source_array.tolist())):
            mask = source_array == source
            if labels[mask].min() != labels[mask].max():
                groups.append((source, labels[mask], probabilities[mask]))
    return groups


def _roc(groups: list[tuple[str, np.ndarray, np.ndarray]], thresholds: Thresholds) -> Figure:
    figure, axis = plt.subplots(figsize=(5.5, 5))
    for name, labels, probabilities in groups:
        if labels.min() == labels.max():
            continue
        fpr, tpr, _ = roc_curve(labels, probabilities)
        auc = float(np.trapezoid(tpr, fpr))
        axis.plot(fpr, tpr, lw=2 if name == "all" else 1.2, label=f"{name} (AUC {auc:.3f})")
    _, labels, probabilities = groups[0]
    for key, marker in (("screening", "o"), ("balanced", "s")):
        point = threshold_metrics(labels, probabilities, getattr(thresholds, key))
        if point["sensitivity"] is not None and point["specificity"] is not None:
            axis.plot(
                1 - point["specificity"],
                point["sensitivity"],
                marker,
                color="black",
                label=f"{key} t={point['threshold']:.3f}",
            )
    axis.plot([0, 1], [0, 1], ":", color="grey")
    axis.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC", xlim=(0, 1), ylim=(0, 1))
    axis.legend(loc="lower right", fontsize=8)
    return figure


def _precision_recall(groups: list[tuple[str, np.ndarray, np.ndarray]]) -> Figure:
    figure, axis = plt.subplots(figsize=(5.5, 5))
    for name, labels, probabilities in groups:
        if labels.max() == 0:
            continue
        precision, recall, _ = precision_recall_curve(labels, probabilities)
        axis.plot(
            recall,
            precision,
            lw=2 if name == "all" else 1.2,
            label=f"{name} (prevalence {labels.mean():.2f})",
        )
    axis.set(
        xlabel="recall (sensitivity)",
        ylabel="precision",
        title="Precision-recall",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    axis.legend(loc="lower left", fontsize=8)
    return figure


def _confusion(labels: np.ndarray, probabilities: np.ndarray, thresholds: Thresholds) -> Figure:
    figure, axes = plt.subplots(1, 2, figsize=(9, 4))
    for axis, key in zip(axes, ("screening", "balanced"), strict=True):
        point = threshold_metrics(labels, probabilities, getattr(thresholds, key))
        matrix = np.array(point["confusion"])
        axis.imshow(matrix, cmap="Blues")
        for (row, column), count in np.ndenumerate(matrix):
            colour = "white" if count > matrix.max() / 2 else "black"
            axis.text(column, row, str(count), ha="center", va="center", color=colour)
        axis.set(
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=["nevus", "melanoma"],
            yticklabels=["nevus", "melanoma"],
            xlabel="predicted",
            ylabel="true",
            title=f"{key} (p >= {point['threshold']:.3f})",
        )
    return figure


def _reliability(labels: np.ndarray, probabilities: np.ndarray, n_bins: int = 10) -> Figure:
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(5.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    bins = np.minimum((probabilities * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    filled = counts > 0
    mean_probability = np.bincount(bins, probabilities, n_bins)[filled] / counts[filled]
    observed = np.bincount(bins, labels.astype(float), n_bins)[filled] / counts[filled]
    top.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    top.plot(mean_probability, observed, "o-", label="model")
    ece = expected_calibration_error(labels, probabilities, n_bins)
    top.set(ylabel="observed melanoma rate", title=f"Reliability (ECE {ece:.3f})")
    top.set(xlim=(0, 1), ylim=(0, 1))
    top.legend(loc="upper left", fontsize=8)
    edges = np.linspace(0, 1, n_bins + 1)
    bottom.bar(edges[:-1], counts, width=1 / n_bins, align="edge", edgecolor="white")
    bottom.set(xlabel="predicted probability", ylabel="images", yscale="log")
    return figure


def save_evaluation_figures(
    labels: object,
    probabilities: object,
    thresholds: Thresholds,
    out_dir: Path,
    sources: Sequence[str] | None = None,
) -> list[Path]:
    """Write roc.png, precision_recall.png, confusion_matrix.png and reliability.png.

    Args:
        labels: 1 for melanoma, 0 for nevus.
        probabilities: Calibrated melanoma probabilities.
        thresholds: The card's thresholds, marked on the ROC and used for the matrices.
        out_dir: Folder to write into (created).
        sources: Optional source per image; adds per-source ROC and PR curves.

    Returns:
        The written paths.
    """
    label_array, probability_array = check_probabilities(labels, probabilities)
    out_dir = Path(out_dir)
    groups = _groups(label_array, probability_array, sources)
    return [
        save_figure(_roc(groups, thresholds), out_dir / "roc.png"),
        save_figure(_precision_recall(groups), out_dir / "precision_recall.png"),
        save_figure(
            _confusion(label_array, probability_array, thresholds), out_dir / "confusion_matrix.png"
        ),
        save_figure(_reliability(label_array, probability_array), out_dir / "reliability.png"),
    ]


def save_training_curves(history: dict[str, list[float]], path: Path) -> Path:
    """Plot loss and AUC per epoch, train vs validation (Keras `History.history`).

    The AUC panel uses any key containing "auc" (e.g. "auc", "val_auc"); it is
    left out when there is none.

    Raises:
        ValueError: If `history` has no "loss" key.
    """
    if "loss" not in history:
        raise ValueError(f"`history` needs a `loss` key. Received: keys={sorted(history)}")
    auc_keys = [key for key in history if "auc" in key and not key.startswith("val_")]
    panels = [("loss", "loss")] + [(key, "ROC AUC") for key in auc_keys[:1]]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for axis, (key, title) in zip(axes[0], panels, strict=True):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = history.get(name)
            if values:
                epochs = np.arange(1, len(values) + 1)
                axis.plot(
                    epochs,
                    values,
                    style,
                    marker="o",
                    markersize=3,
                    label="validation" if name.startswith("val_") else "train",
                )
        axis.set(xlabel="epoch", ylabel=title, title=title)
        axis.legend(fontsize=8)
    return save_figure(figure, Path(path))
