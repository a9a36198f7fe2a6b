"""Input pipelines: tf.data on the TensorFlow backend, NumPy batches elsewhere."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from model.views import averaged_logits
from training.classifier.augment import build_augmenter


def full_batches(count: int, batch_size: int) -> int:
    """Batches per epoch: only full ones, as long as there is at least one.

    An incomplete last batch is dropped (other images are left out each epoch, as the
    order is reshuffled): TensorFlow 2.21's oneDNN kernels crashed the process with
    "double free or corruption" on odd-sized batches of the small CNN, and a batch of
    a few images would also jolt BatchNorm statistics.
    """
    return max(1, count // batch_size)


class _AugmentedBatches(keras.utils.PyDataset):
    """Shuffled, augmented NumPy batches for Keras backends without tf.data (JAX, torch)."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        weights: np.ndarray | None,
        batch_size: int,
        seed: int,
        augmenter: keras.Sequential,
    ) -> None:
        super().__init__()
        self.images, self.labels, self.weights = images, labels, weights
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.augmenter = augmenter
        self.order = self.rng.permutation(len(images))

    def __len__(self) -> int:
        return full_batches(len(self.images), self.batch_size)

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        picks = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.augmenter(self.images[picks].astype(np.float32), training=True)
        if self.weights is None:
            return batch, self.labels[picks]
        return batch, self.labels[picks], self.weights[picks]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.images))


def make_training_input(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    seed: int,
    augmenter: keras.Sequential | None = None,
    *,
    sample_weights: np.ndarray | None = None,
) -> Any:
    """Return an infinite-per-epoch shuffled, augmented input for `model.fit`.

    Each epoch has `full_batches(len(images), batch_size)` batches.

    On the TensorFlow backend this is a `tf.data` pipeline (shuffle, batch, augment a
    batch at a time with vectorised ops, prefetch while the model trains); on other
    backends a `keras.utils.PyDataset` applying the same augmentation layers. Either
    way a seed gives the same augmented batches in the same order.

    Args:
        images: uint8 images, preprocessed.
        labels: 0/1 labels, one per image.
        batch_size: Images per batch.
        seed: Seed of the shuffling (and of the default augmenter).
        augmenter: Augmentation layers; defaults to `build_augmenter(seed)`.
        sample_weights: Loss weight of each image (class balance included); when given
            the batches carry them, so pass no `class_weight` to `fit`.

    Returns:
        Batches of `(images, labels)`, or `(images, labels, sample_weights)`.
    """
    if augmenter is None:
        augmenter = build_augmenter(seed)
    weights = None if sample_weights is None else np.asarray(sample_weights, np.float32)
    if keras.backend.backend() != "tensorflow":
        return _AugmentedBatches(images, labels, weights, batch_size, seed, augmenter)
    import tensorflow as tf

    def augment(x: Any, *targets: Any) -> tuple[Any, ...]:
        return (augmenter(tf.cast(x, tf.float32), training=True), *targets)

    columns = (images, labels) if weights is None else (images, labels, weights)
    dataset = tf.data.Dataset.from_tensor_slices(columns)
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=len(images) >= batch_size)
    # One batch at a time, by design: the random layers keep their seed state in a
    # variable that a call reads, then advances, so parallel calls could give two
    # batches the same draws (2.5 % of batches did) and make a run depend on thread
    # timing. Each batch is augmented as a whole, its ops use every core, and
    # prefetching overlaps it with the training step (docs/experiments.md, augmentation seeds).
    dataset = dataset.map(augment)
    return dataset.prefetch(tf.data.AUTOTUNE)


def predict_logits(
    model: keras.Model, images: np.ndarray, batch_size: int = 64, views: int = 1
) -> np.ndarray:
    """Return the model's logits for a uint8 image array, in inference mode.

    With `views` > 1 each image's logit is the mean over that many flips and
    rotations (`model.views`), as the card's `test_time_views` asks at serving.
    `batch_size` counts views: 64 keeps Lite0 at 192 px near 4.7 GB of memory, where 256
    peaked at 16 GB and was 1.14-1.30x as fast (docs/experiments.md, evaluation_memory).
    """
    return averaged_logits(
        lambda batch: keras.ops.convert_to_numpy(model(batch.astype(np.float32), training=False)),
        images,
        views,
        batch_size,
    )
