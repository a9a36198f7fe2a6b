"""Load a model and its card once per process, safely from several threads.

Serving needs no TensorFlow: `load_model` reads and checks the card and, where the
card names one, opens the LiteRT file beside the `.keras` file (`model.serving`).
The Keras model itself is loaded only when `LoadedModel.model` is first used
(training, evaluation, a Keras-only model, or a Grad-CAM fallback).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from model.card import (
    ModelCard,
    ModelCardError,
    card_path_for,
    file_sha256,
    load_card,
    served_path,
)
from model.serving import ServedModel

if TYPE_CHECKING:
    import keras

logger = logging.getLogger(__name__)

SHIPPED_MODEL_PATH = Path(__file__).resolve().parent / "shipped" / "melnev.keras"


class ModelLoadError(RuntimeError):
    """Raised when a model file is missing or cannot be read."""


class LoadedModel:
    """A model together with the card that says how to use it.

    Args:
        card: The checked card.
        path: The `.keras` file.
        served: The card's LiteRT file, opened (None when the card names none).
        model: The Keras model, when already loaded; else loaded on first use.
    """

    def __init__(
        self,
        card: ModelCard,
        path: Path,
        served: ServedModel | None = None,
        model: keras.Model | None = None,
    ) -> None:
        self.card = card
        self.path = path
        self.served = served
        self._model = model
        self._lock = threading.Lock()

    @property
    def keras_loaded(self) -> bool:
        """True once the Keras model is in memory."""
        return self._model is not None

    @property
    def model(self) -> keras.Model:
        """The Keras model, loaded (with TensorFlow) on first use.

        Raises:
            ModelLoadError: If Keras cannot read the file.
            ModelCardError: If its input does not match the card.
        """
        with self._lock:
            if self._model is None:
                self._model = _load_keras(self.path, self.card)
            return self._model


def _load_keras(model_path: Path, card: ModelCard) -> keras.Model:
    # Loaded later than the card was read: the file must still be the one it describes.
    if file_sha256(model_path) != card.model_sha256:
        raise ModelCardError(f"{model_path.name} changed on disk since its card was read.")
    from model.quiet_start import start_backend_quietly

    try:
        start_backend_quietly()
        import keras
    except ImportError as error:  # a serving-only install (`pip install .`, the Docker image)
        raise ModelLoadError(
            f"{model_path.name} needs Keras here (its card names no LiteRT file, or a Keras "
            f"path was asked for), and Keras is not installed: {error}. Install "
            "'melnev[train]', or write its LiteRT file with `python -m model.export`."
        ) from error

    try:
        model = keras.saving.load_model(model_path, compile=False)
    except Exception as error:  # Keras raises many types for a bad archive
        raise ModelLoadError(f"Keras could not load {model_path.name}: {error}") from error
    input_shape = tuple(model.input_shape[1:])
    expected = (card.input_size, card.input_size, 3)
    if input_shape != expected:
        raise ModelCardError(
            f"Model input {input_shape} does not match the card's input size {expected}."
        )
    logger.info("Loaded Keras model %s (version %s)", model_path.name, card.model_version)
    return model


_CacheKey = tuple[Path, int, int, int, int]
_cache: dict[_CacheKey, LoadedModel] = {}
_lock = threading.Lock()


def _cache_key(model_path: Path) -> _CacheKey:
    # The card is part of the key: new thresholds or calibration written next to
    # an unchanged model file must be picked up, not served from the cache.
    stat = model_path.stat()
    try:
        card_stat = card_path_for(model_path).stat()
        card_size, card_mtime = card_stat.st_size, card_stat.st_mtime_ns
    except OSError:
        card_size, card_mtime = -1, -1  # load_card below reports the missing card
    return (model_path, stat.st_size, stat.st_mtime_ns, card_size, card_mtime)


def default_model_path() -> Path:
    """Return the path of the model shipped inside the package."""
    return SHIPPED_MODEL_PATH


def load_model(path: Path | str | None = None, *, keras_now: bool = False) -> LoadedModel:
    """Load a `.keras` model's card and serving file, caching the result per process.

    The cache key includes the size and modification time of the model file and
    of its card, so a model or card replaced on disk is loaded again; concurrent
    callers share one load. Without a serving file in the card (models exported
    before it existed) the Keras model is loaded at once, as it will serve.

    Args:
        path: Model file; the shipped model when None.
        keras_now: Load the Keras model now even when a serving file exists.

    Returns:
        The loaded model and its checked card.

    Raises:
        ModelLoadError: If the file does not exist, or Keras or LiteRT cannot read it.
        ModelCardError: If the card is missing or does not match the model or the
            serving file.
    """
    model_path = Path(path) if path is not None else default_model_path()
    model_path = model_path.expanduser().resolve()
    if not model_path.is_file():
        raise ModelLoadError(f"Model file not found: {model_path}")
    key = _cache_key(model_path)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            if keras_now:
                cached.model  # noqa: B018 - load it now
            return cached
        card = load_card(model_path)
        served_file = served_path(model_path, card)
        served = None if served_file is None else _open_served(served_file, card)
        loaded = LoadedModel(card=card, path=model_path, served=served)
        if served is None or keras_now:
            loaded.model  # noqa: B018 - load (and check) it now
        _cache[key] = loaded
        logger.info("Loaded model %s (version %s)", model_path.name, card.model_version)
        return loaded


def _open_served(path: Path, card: ModelCard) -> ServedModel:
    try:
        served = ServedModel(path)
    except (ValueError, RuntimeError) as error:
        raise ModelLoadError(f"LiteRT could not load {path.name}: {error}") from error
    if served.input_size != card.input_size:
        raise ModelCardError(
            f"{path.name} takes {served.input_size} px, the card says {card.input_size} px."
        )
    return served


def clear_cache() -> None:
    """Forget every loaded model (tests, or to free memory)."""
    with _lock:
        _cache.clear()
