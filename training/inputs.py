"""Input pipelines: tf.data on the TensorFlow backend, NumPy batches elsewhere."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from model.test_time import averaged_logits
from training.augment import build_augmenter


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
        batch_size: int,
        seed: int,
        augmenter: keras.Sequential,
    ) -> None:
        super().__init__()
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.rng = np.random.default_rng(seed)
        self.augmenter = augmenter
        self.order = self.rng.permutation(len(images))

    def __len__(self) -> int:
        return full_batches(len(self.images), self.batch_size)

    def __getitem__(self, index: int) -> tuple[Any, np.ndarray]:
        picks = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.augmenter(self.images[picks].astype(np.float32), training=True)
        return batch, self.labels[picks]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.images))


def make_training_input(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    seed: int,
    augmenter: keras.Sequential | None = None,
) -> Any:
    """Return an infinite-per-epoch shuffled, augmented input for `model.fit`.

    Each epoch has `full_batches(len(images), batch_size)` batches.

    On the TensorFlow backend this is a parallel `tf.data` pipeline (augmentation
    runs in `map` with `AUTOTUNE` parallelism and prefetching); on other backends
    a `keras.utils.PyDataset` applying the same augmentation layers.
    `augmenter` defaults to `build_augmenter(seed)`.
    """
    if augmenter is None:
        augmenter = build_augmenter(seed)
    if keras.backend.backend() != "tensorflow":
        return _AugmentedBatches(images, labels, batch_size, seed, augmenter)
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=len(images) >= batch_size)
    dataset = dataset.map(
        lambda x, y: (augmenter(tf.cast(x, tf.float32), training=True), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def predict_logits(
    model: keras.Model, images: np.ndarray, batch_size: int = 256, views: int = 1
) -> np.ndarray:
    """Return the model's logits for a uint8 image array, in inference mode.

    With `views` > 1 each image's logit is the mean over that many flips and
    rotations (`model.test_time`), as the card's `test_time_views` asks at serving.
    """
    return averaged_logits(
        lambda batch: keras.ops.convert_to_numpy(model(batch.astype(np.float32), training=False)),
        images,
        views,
        batch_size,
    )
