"""Recolouring like the other camera group: the colour transfer and the reference draw."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.pipeline import PreprocessConfig
from tests.conftest import synthetic_lesion
from tests.training.conftest import preprocess_plain_and_changed, write_photo_records
from training.cache import preprocess_records
from training.copies import with_training_copies
from training.data import EXCISED, FOLLOW_UP, MELANOMA, NEVUS, Record
from training.recolour import SCALE_LIMITS, other_group_references, transfer_colour


def lab_statistics(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32).reshape(-1, 3)
    return lab.mean(0), lab.std(0)


def tinted(image: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    return np.clip(image * np.array(gains, np.float32), 0, 255).astype(np.uint8)


def test_the_photo_takes_the_reference_colours_and_keeps_its_lesion() -> None:
    photo = synthetic_lesion(128, seed=1)
    # The same kind of scene under pinker light, half the size: spreads within the limits.
    reference = cv2.resize(tinted(synthetic_lesion(128, seed=2), (1.15, 0.85, 0.9)), (64, 64))

    recoloured = transfer_colour(photo, reference)

    assert recoloured.shape == photo.shape and recoloured.dtype == np.uint8
    mean, spread = lab_statistics(recoloured)
    target_mean, target_spread = lab_statistics(reference)
    np.testing.assert_allclose(mean, target_mean, atol=1.5)
    np.testing.assert_allclose(spread, target_spread, rtol=0.1, atol=1.0)
    assert abs(lab_statistics(photo)[0][1] - target_mean[1]) > 5  # it did need to change
    # The lesion is where it was: darkness ranks the pixels as before.
    before = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    after = cv2.cvtColor(recoloured, cv2.COLOR_RGB2GRAY).astype(float).ravel()
    assert np.corrcoef(before, after)[0, 1] > 0.95


def test_a_plain_photo_is_not_stretched_past_the_limit() -> None:
    plain = np.full((64, 64, 3), (200, 150, 130), np.uint8)
    plain[28:36, 28:36] = (120, 80, 60)  # a small mole on even skin
    busy = synthetic_lesion(64, seed=3)

    recoloured = transfer_colour(plain, busy)

    ratio = lab_statistics(recoloured)[1] / lab_statistics(plain)[1]
    assert np.all(ratio <= SCALE_LIMITS[1] * 1.05)
    flat = np.full((16, 16, 3), 90, np.uint8)  # no spread at all: nothing to divide by
    assert np.isfinite(transfer_colour(flat, busy).astype(float)).all()


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 4)])
def test_non_rgb_arrays_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="RGB"):
        transfer_colour(np.zeros(shape, np.uint8), synthetic_lesion(8))
    with pytest.raises(ValueError, match="RGB"):
        transfer_colour(synthetic_lesion(8), np.zeros(shape, np.uint8))


def camera_groups(followed_up: int, others: int) -> list[Record]:
    made = []
    for index in range(followed_up + others):
        confirmation = FOLLOW_UP if index < followed_up else EXCISED
        label = NEVUS if index < followed_up or index % 2 else MELANOMA
        path = Path(f"/x/{index}.jpg")
        made.append(Record(path, label, "S", path.stem, path.stem, confirmation=confirmation))
    return made


def test_references_come_from_the_other_group_for_about_share_of_the_photos() -> None:
    records = camera_groups(400, 600)
    followed_up = {str(r.path) for r in records if r.confirmation == FOLLOW_UP}

    references = other_group_references(records, 0.5, seed=0)

    assert len(references) == len(records)
    drawn = [(r, ref) for r, ref in zip(records, references, strict=True) if ref is not None]
    assert 0.45 < len(drawn) / len(records) < 0.55
    for record, reference in drawn:
        assert (reference in followed_up) != (record.confirmation == FOLLOW_UP)
    # Melanomas and moles alike: the recolouring itself says nothing about the class.
    melanomas = [ref for r, ref in zip(records, references, strict=True) if r.label == MELANOMA]
    assert 0.4 < np.mean([ref is not None for ref in melanomas]) < 0.6
    assert other_group_references(records, 0.5, seed=0) == references
    assert other_group_references(records, 0.5, seed=1) != references


def test_training_copies_are_recoloured_too_when_asked() -> None:
    originals = camera_groups(40, 60)

    copies = with_training_copies(
        originals,
        hair_copies=0.5,
        hair_copies_of="all",
        acquisition_copies=0.5,
        seed=0,
        recolour_share=0.5,
    )
    extended, references = copies.records, copies.colour_references

    assert len(references) == len(extended) == 200
    copies = references[len(originals) :]
    assert 0.3 < np.mean([ref is not None for ref in copies]) < 0.7  # copies drawn as well
    followed_up = {str(r.path) for r in originals if r.confirmation == FOLLOW_UP}
    for record, reference in zip(extended, references, strict=True):
        if reference is not None:
            assert (reference in followed_up) != (record.confirmation == FOLLOW_UP)


def test_nothing_is_recoloured_without_both_groups_or_share() -> None:
    assert set(other_group_references(camera_groups(0, 50), 0.5, seed=0)) == {None}
    assert set(other_group_references(camera_groups(50, 0), 0.5, seed=0)) == {None}
    assert set(other_group_references(camera_groups(50, 50), 0.0, seed=0)) == {None}
    with pytest.raises(ValueError, match="share"):
        other_group_references(camera_groups(5, 5), 1.5, seed=0)


def test_preprocessing_recolours_the_photos_given_a_reference(tmp_path: Path) -> None:
    photos = [
        tinted(synthetic_lesion(96, seed=index), gains)
        for index, gains in enumerate([(1.0, 1.0, 1.0), (1.1, 0.7, 0.7)])
    ]
    records = write_photo_records(tmp_path, photos)
    config = PreprocessConfig(image_size=32, working_size=64, color_constancy=False)

    plain, recoloured = preprocess_plain_and_changed(
        records[0], config, tmp_path / "c", colour_references=[str(records[1].path)]
    )

    # Not the cached plain array: the reference is part of the key, and it reddens the photo.
    assert len(list((tmp_path / "c").glob("*.npz"))) == 2
    redness = [float(np.mean(a[..., 0].astype(int) - a[..., 1])) for a in (plain, recoloured)]
    assert redness[1] > redness[0] + 10
    with pytest.raises(ValueError, match="references"):
        preprocess_records(records, config, colour_references=[None], workers=1)
