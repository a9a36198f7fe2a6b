"""Run the served LiteRT file of a model, without TensorFlow.

`model.convert` writes the file (uint8 images in; the logit, and where the head allows
the class activation map, out); `export_model` puts it beside the `.keras` file and
records its sha256 in the card. A LiteRT interpreter is not thread-safe, so every
thread that calls `ServedModel.forward` gets an interpreter of its own (the file is
memory-mapped once by the OS; each interpreter holds its own packed weights and
buffers, a few tens of MB for EfficientNet-Lite0).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

THREADS_ENV = "MELNEV_THREADS"
"""Environment variable: threads per interpreter (default: 2, at most the CPU count)."""


def default_threads() -> int:
    """Threads per interpreter: `MELNEV_THREADS`, else min(2, CPU count).

    Raises:
        ValueError: If `MELNEV_THREADS` is not a positive integer.
    """
    text = os.environ.get(THREADS_ENV, "")
    if not text:
        return max(1, min(2, os.cpu_count() or 1))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"`{THREADS_ENV}` must be a positive integer. Received: {text!r}")
    return int(text)


DELEGATE_NOTICE = "Created TensorFlow Lite XNNPACK delegate for CPU."
_quiet = threading.Lock()  # one thread at a time redirects file descriptor 2


@contextlib.contextmanager
def _without_delegate_notice() -> Iterator[None]:
    """Hold back native stderr output in a pipe and drop LiteRT's delegate notice.

    A pipe, not a file: nothing is written to disk while the bot answers (its privacy
    test audits that). The write end does not block: past the pipe's 64 KiB, native
    output inside the block would be lost rather than hang (creating an interpreter
    writes one line).
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    os.dup2(write_end, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(write_end)
        chunks = []
        while chunk := os.read(read_end, 1 << 16):
            chunks.append(chunk)
        os.close(read_end)
        lines = b"".join(chunks).decode(errors="replace").splitlines(keepends=True)
        sys.stderr.write("".join(line for line in lines if DELEGATE_NOTICE not in line))
        sys.stderr.flush()


class _Runner:
    """One interpreter with its tensor indices and current batch size."""

    def __init__(self, path: Path, threads: int) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with _quiet, _without_delegate_notice():
            self.interpreter: Any = Interpreter(model_path=str(path), num_threads=threads)
            self.interpreter.allocate_tensors()
        (details,) = self.interpreter.get_input_details()
        self.input_index = details["index"]
        # Told apart by rank, not name (a frozen graph's outputs are output_0, output_1):
        # the logits are (N,) for one class or (N, K), the photo gate's kind
        # probabilities (N, K), the class activation maps (N, h, w) or (N, h, w, K).
        self.output_indices = {
            len(item["shape_signature"]): item["index"]
            for item in self.interpreter.get_output_details()
        }
        self.logit_rank = 1 if 1 in self.output_indices else 2
        self.cam_rank = 3 if 3 in self.output_indices else 4
        self.logit_index = self.output_indices.get(self.logit_rank)
        self.cam_index = self.output_indices.get(self.cam_rank)
        self.input_shape = tuple(int(n) for n in details["shape_signature"][1:])
        self.input_dtype = details["dtype"]
        self.batch = -1

    def invoke(self, inputs: np.ndarray) -> dict[int, np.ndarray]:
        """Run one batch; return every output, keyed by rank."""
        if len(inputs) != self.batch:
            self.interpreter.resize_tensor_input(self.input_index, list(inputs.shape))
            self.interpreter.allocate_tensors()
            self.batch = len(inputs)
        self.interpreter.set_tensor(self.input_index, inputs)
        self.interpreter.invoke()
        return {
            rank: np.array(self.interpreter.get_tensor(index), np.float32)
            for rank, index in self.output_indices.items()
        }

    def run(self, views: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if self.logit_index is None:
            raise ValueError("This LiteRT file has no logit output (N,).")
        outputs = self.invoke(views)
        return outputs[self.logit_rank], outputs.get(self.cam_rank)


class ServedModel:
    """A `.tflite` model run by LiteRT, one interpreter per calling thread.

    Args:
        path: The `.tflite` file written by `model.convert`.
        threads: Threads per interpreter (None: `default_threads()`).

    Raises:
        ValueError: For threads < 1, or a file whose input is not (N, S, S, 3) uint8.
    """

    def __init__(self, path: Path | str, *, threads: int | None = None) -> None:
        self.path = Path(path)
        self.threads = default_threads() if threads is None else threads
        if self.threads < 1:
            raise ValueError(f"`threads` must be >= 1. Received: threads={self.threads}")
        self._local = threading.local()
        first = self._runner()
        if len(first.input_shape) != 3 or first.input_shape[2] != 3:
            raise ValueError(
                f"{self.path.name} must take (N, S, S, 3) images. "
                f"Received: input shape={first.input_shape}"
            )
        if first.input_dtype != np.uint8:
            raise ValueError(
                f"{self.path.name} must take uint8 images. Received: dtype={first.input_dtype}"
            )
        self.input_size = first.input_shape[0]
        self.has_cam = first.cam_index is not None

    def _runner(self) -> _Runner:
        runner = getattr(self._local, "runner", None)
        if runner is None:
            runner = _Runner(self.path, self.threads)
            self._local.runner = runner
        return runner

    def forward(self, views: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Run a batch of preprocessed images (views) through the model.

        Args:
            views: uint8 array (M, S, S, 3).

        Returns:
            The float32 logits, (M,) or (M, K), and the class activation maps,
            (M, h, w) or (M, h, w, K) (None when the file has none).

        Raises:
            ValueError: If `views` has the wrong shape or dtype.
        """
        expected = (self.input_size, self.input_size, 3)
        if views.ndim != 4 or views.shape[1:] != expected or views.dtype != np.uint8:
            raise ValueError(
                f"`views` must be uint8 (M, {self.input_size}, {self.input_size}, 3). "
                f"Received: shape={views.shape}, dtype={views.dtype}"
            )
        if len(views) == 0:
            return np.zeros(0, np.float32), None
        return self._runner().run(np.ascontiguousarray(views))

    def logits(self, views: np.ndarray) -> np.ndarray:
        """Return the logits of `forward`."""
        return self.forward(views)[0]

    def outputs(self, inputs: np.ndarray) -> dict[int, np.ndarray]:
        """Every output of the file for a uint8 batch (M, S, S, 3), keyed by rank.

        For files with other outputs than a logit, such as the photo gate's (M, K)
        kind probabilities (`model.photo_gate`).
        """
        return self._runner().invoke(np.ascontiguousarray(inputs, np.uint8))
