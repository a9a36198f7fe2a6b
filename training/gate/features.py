"""The gate backbone's features of the gate's photos, cached on disk.

The gate reads the same numbers at serving time: frozen ImageNet EfficientNet-Lite0
pooled features of `model.photo_gate.gate_input(photo)`. Extraction is the slow part of
training the gate (about 25 ms a photo on two cores), so each photo's features are
cached under a key of the photo and its watermark flag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from model.photo_gate import gate_input
from training.gate.data import GateSample
from training.gate.watermark import add_watermark

CACHE_VERSION = "imagenet-lite0-224-v1"


def sample_key(sample: GateSample, index: int, watermarked: bool) -> str:
    """A stable key of one photo as given to the backbone."""
    name = str(sample.path) if sample.path is not None else f"made-{index}-{sample.group}"
    return hashlib.sha1(f"{CACHE_VERSION}|{name}|{int(watermarked)}".encode()).hexdigest()


class FeatureExtractor:
    """Run the gate backbone on batches of gate inputs.

    Args:
        backbone: `training.gate.backbone.gate_backbone()`.
        batch_size: Photos per forward pass.
    """

    def __init__(self, backbone: keras.Model, batch_size: int = 32) -> None:
        import tensorflow as tf

        self.batch_size = batch_size
        size = int(backbone.input_shape[1])

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8)])
        def forward(batch: tf.Tensor) -> tf.Tensor:
            return backbone(tf.cast(batch, tf.float32), training=False)

        self._forward = forward

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 gate inputs -> (N, F) features."""
        return np.asarray(self._forward(inputs), np.float64)


def extract(
    extractor: FeatureExtractor,
    samples: Sequence[GateSample],
    watermarked: Sequence[bool],
    cache_path: Path,
    seed: int,
) -> np.ndarray:
    """Return the (N, F) features of `samples`, from the cache where possible."""
    if not samples:
        return np.zeros((0, 0))
    cache: dict[str, np.ndarray] = {}
    if cache_path.is_file():
        with np.load(cache_path) as stored:
            cache = {key: stored[key] for key in stored.files}
    keys = [sample_key(s, i, w) for i, (s, w) in enumerate(zip(samples, watermarked, strict=True))]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    step = extractor.batch_size
    for start in tqdm(range(0, len(missing), step), desc="features", unit="batch"):
        chunk = missing[start : start + step]
        inputs = []
        for index in chunk:
            image = samples[index].load()
            if watermarked[index]:
                image = add_watermark(image, np.random.default_rng([seed, index]))
            inputs.append(gate_input(image))
        for index, row in zip(chunk, extractor(np.stack(inputs)), strict=True):
            cache[keys[index]] = row.astype(np.float32)
        if start // step % 50 == 49 or start + step >= len(missing):
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache_path, **cache)  # type: ignore[arg-type]
    return np.stack([cache[key] for key in keys]).astype(np.float64)
