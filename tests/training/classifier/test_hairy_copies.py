"""Training copies (hair, camera changes): drawn from both classes alike, reproducibly."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.classifier.copies import with_copies
from training.datasets import MELANOMA, NEVUS, Record


def records(melanomas: int, nevi: int) -> list[Record]:
    labels = [MELANOMA] * melanomas + [NEVUS] * nevi
    return [
        Record(Path(f"/x/{index}.jpg"), label, "S", f"img{index}", f"lesion{index}")
        for index, label in enumerate(labels)
    ]


def test_copies_of_all_keep_the_class_mix() -> None:
    originals = records(100, 900)

    extended, seeds = with_copies(originals, 0.5, seed=0)

    copies = extended[len(originals) :]
    assert extended[: len(originals)] == originals
    assert len(copies) == 500
    assert seeds[: len(originals)] == [None] * len(originals)
    assert all(seed is not None for seed in seeds[len(originals) :])
    share = sum(r.label == MELANOMA for r in copies) / len(copies)
    assert 0.06 < share < 0.14  # 10 % melanomas, as in the originals


def test_same_seed_same_copies_and_hair() -> None:
    first = with_copies(records(10, 90), 0.3, seed=4)
    assert first == with_copies(records(10, 90), 0.3, seed=4)
    assert first != with_copies(records(10, 90), 0.3, seed=5)


def test_no_copies_and_bad_arguments() -> None:
    originals = records(3, 3)
    assert with_copies(originals, 0.0, seed=0) == (originals, [None] * 6)
    assert with_copies([], 1.0, seed=0) == ([], [])
    with pytest.raises(ValueError, match="Received: copies=-1"):
        with_copies(originals, -1, seed=0)
