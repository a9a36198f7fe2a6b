"""The preprocessing cache: reused for the same images and code, never for other code."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion
from training.classifier import cache
from training.classifier.cache import preprocess_records
from training.datasets import MELANOMA, Record

CONFIG = PreprocessConfig(image_size=32, working_size=64)


@pytest.fixture
def records(tmp_path: Path) -> list[Record]:
    made = []
    for index in range(3):
        path = tmp_path / f"lesion_{index}.png"
        cv2.imwrite(str(path), synthetic_lesion(96, seed=index)[..., ::-1])
        made.append(Record(path, MELANOMA, "test", path.stem, path.stem))
    return made


def test_a_cache_is_reused_for_the_same_images_and_code(
    records: list[Record], tmp_path: Path
) -> None:
    first, _ = preprocess_records(records, CONFIG, workers=1, cache_dir=tmp_path / "cache")
    (cached_file,) = (tmp_path / "cache").glob("*.npz")
    np.savez(cached_file, images=np.zeros_like(first), keep=np.ones(len(records), bool))

    again, _ = preprocess_records(records, CONFIG, workers=1, cache_dir=tmp_path / "cache")

    assert first.any() and not again.any()  # read from the (planted) cache


def test_changed_preprocessing_code_does_not_reuse_an_old_cache(
    records: list[Record], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = preprocess_records(records, CONFIG, workers=1, cache_dir=tmp_path / "cache")
    (cached_file,) = (tmp_path / "cache").glob("*.npz")
    np.savez(cached_file, images=np.zeros_like(first), keep=np.ones(len(records), bool))
    monkeypatch.setattr(cache, "preprocessing_fingerprint", lambda: "edited code")

    again, _ = preprocess_records(records, CONFIG, workers=1, cache_dir=tmp_path / "cache")

    np.testing.assert_array_equal(again, first)  # recomputed, not the stale zeros
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2
    assert not list((tmp_path / "cache").glob("*.partial*"))


def test_the_fingerprint_follows_the_preprocessing_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = (tmp_path / "pipeline.py", tmp_path / "acquisition.py")
    for source in sources:
        source.write_text("x = 1\n")
    monkeypatch.setattr(cache, "PREPROCESSING_SOURCES", sources)
    fingerprints = [cache.preprocessing_fingerprint()]
    for source in sources:
        source.write_text("x = 2\n")
        fingerprints.append(cache.preprocessing_fingerprint())

    assert len(set(fingerprints)) == 3


def test_the_fingerprint_covers_preprocessing_and_training_copies() -> None:
    names = {source.name for source in cache.PREPROCESSING_SOURCES}

    expected = {"pipeline.py", "geometry.py", "hair.py", "acquisition.py", "cache.py"}
    assert expected <= names
    assert all(source.is_file() for source in cache.PREPROCESSING_SOURCES)
