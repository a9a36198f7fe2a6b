"""The model card: the JSON file that lives next to every model file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from model.lesions import BINARY_CLASSES, LESION_CLASSES
from model.views import check_views
from preprocessing.pipeline import PreprocessConfig

CARD_SUFFIX = ".card.json"
FORMAT_VERSION = 1


class ModelCardError(ValueError):
    """Raised when a model card is missing, malformed or does not match its model."""


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Decision thresholds of the risk rule (`model.lesions.risk_levels`).

    Attributes:
        screening: Malignant score at or above which the risk is at least "moderate";
            chosen on validation for the sensitivities the card records.
        balanced: Urgent score at or above which the risk is "high". For a
            melanoma-vs-nevus model both scores are the melanoma probability.
    """

    screening: float
    balanced: float

    def __post_init__(self) -> None:
        for name in ("screening", "balanced"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ModelCardError(f"Threshold `{name}` must be in [0, 1]. Received: {value}")


@dataclasses.dataclass(frozen=True)
class Calibration:
    """Platt scaling, sigmoid(slope * logit + intercept), for one logit; temperature
    scaling, softmax(slope * logits), for one logit per class."""

    method: str = "identity"
    slope: float = 1.0
    intercept: float = 0.0


@dataclasses.dataclass(frozen=True)
class ServedFile:
    """The serving file written beside the `.keras` file (`model.convert`).

    Attributes:
        file: File name, in the same folder as the `.keras` file.
        sha256: Its SHA-256; a file that does not match is never served.
        runtime: "litert" (TFLite flatbuffer run by `ai-edge-litert`).
        precision: "float32", "float16" or "int8".
        heatmap: "cam" when the file also outputs the class activation map
            (Grad-CAM for the model's linear head), "" when heatmaps need Keras.
    """

    file: str
    sha256: str
    runtime: str = "litert"
    precision: str = "float32"
    heatmap: str = ""


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """Everything needed to serve a model correctly and to know how good it is."""

    model_version: str
    model_file: str
    model_sha256: str
    input_size: int
    preprocessing: PreprocessConfig
    thresholds: Thresholds
    calibration: Calibration = dataclasses.field(default_factory=Calibration)
    classes: tuple[str, ...] = BINARY_CLASSES  # output order; cards before 4.0.0 had none
    test_time_views: int = 1  # flips/rotations averaged per photo (model.views)
    training: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    limitations: list[str] = dataclasses.field(default_factory=list)
    created: str = ""
    served: ServedFile | None = None  # what `melnev predict` and the bot run
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        try:
            check_views(self.test_time_views)
        except ValueError as error:
            raise ModelCardError(f"Bad `test_time_views` in the model card: {error}") from error
        unknown = set(self.classes) - set(LESION_CLASSES)
        if unknown or len(set(self.classes)) != len(self.classes) or len(self.classes) < 2:
            raise ModelCardError(
                f"The card's `classes` must be distinct names of {LESION_CLASSES}. "
                f"Received: {self.classes}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Return the card as a JSON-serialisable dict."""
        values = dataclasses.asdict(self)
        values["preprocessing"] = self.preprocessing.to_dict()
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelCard:
        """Parse a card dict, raising `ModelCardError` on anything malformed."""
        try:
            values = dict(values)
            values["preprocessing"] = PreprocessConfig.from_dict(values["preprocessing"])
            values["thresholds"] = Thresholds(**values["thresholds"])
            values["calibration"] = Calibration(**values.get("calibration", {}))
            values["classes"] = tuple(values.get("classes", BINARY_CLASSES))
            served = values.get("served")
            values["served"] = ServedFile(**served) if served else None
            return cls(**values)
        except ModelCardError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise ModelCardError(f"Malformed model card: {error}") from error


def card_path_for(model_path: Path) -> Path:
    """Return where the card of `model_path` lives (`name.keras` -> `name.card.json`)."""
    return model_path.with_name(model_path.stem + CARD_SUFFIX)


def file_sha256(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_card(card: ModelCard, model_path: Path) -> Path:
    """Write `card` next to `model_path` and return the card's path."""
    path = card_path_for(model_path)
    path.write_text(json.dumps(card.to_dict(), indent=2, sort_keys=False) + "\n")
    return path


def load_card(model_path: Path) -> ModelCard:
    """Read and check the card next to `model_path`.

    Raises:
        ModelCardError: If the card is missing or malformed, or names another
            model file, or the model file's SHA-256 differs from the card's.
    """
    path = card_path_for(model_path)
    if not path.is_file():
        raise ModelCardError(
            f"No model card next to {model_path.name}: expected {path.name}. "
            "A model is only served together with its card (thresholds, preprocessing)."
        )
    try:
        card = ModelCard.from_dict(json.loads(path.read_text()))
    except json.JSONDecodeError as error:
        raise ModelCardError(f"{path.name} is not valid JSON: {error}") from error
    if card.model_file != model_path.name:
        raise ModelCardError(f"{path.name} describes {card.model_file!r}, not {model_path.name!r}.")
    actual = file_sha256(model_path)
    if card.model_sha256 != actual:
        raise ModelCardError(
            f"{model_path.name} does not match its card (sha256 {actual[:12]}... != "
            f"{card.model_sha256[:12]}...): retrain or regenerate the card."
        )
    return card


def served_path(model_path: Path, card: ModelCard) -> Path | None:
    """Return the checked serving file of `model_path`, or None when the card names none.

    Raises:
        ModelCardError: If the card names a file that is missing or whose SHA-256
            differs from the card's, or a runtime other than LiteRT.
    """
    if card.served is None:
        return None
    if card.served.runtime != "litert":
        raise ModelCardError(f"Unknown serving runtime {card.served.runtime!r} in the card.")
    path = model_path.with_name(card.served.file)
    if not path.is_file():
        raise ModelCardError(f"The card names {path.name} to serve, but it is missing.")
    actual = file_sha256(path)
    if actual != card.served.sha256:
        raise ModelCardError(
            f"{path.name} does not match its card (sha256 {actual[:12]}... != "
            f"{card.served.sha256[:12]}...): export the model again."
        )
    return path
