"""Do batches get their own augmentation draws, and what does one batch at a time cost?

Keras' random layers keep their seed state in a variable that each call reads, then
advances. In a `tf.data` map with parallel calls two batches can read it before it
advances and get the same draws. Printed, side by side, for a naive pipeline (the map
with `num_parallel_calls=AUTOTUNE`) and for `training.inputs.make_training_input`
(one batch at a time, prefetched):

* how many of N batches of one repeated image come out identical to another batch
  (each batch should differ: same images, fresh draws);
* whether two pipelines built with the same seed give the same batches (reproducible);
* training speed: milliseconds per step of the shipped backbone (EfficientNet-Lite0,
  192 px, batch 64), runs alternated so that a busy moment hits both.

No data needed (random images); about 5 minutes on a 2-core CPU.

Usage:
    python benchmarks/augmentation_seeds.py [--batches 400] [--steps 30] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from model.architecture import build_model  # noqa: E402
from training.augment import build_augmenter  # noqa: E402
from training.inputs import make_training_input  # noqa: E402


def naive_parallel_input(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int) -> Any:
    """The baseline: the same shuffle, batches and layers, augmented in parallel calls."""
    augmenter = build_augmenter(seed)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed).batch(batch_size, drop_remainder=True)
    dataset = dataset.map(
        lambda x, y: (augmenter(tf.cast(x, tf.float32), training=True), y),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


PIPELINES = {
    "parallel calls (naive)": naive_parallel_input,
    "one batch at a time": make_training_input,
}


def batch_fingerprints(pipeline: Any, batches: int, seed: int) -> list[int]:
    """Hash each augmented batch of one repeated image (4 copies per batch)."""
    image = np.random.default_rng(seed).integers(0, 256, (1, 48, 48, 3), dtype=np.uint8)
    images = np.repeat(image, 4 * batches, axis=0)
    labels = np.zeros(len(images), np.float32)
    return [hash(np.asarray(b[0]).tobytes()) for b in pipeline(images, labels, 4, seed)]


def step_milliseconds(pipeline: Any, steps: int) -> float:
    """Milliseconds per training step of Lite0 fed by the pipeline (after warm-up)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (64 * steps, 192, 192, 3), dtype=np.uint8)
    labels = (rng.random(len(images)) < 0.15).astype(np.float32)
    model = build_model(192, weights="imagenet", frozen_blocks=3)
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(pipeline(images[:192], labels[:192], 64, 0), epochs=1, shuffle=False, verbose=0)
    started = time.perf_counter()
    model.fit(pipeline(images, labels, 64, 0), epochs=1, shuffle=False, verbose=0)
    return (time.perf_counter() - started) / steps * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=400)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"{'pipeline':<24} {'identical batches':>18} {'same seed, same batches':>24}")
    for name, pipeline in PIPELINES.items():
        first = batch_fingerprints(pipeline, args.batches, seed=0)
        second = batch_fingerprints(pipeline, args.batches, seed=0)
        repeated = len(first) - len(set(first))
        print(f"{name:<24} {f'{repeated} of {len(first)}':>18} {first == second!s:>24}")
    timings: dict[str, list[float]] = {name: [] for name in PIPELINES}
    for _ in range(args.repeats):
        for name, pipeline in PIPELINES.items():
            timings[name].append(step_milliseconds(pipeline, args.steps))
    baseline = statistics.median(timings["parallel calls (naive)"])
    print(f"\ntraining step, Lite0 192 px batch 64, median of {args.repeats} x {args.steps} steps")
    for name, values in timings.items():
        median = statistics.median(values)
        runs = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:<24} {median:>6.0f} ms ({runs})  x{median / baseline:.2f} of the naive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
