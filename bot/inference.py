"""Model work off the event loop: a bounded worker pool with admission control.

The photo path (`model.assessment.assess_photo`: decoding, both gates, the model) and
Grad-CAM (of the kind the answer named: the model runs again on the photo) are CPU-bound;
the model runs from its LiteRT file (no TensorFlow), and so does Grad-CAM where the
file carries the activation map (else Keras is loaded on the first heatmap request);
they run in a `ThreadPoolExecutor` so the event loop keeps answering other users.
`slot()` admits at most `queue_size` photos at once (running or waiting) and
raises `QueueFullError` beyond that, so a burst cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

from model.assessment import Assessment, assess_photo
from model.heatmap import Heatmap, LazyHeatmap
from model.lesions import BINARY_CLASSES
from model.photo_gate import ServedGate
from model.predictor import Predictor
from preprocessing import InvalidImageError, decode_image

T = TypeVar("T")


class QueueFullError(Exception):
    """Raised by `InferenceService.slot` when the global queue is full."""


@dataclasses.dataclass(frozen=True)
class HeatmapPicture:
    """A Grad-CAM overlay as JPEG, and the kind of lesion it explains."""

    jpeg: bytes
    lesion_class: str


class InferenceService:
    """Runs photos through decode -> quality gate -> photo gate -> model, bounded.

    Args:
        predictor: The loaded model's predictor (thread-safe).
        workers: Worker threads.
        queue_size: Photos admitted at once, running or waiting.
        gate: The photo-type gate; without it every photo the quality gate passes is
            answered.
    """

    def __init__(
        self,
        predictor: Predictor,
        *,
        workers: int,
        queue_size: int,
        gate: ServedGate | None = None,
    ) -> None:
        self.predictor = predictor
        self.gate = gate
        self.queue_size = queue_size
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="melnev-model")
        self._admitted = 0
        self._heatmap = LazyHeatmap(predictor.loaded, runtime=predictor.runtime)
        if predictor.runtime == "keras":  # Keras is loaded anyway: build Grad-CAM now
            self._heatmap.get()

    @property
    def heatmaps_available(self) -> bool:
        """True unless the model is known to have no layer to explain."""
        return not (self.predictor.runtime == "keras" and self._heatmap.get() is None)

    @property
    def admitted(self) -> int:
        """Photos admitted and not yet finished."""
        return self._admitted

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one place in the global queue; raise `QueueFullError` when it is full."""
        if self._admitted >= self.queue_size:
            raise QueueFullError
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    async def analyse(self, data: bytes) -> Assessment:
        """Run one photo through `model.assessment.assess_photo` in the worker pool."""
        return await self._run(self._analyse, data)

    async def heatmap(self, data: bytes) -> HeatmapPicture | None:
        """Return the Grad-CAM overlay of the kind the model names for these bytes (the
        kind the answer named: same photo, same model), or None when they are unusable."""
        return await self._run(self._heatmap_picture, data)

    def shutdown(self) -> None:
        """Finish running work and stop the worker threads."""
        self._executor.shutdown(wait=True, cancel_futures=False)

    async def _run(self, function: Callable[[bytes], T], data: bytes) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, data))

    def _analyse(self, data: bytes) -> Assessment:
        return assess_photo(data, self.predictor, self.gate)

    def _heatmap_picture(self, data: bytes) -> HeatmapPicture | None:
        try:
            image = decode_image(data)
        except InvalidImageError:
            return None
        heatmap = self._heatmap.get()
        if heatmap is None:
            return None
        classes = self.predictor.card.classes
        lesion_class = self.predictor.predict([image])[0].lesion_class
        if classes == BINARY_CLASSES:  # one logit (cards before 4.0.0): its map is melanoma's
            lesion_class = "melanoma"
        class_index = classes.index(lesion_class)
        jpeg = overlay_jpeg(heatmap, self.predictor, image, class_index)
        return HeatmapPicture(jpeg, lesion_class) if jpeg is not None else None


def overlay_jpeg(
    heatmap: Heatmap, predictor: Predictor, image: np.ndarray, class_index: int
) -> bytes | None:
    """The Grad-CAM overlay of class `class_index` (the card's order) on a decoded photo.

    Returns:
        JPEG bytes, or None when encoding failed.
    """
    overlay = heatmap.overlay(
        image,
        predictor.preprocess(image),
        class_index=class_index,
        framing=predictor.card.preprocessing,
    )
    encoded, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
    )
    return bytes(np.asarray(buffer).tobytes()) if encoded else None
