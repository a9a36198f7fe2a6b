"""The classifier's pooled features of the gate's photos, cached on disk.

The gate reads the same numbers at serving time: the classifier's `pool` layer on the
preprocessed photo, averaged over the card's test-time views. Extraction is the slow
part of training the gate (about 25 ms a photo on two cores), so each photo's
features are cached under a key of the classifier's sha256, the photo and its
watermark flag.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from model.loader import LoadedModel
from model.test_time import average_view_features, average_views, dihedral_views
from preprocessing.pipeline import preprocess
from training.gate_data import GateSample
from training.watermark import add_watermark

FEATURES_LAYER = "pool"


def sample_key(sample: GateSample, index: int, watermarked: bool) -> str:
    """A stable key of one photo as given to the classifier."""
    name = str(sample.path) if sample.path is not None else f"made-{index}-{sample.group}"
    return hashlib.sha1(f"{name}|{int(watermarked)}".encode()).hexdigest()


class FeatureExtractor:
    """Run the classifier once per batch and return (logits, pooled features).

    Args:
        loaded: The classifier whose features the gate learns from.
        batch_size: Views per forward pass.
    """

    def __init__(self, loaded: LoadedModel, batch_size: int = 64) -> None:
        import keras
        import tensorflow as tf

        self.card = loaded.card
        self.views = loaded.card.test_time_views
        self.batch_size = batch_size
        model = loaded.model
        two_outputs = keras.Model(
            model.input, [model.output, model.get_layer(FEATURES_LAYER).output]
        )
        size = loaded.card.input_size

        @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.uint8)])
        def forward(batch: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            logits, features = two_outputs(tf.cast(batch, tf.float32), training=False)
            return logits, features

        self._forward = forward

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, S, S, 3) preprocessed uint8 -> (N,) view-averaged logits, (N, F) features."""
        logits, features = self._forward(dihedral_views(images, self.views))
        return (
            average_views(np.asarray(logits).reshape(-1), self.views),
            average_view_features(np.asarray(features), self.views),
        )


def extract(
    extractor: FeatureExtractor,
    samples: Sequence[GateSample],
    watermarked: Sequence[bool],
    cache_path: Path,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return (logits (N,), features (N, F)) of `samples`, from the cache where possible."""
    cache: dict[str, np.ndarray] = {}
    if cache_path.is_file():
        with np.load(cache_path) as stored:
            cache = {key: stored[key] for key in stored.files}
    keys = [sample_key(s, i, w) for i, (s, w) in enumerate(zip(samples, watermarked, strict=True))]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    step = max(1, extractor.batch_size // extractor.views)
    for start in tqdm(range(0, len(missing), step), desc="features", unit="batch"):
        chunk = missing[start : start + step]
        images = []
        for index in chunk:
            image = samples[index].load()
            if watermarked[index]:
                image = add_watermark(image, np.random.default_rng([seed, index]))
            images.append(preprocess(image, extractor.card.preprocessing))
        logits, features = extractor(np.stack(images))
        for index, logit, row in zip(chunk, logits, features, strict=True):
            cache[keys[index]] = np.concatenate([[logit], row]).astype(np.float32)
        if start // step % 50 == 49 or start + step >= len(missing):
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache_path, **cache)  # type: ignore[arg-type]
    rows = np.stack([cache[key] for key in keys]).astype(np.float64)
    return rows[:, 0], rows[:, 1:]
