"""A real `Predictor` whose answer can be steered to a chosen kind of lesion.

A tiny untrained model cannot be made to name each of the eight kinds, so this one
replaces only the logits of the real forward pass; calibration, the risk rule, the
`Prediction`, the heatmap and everything after it are the real code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.predictor import Predictor

FIRST_LOGIT = 4.0
"""With the other logits 0 and temperature 1: P(first) = e^4 / (e^4 + 7) ≈ 0.89."""
CLOSE_GAP = 0.3
"""Second logit this far below the first: its probability is e^-0.3 ≈ 0.74 of the first's."""
FAR_GAP = 3.0
"""Second logit this far below: e^-3 ≈ 0.05 of the first's."""


class SteeredPredictor(Predictor):
    """The tiny real model answering with the kind set by `steer` (nevus at first).

    Args:
        loaded: The loaded model (the session's tiny model).
        **options: As for `Predictor`.
    """

    def __init__(self, loaded: Any, **options: Any) -> None:
        self.first, self.second, self.gap = "nevus", None, FAR_GAP
        super().__init__(loaded, **options)

    def steer(self, first: str, second: str | None = None, *, close: bool = True) -> None:
        """Make `first` the most likely kind, and `second` close to it or far below."""
        self.first, self.second = first, second
        self.gap = CLOSE_GAP if close else FAR_GAP

    def logits(self, batch: np.ndarray) -> np.ndarray:
        """Run the real forward pass, then answer with the steered logits."""
        real = super().logits(batch)
        classes = self.card.classes
        steered = np.zeros((len(real), len(classes)))
        steered[:, classes.index(self.first)] = FIRST_LOGIT
        if self.second is not None:
            steered[:, classes.index(self.second)] = FIRST_LOGIT - self.gap
        return steered
