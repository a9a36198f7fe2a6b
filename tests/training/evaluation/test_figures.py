"""Evaluation and training figures are written as valid PNG files."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from model.card import Thresholds
from training.evaluation.figures import save_evaluation_figures, save_training_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    assert path.is_file() and path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.verify()
        assert image.size[0] > 100 and image.size[1] > 100


def scores(n: int = 300) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(0)
    labels = (rng.random(n) < 0.2).astype(int)
    probabilities = np.clip(rng.normal(0.3 + 0.35 * labels, 0.2), 0, 1)
    sources = ["HAM10000" if i % 3 else "ISIC2017" for i in range(n)]
    return labels, probabilities, sources


def test_evaluation_figures_are_written_as_png(tmp_path: Path) -> None:
    labels, probabilities, sources = scores()
    sources[:4] = ["one_class"] * 4
    labels[:4] = 0
    paths = save_evaluation_figures(
        labels, probabilities, Thresholds(0.25, 0.5), tmp_path / "eval", sources=sources
    )
    assert [path.name for path in paths] == [
        "roc.png",
        "precision_recall.png",
        "confusion_matrix.png",
        "reliability.png",
    ]
    for path in paths:
        assert_png(path)
    assert plt.get_fignums() == []


def test_evaluation_figures_without_sources(tmp_path: Path) -> None:
    labels, probabilities, _ = scores(50)
    for path in save_evaluation_figures(labels, probabilities, Thresholds(0.2, 0.6), tmp_path):
        assert_png(path)


def test_training_curves_png(tmp_path: Path) -> None:
    history = {
        "loss": [0.7, 0.5, 0.4],
        "val_loss": [0.65, 0.55, 0.5],
        "auc": [0.6, 0.75, 0.8],
        "val_auc": [0.62, 0.7, 0.74],
        "learning_rate": [1e-3, 1e-3, 5e-4],
    }
    path = save_training_curves(history, tmp_path / "curves" / "training_curves.png")
    assert path == tmp_path / "curves" / "training_curves.png"
    assert_png(path)
    assert_png(save_training_curves({"loss": [1.0, 0.8]}, tmp_path / "loss_only.png"))
    with pytest.raises(ValueError, match="loss"):
        save_training_curves({"auc": [0.5]}, tmp_path / "bad.png")
