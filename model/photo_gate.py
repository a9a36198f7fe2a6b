"""The photo-type gate: what kind of picture the bot was given.

A softmax head on frozen ImageNet EfficientNet-Lite0 features of the whole photo
(squashed to 224 px: the context around a spot is what tells a rash from one spot).
It sorts a photo into one of `PhotoKind`; only dermatoscope images and regular
close-ups of one spot get a risk level; several spots, a rash, a nail or mouth
(`UNUSABLE`) and a picture that is not skin get none, each with its own answer.
Trained by `python -m training.gate.train`, served as one LiteRT file
`model/shipped/photo_gate.tflite` (pixels in, kind probabilities out; no TensorFlow)
with its card `photo_gate.card.json`. `PhotoGate` is the head alone, fitted on features.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

import numpy as np

from preprocessing.quality import QualityIssue, QualityReport

SHIPPED_GATE_PATH = Path(__file__).resolve().parent / "shipped" / "photo_gate.tflite"
GATE_INPUT_SIZE = 224


class PhotoKind(enum.StrEnum):
    """The six kinds of picture the gate tells apart (stable codes)."""

    DERMOSCOPY = "dermoscopy"
    CLOSE_UP = "close_up"
    SEVERAL = "several_lesions"
    WIDESPREAD = "widespread"
    UNUSABLE = "not_usable"
    NOT_SKIN = "not_skin"


KINDS: tuple[PhotoKind, ...] = tuple(PhotoKind)
"""Column order of the gate's probabilities."""
ANSWERED_KINDS = frozenset({PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP})
REFUSED_KINDS: tuple[PhotoKind, ...] = tuple(k for k in KINDS if k not in ANSWERED_KINDS)
"""Kinds that get no risk level once together they reach the card's `refuse_at["refused"]`."""
REFUSED_KEY = "refused"
KIND_ISSUES = dict(zip(REFUSED_KINDS, (QualityIssue.SEVERAL_LESIONS, QualityIssue.WIDESPREAD,
    QualityIssue.NOT_USABLE, QualityIssue.NOT_A_LESION), strict=True))  # fmt: skip
"""Why a photo of each refused kind gets no risk level."""
TRUST_ANSWERED_AT = 0.9
"""A photo the colour heuristics call "not a lesion" is answered when the gate is this
sure it is a dermatoscope image or a close-up of one spot: the heuristics refused 2.4 %
of the dermoscopic dev sets, all by colour count or saturation."""


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
        weights: Head weights (F, K), columns in `KINDS` order.
        bias: Head biases (K,).
        refuse_at: {"refused": the summed probability of `REFUSED_KINDS` at or above
            which a photo gets no risk level, and optionally a refused kind's own
            threshold ("not_skin")}, chosen on held-out predictions (`decision`).
    """

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    refuse_at: dict[str, float]

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Return (N, K) kind probabilities for (N, F) pooled features."""
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


def decision(probabilities: np.ndarray, refuse_at: dict[str, float]) -> GateDecision:
    """Apply the refusal thresholds to one photo's kind probabilities.

    A photo gets no risk level when a refused kind with its own threshold in `refuse_at`
    reaches it (it is then that kind), or when the refused kinds together reach
    `refuse_at["refused"]` (0.5 when absent; it is then the most probable of them).
    Otherwise it is the more probable of the two answered kinds.
    """
    named = {kind.value: float(p) for kind, p in zip(KINDS, probabilities, strict=True)}
    over = [k for k in REFUSED_KINDS if named[k.value] >= refuse_at.get(k.value, 2.0)]
    if over:
        kind = max(over, key=lambda k: named[k.value])
    elif sum(named[k.value] for k in REFUSED_KINDS) >= refuse_at.get(REFUSED_KEY, 0.5):
        kind = max(REFUSED_KINDS, key=lambda k: named[k.value])
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
    image or close-up. Otherwise the gate decides: several spots, a rash or area, an
    unusable skin photo and a picture that is not skin get no risk level (`KIND_ISSUES`).
    """
    if gate is None or not needs_model(report):
        return PhotoVerdict(kind=None, issues=report.issues)
    if not report.ok:
        answered = sum(gate.probabilities[kind.value] for kind in ANSWERED_KINDS)
        if gate.answered and answered >= TRUST_ANSWERED_AT:
            return PhotoVerdict(kind=gate.kind, issues=())
        return PhotoVerdict(kind=PhotoKind.NOT_SKIN, issues=report.issues)
    if gate.kind in KIND_ISSUES:
        return PhotoVerdict(kind=gate.kind, issues=(KIND_ISSUES[gate.kind],))
    return PhotoVerdict(kind=gate.kind, issues=())


def gate_card_path(gate_path: Path) -> Path:
    """The card beside a gate file (`photo_gate.tflite` -> `photo_gate.card.json`)."""
    return gate_path.with_name(gate_path.stem + ".card.json")


def gate_input(image: np.ndarray) -> np.ndarray:
    """The whole photo squashed to the gate's square input (RGB uint8, 224 x 224).

    Shared by training and serving. Squashing, not cropping: the edges hold the
    context (other spots, a whole limb) that tells a rash from one spot.
    """
    import cv2

    return np.asarray(
        cv2.resize(image, (GATE_INPUT_SIZE, GATE_INPUT_SIZE), interpolation=cv2.INTER_AREA)
    )


class ServedGate:
    """The gate's LiteRT file with its thresholds (`model.serving`: an interpreter per thread).

    Args:
        path: The `.tflite` file (uint8 pixels in, kind probabilities out).
        card: Its card (`refuse_at`, version, figures).
        threads: Threads per interpreter.
    """

    def __init__(self, path: Path, card: dict[str, Any], *, threads: int = 1) -> None:
        from model.serving import ServedModel

        self.path = path
        self.card = card
        self.refuse_at = {str(k): float(v) for k, v in card["refuse_at"].items()}
        if card.get("kinds", [k.value for k in KINDS]) != [k.value for k in KINDS]:
            raise PhotoGateError(f"{path.name} sorts other kinds: {card.get('kinds')}")
        self._file = ServedModel(path, threads=threads)
        self.probabilities(np.zeros((1, GATE_INPUT_SIZE, GATE_INPUT_SIZE, 3), np.uint8))

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """(N, 224, 224, 3) uint8 gate inputs -> (N, K) kind probabilities."""
        return np.asarray(self._file.outputs(inputs)[2], np.float64)

    def decide(self, photos: list[np.ndarray]) -> list[GateDecision]:
        """Decide the kind of each decoded RGB photo (any size)."""
        if not photos:
            return []
        inputs = np.stack([gate_input(photo) for photo in photos])
        return [decision(row, self.refuse_at) for row in self.probabilities(inputs)]


def load_served_gate(path: Path | str | None = None, *, threads: int = 1) -> ServedGate:
    """Load the gate's LiteRT file and card, checking the file against the card's sha256.

    Args:
        path: The `.tflite` file; the shipped gate when None.
        threads: Threads per interpreter.

    Raises:
        PhotoGateError: Missing, unreadable or altered files.
    """
    from model.card import file_sha256

    gate_path = Path(path) if path is not None else SHIPPED_GATE_PATH
    try:
        card = json.loads(gate_card_path(gate_path).read_text(encoding="utf-8"))
        matches = card.get("gate_sha256") == file_sha256(gate_path)
    except (OSError, ValueError) as error:
        raise PhotoGateError(f"Cannot read the photo gate {gate_path}: {error}") from error
    if not matches:
        raise PhotoGateError(f"{gate_path.name} does not match its card's sha256.")
    try:
        return ServedGate(gate_path, card, threads=threads)
    except (KeyError, ValueError, RuntimeError) as error:
        raise PhotoGateError(f"Cannot read the photo gate {gate_path}: {error}") from error
