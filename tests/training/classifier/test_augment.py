"""Training augmentation and the shuffled input pipeline that feeds it."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

from training.classifier.augment import RandomResolutionLoss, build_augmenter
from training.classifier.inputs import full_batches, make_training_input


def centred_square(batch: int = 8, size: int = 64, side: int = 16) -> np.ndarray:
    images = np.zeros((batch, size, size, 3), np.float32)
    start = (size - side) // 2
    images[:, start : start + side, start : start + side] = 255.0
    return images


def bright_fraction(images: np.ndarray) -> float:
    return float((np.asarray(images).mean(axis=-1) > 127).mean())


def test_inference_mode_is_the_identity() -> None:
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype(np.float32)
    augmented = build_augmenter(0)(images, training=False)
    np.testing.assert_array_equal(np.asarray(augmented), images)


def test_training_mode_changes_images_and_keeps_shape_and_range() -> None:
    images = np.random.default_rng(0).uniform(0, 255, (8, 32, 32, 3)).astype(np.float32)
    augmented = np.asarray(build_augmenter(0)(images, training=True))
    assert augmented.shape == images.shape
    assert augmented.min() >= 0.0 and augmented.max() <= 255.0
    assert not np.allclose(augmented, images)


def test_zoom_range_sets_how_much_the_lesion_is_enlarged() -> None:
    images = centred_square()
    unzoomed = bright_fraction(build_augmenter(0, zoom=(0.0, 0.0))(images, training=True))
    zoomed = bright_fraction(build_augmenter(0, zoom=(-0.5, -0.5))(images, training=True))
    # A 16 px square covers 1/16 of a 64 px frame; showing half the side makes it 1/4.
    assert unzoomed == pytest.approx(1 / 16, abs=0.02)
    assert zoomed == pytest.approx(1 / 4, abs=0.05)


def test_training_input_shuffles_and_keeps_each_label_with_its_image() -> None:
    count = 10
    images = np.arange(count, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    labels = np.arange(count, dtype=np.float32)
    batches = make_training_input(images, labels, 4, seed=1, augmenter=_Identity())
    seen = []
    for batch_images, batch_labels in batches:
        np.testing.assert_array_equal(np.asarray(batch_images)[:, 0, 0, 0], batch_labels)
        assert len(batch_labels) == 4  # the incomplete last batch is dropped
        seen.extend(np.asarray(batch_labels).tolist())
    assert len(seen) == len(set(seen)) == 8 and set(seen) <= set(labels.tolist())
    assert seen != labels.tolist()[:8]  # shuffled


def augmented_batches_of_one_image(seed: int, batches: int = 60) -> list[bytes]:
    image = np.random.default_rng(7).integers(0, 256, (1, 24, 24, 3), dtype=np.uint8)
    images = np.repeat(image, 4 * batches, axis=0)
    pipeline = make_training_input(images, np.zeros(len(images), np.float32), 4, seed=seed)
    return [np.asarray(batch_images).tobytes() for batch_images, _ in pipeline]


def test_every_batch_gets_its_own_draws_and_a_seed_repeats_them() -> None:
    # One image repeated: batches can only differ by their augmentation draws. With
    # parallel map calls two batches could read the layers' seed state before it
    # advanced (2 to 10 of 400 batches came out identical) and a run varied with timing.
    first = augmented_batches_of_one_image(seed=3)

    assert len(set(first)) == len(first) == 60
    assert augmented_batches_of_one_image(seed=3) == first
    assert augmented_batches_of_one_image(seed=4) != first


class _Identity:
    """An augmenter that changes nothing, so pipeline order can be checked exactly."""

    def __call__(self, images: Any, training: bool = True) -> Any:
        return images


def test_numpy_batches_on_other_backends_keep_labels_and_reshuffle_each_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # JAX and torch have no tf.data: `melnev train` with KERAS_BACKEND=jax (GPU runs)
    # is fed by a keras.utils.PyDataset instead, which must behave the same way.
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    count = 10
    images = np.arange(count, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 3), np.uint8)
    labels = np.arange(count, dtype=np.float32)
    batches = make_training_input(images, labels, 4, seed=1, augmenter=_Identity())
    assert isinstance(batches, keras.utils.PyDataset)
    assert len(batches) == 2  # full batches only

    def one_epoch() -> list[float]:
        seen: list[float] = []
        for index in range(len(batches)):
            batch_images, batch_labels = batches[index]
            np.testing.assert_array_equal(np.asarray(batch_images)[:, 0, 0, 0], batch_labels)
            seen.extend(np.asarray(batch_labels).tolist())
        batches.on_epoch_end()
        return seen

    epochs = [one_epoch() for _ in range(4)]
    assert all(len(set(seen)) == 8 for seen in epochs)
    assert epochs[0] != labels.tolist()[:8] and epochs[1] != epochs[0]  # shuffled, anew
    # The 2 images an epoch leaves out change from epoch to epoch: none is never seen.
    left_out = [frozenset(labels.tolist()) - frozenset(seen) for seen in epochs]
    assert len(set(left_out)) > 1
    assert frozenset().union(*epochs) == frozenset(labels.tolist())


def test_an_epoch_has_full_batches_only_but_never_none() -> None:
    assert full_batches(7828, 64) == 122
    assert full_batches(37, 16) == 2
    assert full_batches(5, 16) == 1  # a tiny set still trains, in one short batch


def labelled_by_brightness(count: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Moles are black images, melanomas white: a blend's brightness is its label."""
    labels = (np.arange(count) % 4 == 0).astype(np.float32)  # a quarter melanomas
    images = (labels[:, None, None, None] * np.full((1, 4, 4, 3), 255)).astype(np.uint8)
    return images, labels


def batches_of(
    backend: str, monkeypatch: pytest.MonkeyPatch, images: Any = None, **options: Any
) -> list[tuple[np.ndarray, ...]]:
    monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    brightness_images, labels = labelled_by_brightness()
    images = brightness_images if images is None else images
    batches = make_training_input(images, labels, 8, seed=3, augmenter=_Identity(), **options)
    if backend == "tensorflow":
        return [tuple(np.asarray(part) for part in batch) for _ in range(2) for batch in batches]
    epochs = []
    for _ in range(2):
        epochs.extend(tuple(np.asarray(part) for part in batches[i]) for i in range(len(batches)))
        batches.on_epoch_end()
    return epochs


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_class_weights_travel_as_one_sample_weight_per_image(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, labels = labelled_by_brightness()
    class_weights = np.where(labels == 1, 2.0, 0.6).astype(np.float32)
    for _, labels, weights in batches_of(backend, monkeypatch, sample_weights=class_weights):
        np.testing.assert_allclose(weights, np.where(labels == 1, 2.0, 0.6))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_per_image_weights_stay_with_their_images(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = labelled_by_brightness()
    images[:, 0, 0, 1] = np.arange(len(labels))  # which image this is
    per_image = np.linspace(0.5, 2.0, len(labels), dtype=np.float32)
    seen = []
    for batch, _, weights in batches_of(
        backend, monkeypatch, images=images, sample_weights=per_image
    ):
        index = batch[:, 0, 0, 1].astype(int)
        np.testing.assert_allclose(weights, per_image[index])
        seen.extend(index)
    assert len(set(seen)) == len(labels)  # every image came by, each with its own weight


def high_frequency_energy(images: np.ndarray) -> np.ndarray:
    """Mean absolute difference of neighbouring pixels, per image (detail left)."""
    return np.abs(np.diff(images, axis=2)).mean(axis=(1, 2, 3))


def test_resolution_loss_brings_a_share_of_images_to_each_scale() -> None:
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (400, 48, 48, 3)).astype(np.float32)
    layer = RandomResolutionLoss(0.6, (0.35, 0.5), seed=3)

    out = np.asarray(layer(images, training=True))

    detail = high_frequency_energy(out) / high_frequency_energy(images)
    unchanged = np.isclose(detail, 1.0)
    # Two scales, two levels of detail left, in about equal shares; the rest untouched.
    assert abs(unchanged.mean() - 0.4) < 0.08
    coarse, fine = detail < 0.07, (detail >= 0.07) & ~unchanged
    assert abs(coarse.mean() - 0.3) < 0.08 and abs(fine.mean() - 0.3) < 0.08
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)


def test_resolution_loss_scales_must_be_fractions() -> None:
    with pytest.raises(ValueError, match="Received: scale="):
        RandomResolutionLoss(0.3, (0.5, 1.0))
