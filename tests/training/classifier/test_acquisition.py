"""Camera-changed training copies: what the changes do, and how copies are drawn."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion
from tests.training.classifier.test_hairy_copies import records  # plain fake records
from training.classifier.acquisition import (
    add_noise,
    add_skin_marking,
    blur,
    jpeg,
    simulate_acquisition,
)
from training.classifier.cache import preprocess_records
from training.classifier.copies import with_training_copies
from training.datasets import MELANOMA, Record


def high_frequency_energy(image: np.ndarray) -> float:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())


def test_each_change_degrades_the_photo_as_a_camera_would() -> None:
    photo = synthetic_lesion(160, seed=1)

    def error(image: np.ndarray) -> float:
        return float(np.abs(image.astype(np.float32) - photo).mean())

    assert error(jpeg(photo, 95)) < error(jpeg(photo, 10))
    assert high_frequency_energy(blur(photo, 2.0)) < 0.5 * high_frequency_energy(photo)
    noisy = add_noise(photo, 10.0, np.random.default_rng(0))
    assert high_frequency_energy(noisy) > 1.5 * high_frequency_energy(photo)
    assert 5.0 < error(noisy) < 10.0


@pytest.mark.parametrize("shape", [(150, 200), (256, 256), (480, 640)])
def test_skin_marking_draws_violet_ink_around_the_lesion_never_on_its_centre(
    shape: tuple[int, int],
) -> None:
    photo = cv2.resize(synthetic_lesion(256, seed=3), shape[::-1])
    short = min(shape)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    distance = np.hypot(xx - shape[1] / 2, yy - shape[0] / 2) / short
    masks = set()
    for seed in range(12):
        marked = add_skin_marking(photo, np.random.default_rng(seed))
        assert marked.shape == photo.shape and marked.dtype == np.uint8
        changed = np.abs(marked.astype(int) - photo).sum(axis=2) > 30
        assert changed.sum() > 0.002 * photo.shape[0] * photo.shape[1]
        assert not changed[distance < 0.2].any()  # the lesion's centre stays as it was
        assert not changed[distance > 0.45].any()  # and the ink stays near it
        ink = marked[changed].astype(int)
        # Violet: blue and red above green (skin: red above green above blue).
        assert np.mean((ink[:, 2] > ink[:, 1]) & (ink[:, 0] > ink[:, 1])) > 0.8
        masks.add(changed.tobytes())
    again = add_skin_marking(photo, np.random.default_rng(5))
    np.testing.assert_array_equal(again, add_skin_marking(photo, np.random.default_rng(5)))
    assert len(masks) == 12  # each draw marks differently
    with pytest.raises(ValueError, match="RGB"):
        add_skin_marking(photo[..., 0], np.random.default_rng(0))


def test_simulated_acquisition_always_changes_the_photo_and_is_seeded() -> None:
    photo = synthetic_lesion(160, seed=2)
    changed = [simulate_acquisition(photo, np.random.default_rng(seed)) for seed in range(40)]

    for image in changed:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.shape[0] <= photo.shape[0] and image.shape[1] <= photo.shape[1]
        assert image.shape != photo.shape or not np.array_equal(image, photo)
    again = simulate_acquisition(photo, np.random.default_rng(7))
    np.testing.assert_array_equal(again, changed[7])
    assert len({image.shape for image in changed}) > 1  # some lose resolution, most do not


def test_training_copies_are_hairy_or_camera_changed_never_both() -> None:
    originals = records(100, 900)

    extended, hair, acquisition, *_ = with_training_copies(
        originals, hair_copies=0.16, acquisition_copies=0.2, seed=0
    )

    assert extended[: len(originals)] == originals
    assert len(extended) == 1000 + 160 + 200
    assert len(hair) == len(acquisition) == len(extended)
    assert sum(seed is not None for seed in hair) == 160
    assert sum(seed is not None for seed in acquisition) == 200
    assert not any(h is not None and a is not None for h, a in zip(hair, acquisition, strict=True))
    assert all(
        h is None and a is None for h, a in zip(hair[:1000], acquisition[:1000], strict=True)
    )
    changed = [r for r, a in zip(extended, acquisition, strict=True) if a is not None]
    assert 0.05 < np.mean([r.label == MELANOMA for r in changed]) < 0.17  # the 10 % mix


def test_no_camera_copies_leaves_the_hairy_copies_alone() -> None:
    originals = records(10, 90)

    extended, hair, acquisition, *_ = with_training_copies(
        originals, hair_copies=0.3, acquisition_copies=0.0, seed=3
    )

    assert len(extended) == 130 and acquisition == [None] * 130
    assert sum(seed is not None for seed in hair) == 30


@pytest.fixture
def lesion_record(tmp_path: Path) -> Record:
    path = tmp_path / "lesion.png"
    cv2.imwrite(str(path), synthetic_lesion(128, seed=4)[..., ::-1])
    return Record(path, MELANOMA, "test", "lesion", "lesion")


def test_camera_changed_copies_are_preprocessed_changed(lesion_record: Record) -> None:
    record = lesion_record
    config = PreprocessConfig(image_size=64, working_size=96)

    images, keep = preprocess_records(
        [record, record, record], config, acquisition_seeds=[None, 1, 2], workers=1
    )
    plain, _ = preprocess_records([record], config, workers=1)

    assert keep.all()
    np.testing.assert_array_equal(images[0], plain[0])
    assert not np.array_equal(images[0], images[1])
    assert not np.array_equal(images[1], images[2])
    with pytest.raises(ValueError, match="must match the 1 records"):
        preprocess_records([record], config, acquisition_seeds=[None, 1], workers=1)


def test_other_camera_seeds_are_cached_apart(lesion_record: Record, tmp_path: Path) -> None:
    record = lesion_record
    config = PreprocessConfig(image_size=32, working_size=64)
    cache_dir = tmp_path / "cache"

    first, _ = preprocess_records(
        [record], config, acquisition_seeds=[1], workers=1, cache_dir=cache_dir
    )
    second, _ = preprocess_records(
        [record], config, acquisition_seeds=[2], workers=1, cache_dir=cache_dir
    )

    assert len(list(cache_dir.glob("*.npz"))) == 2
    assert not np.array_equal(first, second)
