"""Model work off the event loop: a bounded worker pool with admission control.

Decoding, the quality gate, preprocessing, the model and Grad-CAM are CPU-bound;
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
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import cv2
import numpy as np

from model.heatmap import LazyHeatmap
from model.photo_gate import PhotoKind, ServedGate, needs_model, photo_verdict
from model.predictor import Prediction, Predictor
from preprocessing import (
    InvalidImageError,
    InvalidImageReason,
    QualityReport,
    assess_quality,
    decode_image,
)

T = TypeVar("T")


class QueueFullError(Exception):
    """Raised by `InferenceService.slot` when the global queue is full."""


@dataclasses.dataclass(frozen=True)
class Analysis:
    """What the bot learned from one photo; exactly one of the outcomes is set.

    Attributes:
        invalid: Why the bytes are not a usable image.
        quality: The quality report (always set once the image decoded).
        prediction: The model's answer, only when the quality and photo gates passed.
        kind: The photo-type gate's kind (None without a gate or when it did not run).
        seconds: Time spent in the worker.
    """

    invalid: InvalidImageReason | None = None
    quality: QualityReport | None = None
    prediction: Prediction | None = None
    kind: PhotoKind | None = None
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        """The outcome: "invalid", "poor_quality" or "prediction"."""
        if self.invalid is not None:
            return "invalid"
        return "prediction" if self.prediction is not None else "poor_quality"


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

    async def analyse(self, data: bytes) -> Analysis:
        """Decode, check and predict one photo in the worker pool."""
        return await self._run(self._analyse, data)

    async def heatmap_jpeg(self, data: bytes) -> bytes | None:
        """Return a JPEG of the Grad-CAM overlay, or None when the bytes are unusable."""
        return await self._run(self._heatmap_jpeg, data)

    def shutdown(self) -> None:
        """Finish running work and stop the worker threads."""
        self._executor.shutdown(wait=True, cancel_futures=False)

    async def _run(self, function: Callable[[bytes], T], data: bytes) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, data))

    def _analyse(self, data: bytes) -> Analysis:
        started = time.perf_counter()
        try:
            image = decode_image(data)
        except InvalidImageError as error:
            return Analysis(invalid=error.reason, seconds=time.perf_counter() - started)
        report = assess_quality(image)
        decision = None
        if self.gate is not None and needs_model(report):
            decision = self.gate.decide([image])[0]
        verdict = photo_verdict(report, decision)
        prediction = self.predictor.predict([image])[0] if verdict.answered else None
        return Analysis(
            quality=dataclasses.replace(report, issues=verdict.issues),
            prediction=prediction,
            kind=verdict.kind,
            seconds=time.perf_counter() - started,
        )

    def _heatmap_jpeg(self, data: bytes) -> bytes | None:
        try:
            image = decode_image(data)
        except InvalidImageError:
            return None
        heatmap = self._heatmap.get()
        if heatmap is None:
            return None
        overlay = heatmap.overlay(
            image, self.predictor.preprocess(image), framing=self.predictor.card.preprocessing
        )
        encoded, buffer = cv2.imencode(
            ".jpg", cv2.cvtColor(overlay, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
        return bytes(np.asarray(buffer).tobytes()) if encoded else None
