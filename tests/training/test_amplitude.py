"""Amplitude-spectrum mixing: the transform, the reference draw, and its place in the cache."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.pipeline import PreprocessConfig
from tests.conftest import synthetic_lesion
from tests.training.conftest import preprocess_plain_and_changed, write_photo_records
from training.amplitude import amplitude_references, mix_amplitude
from training.cache import preprocess_records
from training.copies import with_training_copies
from training.data import MELANOMA, NEVUS, Record


def sharpness(image: np.ndarray) -> float:
    """Variance of the Laplacian: high for noisy or sharp photos, low for smooth ones."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())


def coarse(image: np.ndarray) -> np.ndarray:
    """The photo at the scale of the lesion: what mixing must leave alone."""
    return cv2.GaussianBlur(image, (0, 0), 8).astype(np.float32)


def noisy_photo(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    photo = synthetic_lesion(128, seed=seed).astype(np.float32) + rng.normal(0, 25, (128, 128, 3))
    return np.clip(photo, 0, 255).astype(np.uint8)


def test_a_smooth_photo_takes_a_noisy_photos_texture_and_keeps_its_lesion() -> None:
    smooth = cv2.GaussianBlur(synthetic_lesion(128, seed=1), (0, 0), 2)
    # Darker skin and no lesion, another size (resized to the photo's): only its fine
    # texture may move over, not its brightness or its lack of a lesion.
    rng = np.random.default_rng(2)
    skin = np.clip(rng.normal((120, 90, 70), 25, (80, 96, 3)), 0, 255).astype(np.uint8)

    mixed = mix_amplitude(smooth, skin, 1.0)

    assert mixed.shape == smooth.shape and mixed.dtype == np.uint8
    assert sharpness(mixed) > 5 * sharpness(smooth)
    # At the lesion's scale nothing moved: same place, same darkness.
    assert np.abs(coarse(mixed) - coarse(smooth)).mean() < 4
    before = cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    after = cv2.cvtColor(mixed, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    assert np.corrcoef(before, after)[0, 1] > 0.8


def test_the_weight_sets_how_much_texture_moves_and_zero_changes_nothing() -> None:
    noisy, smooth = noisy_photo(3), cv2.GaussianBlur(synthetic_lesion(128, seed=4), (0, 0), 3)

    unchanged = mix_amplitude(noisy, smooth, 0.0)
    steps = [sharpness(mix_amplitude(noisy, smooth, weight)) for weight in (0.0, 0.5, 1.0)]

    assert np.abs(unchanged.astype(int) - noisy).max() <= 1  # rounding only
    assert steps[0] > steps[1] > steps[2]  # a smooth reference smooths, more with more weight


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 4)])
def test_non_rgb_arrays_and_weights_outside_zero_one_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="RGB"):
        mix_amplitude(np.zeros(shape, np.uint8), synthetic_lesion(8), 0.5)
    with pytest.raises(ValueError, match="RGB"):
        mix_amplitude(synthetic_lesion(8), np.zeros(shape, np.uint8), 0.5)
    with pytest.raises(ValueError, match=r"Received: weight=1\.5"):
        mix_amplitude(synthetic_lesion(8), synthetic_lesion(8), 1.5)


def photo_records(count: int) -> list[Record]:
    made = []
    for index in range(count):
        path = Path(f"/x/{index}.jpg")
        label = MELANOMA if index % 7 == 0 else NEVUS
        made.append(Record(path, label, "S", path.stem, path.stem))
    return made


def test_references_are_other_photos_for_about_share_of_them_with_bounded_weights() -> None:
    records = photo_records(1000)

    references = amplitude_references(records, 0.5, max_weight=0.6, seed=0)

    drawn = [(r, ref) for r, ref in zip(records, references, strict=True) if ref is not None]
    assert 0.45 < len(drawn) / len(records) < 0.55
    assert all(path != str(record.path) for record, (path, _) in drawn)
    weights = np.array([weight for _, (_, weight) in drawn])
    assert weights.min() >= 0.0 and weights.max() <= 0.6 and weights.max() > 0.5
    melanomas = [ref for r, ref in zip(records, references, strict=True) if r.label == MELANOMA]
    assert 0.35 < np.mean([ref is not None for ref in melanomas]) < 0.65  # alike per class
    few = photo_records(3)  # where drawing itself would be common, it never happens
    for seed in range(20):
        drawn_few = amplitude_references(few, 1.0, max_weight=1.0, seed=seed)
        assert all(ref and ref[0] != str(r.path) for r, ref in zip(few, drawn_few, strict=True))
    assert amplitude_references(records, 0.5, max_weight=0.6, seed=0) == references
    assert amplitude_references(records, 0.5, max_weight=0.6, seed=1) != references


def test_nothing_is_mixed_without_a_share_a_weight_or_a_second_photo() -> None:
    assert set(amplitude_references(photo_records(50), 0.0, max_weight=1.0, seed=0)) == {None}
    assert set(amplitude_references(photo_records(50), 0.5, max_weight=0.0, seed=0)) == {None}
    assert amplitude_references(photo_records(1), 1.0, max_weight=1.0, seed=0) == [None]
    for share, weight in ((1.5, 0.5), (0.5, -0.1)):
        with pytest.raises(ValueError, match="Received"):
            amplitude_references(photo_records(5), share, max_weight=weight, seed=0)


def test_training_copies_are_mixed_too_and_the_other_draws_do_not_move() -> None:
    originals = photo_records(100)
    common = {"hair_copies": 0.5, "hair_copies_of": "all", "acquisition_copies": 0.5, "seed": 0}

    plain = with_training_copies(originals, **common)  # type: ignore[arg-type]
    mixed = with_training_copies(originals, **common, amplitude_share=0.5)  # type: ignore[arg-type]

    assert set(plain.amplitude_references) == {None}
    copies = mixed.amplitude_references[len(originals) :]
    assert len(copies) == 100 and 0.3 < np.mean([ref is not None for ref in copies]) < 0.7
    # Its own seed stream: turning it on changes no hair, camera or colour draw.
    assert mixed.records == plain.records
    assert mixed.hair_seeds == plain.hair_seeds
    assert mixed.acquisition_seeds == plain.acquisition_seeds


def test_preprocessing_mixes_the_photos_given_a_reference(tmp_path: Path) -> None:
    records = write_photo_records(tmp_path, [synthetic_lesion(96, seed=5), noisy_photo(6)])
    config = PreprocessConfig(image_size=64, working_size=64, hair_removal=False)

    plain, mixed = preprocess_plain_and_changed(
        records[0], config, tmp_path / "c", amplitude_references=[(str(records[1].path), 1.0)]
    )

    # Not the cached plain array: the reference is part of the key, and it adds texture.
    assert len(list((tmp_path / "c").glob("*.npz"))) == 2
    assert sharpness(mixed[0]) > 2 * sharpness(plain[0])
    with pytest.raises(ValueError, match="amplitude references"):
        preprocess_records(records, config, amplitude_references=[None], workers=1)
