"""The photo-type gate: what kind of picture the classifier was given.

A small softmax head on the classifier's own pooled backbone features (averaged over
the same test-time views as the answer), so it costs one matrix product per photo.
It sorts a photo into one of `PhotoKind`; only dermatoscope images and regular
close-ups of one spot get a risk level. Trained by `python -m training.train_gate`,
shipped as `model/shipped/photo_gate.npz` with its card `photo_gate.card.json`.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

import numpy as np

from preprocessing.quality import QualityIssue, QualityReport

SHIPPED_GATE_PATH = Path(__file__).resolve().parent / "shipped" / "photo_gate.npz"


class PhotoKind(enum.StrEnum):
    """The four kinds of picture the gate tells apart (stable codes)."""

    DERMOSCOPY = "dermoscopy"
    CLOSE_UP = "close_up"
    WIDESPREAD = "widespread"
    NOT_SKIN = "not_skin"


KINDS: tuple[PhotoKind, ...] = tuple(PhotoKind)
"""Column order of the gate's probabilities."""
ANSWERED_KINDS = frozenset({PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP})
TRUST_DERMOSCOPY_AT = 0.9
"""A photo the colour heuristics call "not a lesion" is answered when the gate is this
sure it is a dermatoscope image: most of the heuristics' false refusals (2.4 % of the
dermoscopic dev sets, all by colour count or saturation) are such images."""


class PhotoGateError(ValueError):
    """Raised when a gate file is missing, broken or made for another classifier."""


@dataclasses.dataclass(frozen=True)
class GateDecision:
    """The gate's verdict on one photo.

    Attributes:
        kind: The kind decided (thresholds applied).
        probabilities: Softmax probability of each kind, by code.
    """

    kind: PhotoKind
    probabilities: dict[str, float]

    @property
    def answered(self) -> bool:
        """True when this kind of photo gets a melanoma risk level."""
        return self.kind in ANSWERED_KINDS


@dataclasses.dataclass(frozen=True)
class PhotoGate:
    """Standardise the features, apply the softmax head, then the refusal thresholds.

    Attributes:
        mean: Feature means (F,) from the gate's training photos.
        scale: Feature standard deviations (F,).
        weights: Head weights (F, 4), columns in `KINDS` order.
        bias: Head biases (4,).
        refuse_at: Probability at or above which a photo is refused as that kind
            (`widespread`, `not_skin`), chosen on topic-held-out predictions.
        card: The gate's card: version, classifier sha256, data, figures.
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    refuse_at: dict[str, float]
    card: dict[str, Any]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Return (N, 4) kind probabilities for (N, F) pooled features."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if features.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Expected {self.mean.shape[0]} features per photo. Received: {features.shape}"
            )
        scores = ((features - self.mean) / self.scale) @ self.weights + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        return np.asarray(exponentials / exponentials.sum(axis=1, keepdims=True))

    def decide(self, features: np.ndarray) -> list[GateDecision]:
        """Decide the kind of each photo from its (N, F) pooled features."""
        return [decision(row, self.refuse_at) for row in self.probabilities(features)]

    def save(self, path: Path | str) -> Path:
        """Write the gate to `path` (.npz) and its card beside it; return the npz path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez(target, mean=self.mean, scale=self.scale, weights=self.weights, bias=self.bias)
        card = {**self.card, "refuse_at": self.refuse_at, "kinds": [kind.value for kind in KINDS]}
        gate_card_path(target).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        return target


def decision(probabilities: np.ndarray, refuse_at: dict[str, float]) -> GateDecision:
    """Apply the refusal thresholds to one photo's kind probabilities.

    A photo is refused as `widespread` or `not_skin` when that probability reaches its
    threshold (the more probable of the two when both do); otherwise it is the more
    probable of the two answered kinds.
    """
    named = {kind.value: float(p) for kind, p in zip(KINDS, probabilities, strict=True)}
    refused = [
        kind
        for kind in (PhotoKind.WIDESPREAD, PhotoKind.NOT_SKIN)
        if named[kind.value] >= refuse_at.get(kind.value, 0.5)
    ]
    if refused:
        kind = max(refused, key=lambda k: named[k.value])
    else:
        kind = max((PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP), key=lambda k: named[k.value])
    return GateDecision(kind=kind, probabilities=named)


@dataclasses.dataclass(frozen=True)
class PhotoVerdict:
    """The quality gate and the photo-type gate together.

    Attributes:
        kind: The kind of photo (None when the model did not run).
        issues: Why no risk level is given; empty when the photo is answered.
    """

    kind: PhotoKind | None
    issues: tuple[QualityIssue, ...]

    @property
    def answered(self) -> bool:
        """True when the photo gets a melanoma risk level."""
        return not self.issues


def needs_model(report: QualityReport) -> bool:
    """True when the model must run: a usable photo, or one only the colour rules refused."""
    return report.ok or report.issues == (QualityIssue.NOT_A_LESION,)


def photo_verdict(report: QualityReport, gate: GateDecision | None) -> PhotoVerdict:
    """Combine the heuristic quality report with the learned gate's decision.

    Retake reasons (too small, blurry, too dark, overexposed) stand as they are. The
    colour rules' "not a lesion" stands unless the gate is sure of a dermatoscope
    image. Otherwise the gate decides: a rash or widespread condition and a picture
    that is not skin get no risk level.
    """
    if gate is None or not needs_model(report):
        return PhotoVerdict(kind=None, issues=report.issues)
    if not report.ok:
        if gate.probabilities[PhotoKind.DERMOSCOPY.value] >= TRUST_DERMOSCOPY_AT:
            return PhotoVerdict(kind=PhotoKind.DERMOSCOPY, issues=())
        return PhotoVerdict(kind=PhotoKind.NOT_SKIN, issues=report.issues)
    if gate.kind == PhotoKind.WIDESPREAD:
        return PhotoVerdict(kind=gate.kind, issues=(QualityIssue.WIDESPREAD,))
    if gate.kind == PhotoKind.NOT_SKIN:
        return PhotoVerdict(kind=gate.kind, issues=(QualityIssue.NOT_A_LESION,))
    return PhotoVerdict(kind=gate.kind, issues=())


def gate_card_path(gate_path: Path) -> Path:
    """The card that sits beside a gate file (`photo_gate.npz` -> `photo_gate.card.json`)."""
    return gate_path.with_name(gate_path.stem + ".card.json")


def load_gate(path: Path | str | None = None, *, classifier_sha256: str | None = None) -> PhotoGate:
    """Load a gate and its card.

    Args:
        path: The `.npz` file; the shipped gate when None.
        classifier_sha256: When given, the gate must have been trained on the features of
            this classifier file (a gate is only valid for the backbone it was fitted on).

    Raises:
        PhotoGateError: Missing or unreadable files, or a gate made for another classifier.
    """
    gate_path = Path(path) if path is not None else SHIPPED_GATE_PATH
    try:
        arrays = np.load(gate_path)
        card = json.loads(gate_card_path(gate_path).read_text(encoding="utf-8"))
        gate = PhotoGate(
            mean=np.asarray(arrays["mean"], np.float64),
            scale=np.asarray(arrays["scale"], np.float64),
            weights=np.asarray(arrays["weights"], np.float64),
            bias=np.asarray(arrays["bias"], np.float64),
            refuse_at={str(k): float(v) for k, v in card["refuse_at"].items()},
            card=card,
        )
    except (OSError, KeyError, ValueError) as error:
        raise PhotoGateError(f"Cannot read the photo gate {gate_path}: {error}") from error
    if gate.weights.shape != (gate.mean.shape[0], len(KINDS)):
        raise PhotoGateError(f"Photo gate weights have shape {gate.weights.shape}.")
    expected = card.get("classifier_sha256")
    if classifier_sha256 is not None and expected != classifier_sha256:
        raise PhotoGateError(
            "The photo gate was trained on another classifier's features "
            f"(sha256 {str(expected)[:12]}..., classifier {classifier_sha256[:12]}...)."
        )
    return gate
