"""Load a model and its card once per process, safely from several threads."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

import keras

from model.card import ModelCard, ModelCardError, card_path_for, load_card

logger = logging.getLogger(__name__)

SHIPPED_MODEL_PATH = Path(__file__).resolve().parent / "shipped" / "melnev.keras"


class ModelLoadError(RuntimeError):
    """Raised when a model file is missing or cannot be read."""


@dataclasses.dataclass(frozen=True)
class LoadedModel:
    """A Keras model together with the card that says how to use it."""

    model: keras.Model
    card: ModelCard
    path: Path


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


def load_model(path: Path | str | None = None) -> LoadedModel:
    """Load a `.keras` model and its card, caching the result per process.

    The cache key includes the size and modification time of the model file and
    of its card, so a model or card replaced on disk is loaded again; concurrent
    callers share one load.

    Args:
        path: Model file; the shipped model when None.

    Returns:
        The loaded model and its checked card.

    Raises:
        ModelLoadError: If the file does not exist or Keras cannot read it.
        ModelCardError: If the card is missing or does not match the model.
    """
    model_path = Path(path) if path is not None else default_model_path()
    model_path = model_path.expanduser().resolve()
    if not model_path.is_file():
        raise ModelLoadError(f"Model file not found: {model_path}")
    key = _cache_key(model_path)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        card = load_card(model_path)
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
        loaded = LoadedModel(model=model, card=card, path=model_path)
        _cache[key] = loaded
        logger.info("Loaded model %s (version %s)", model_path.name, card.model_version)
        return loaded


def clear_cache() -> None:
    """Forget every loaded model (tests, or to free memory)."""
    with _lock:
        _cache.clear()
