"""The lesion-grouped, stratified, seeded split."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from training.datasets import MELANOMA, NEVUS, Record, read_dataset, read_datasets
from training.datasets.split import (
    SAME_LESION,
    SPLIT_3_0_0,
    TWO_SOURCE_SPLIT,
    assign_splits,
    read_split,
    records_by_split,
    split_summary,
    write_split,
)


def constructed_records() -> list[Record]:
    """Two sources, both classes, lesions with 1 to 5 images each."""
    records = []
    for source, n_lesions in (("A", 300), ("B", 120)):
        for lesion in range(n_lesions):
            label = MELANOMA if lesion % 6 == 0 else NEVUS
            for shot in range(1 + lesion % 5):
                image_id = f"{source}_{lesion}_{shot}"
                lesion_id = f"{source}_L{lesion}"
                records.append(Record(Path(f"{image_id}.jpg"), label, source, image_id, lesion_id))
    return records


def lesions_per_split(records: list[Record], assignment: dict[str, str]) -> dict[str, set[str]]:
    splits: dict[str, set[str]] = collections.defaultdict(set)
    for record in records:
        splits[record.lesion_id].add(assignment[record.image_id])
    return splits


def test_no_lesion_in_two_splits() -> None:
    records = constructed_records()
    assignment = assign_splits(records, seed=3)
    assert set(assignment) == {record.image_id for record in records}
    assert all(len(splits) == 1 for splits in lesions_per_split(records, assignment).values())


@pytest.mark.parametrize("seed", [0, 1])
def test_fractions_near_targets_per_source_and_class(seed: int) -> None:
    records = constructed_records()
    assignment = assign_splits(records, val_fraction=0.2, test_fraction=0.1, seed=seed)
    counts = split_summary(records, assignment)["counts"]
    targets = {"train": 0.7, "val": 0.2, "test": 0.1}
    for source in ("A", "B"):
        for label in ("melanoma", "nevus"):
            total = sum(counts[split][source][label] for split in targets)
            for split, target in targets.items():
                share = counts[split][source][label] / total
                assert abs(share - target) < 0.05, (source, label, split, share)


def test_same_seed_same_split_other_seed_differs() -> None:
    records = constructed_records()
    first = assign_splits(records, seed=7)
    assert assign_splits(list(records), seed=7) == first
    other = assign_splits(records, seed=8)
    assert sum(first[key] != other[key] for key in first) > len(first) // 10


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    records = constructed_records()
    assignment = assign_splits(records)
    path = write_split(tmp_path / "run" / "split.csv", records, assignment)
    assert path.read_text().splitlines()[0] == "image_id,lesion_id,label,source,split"
    assert read_split(path) == assignment


def test_read_split_rejects_bad_files(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("image,fold\nx,1\n")
    with pytest.raises(ValueError, match="image_id and split"):
        read_split(tmp_path / "a.csv")
    (tmp_path / "b.csv").write_text("image_id,split\nx,holdout\n")
    with pytest.raises(ValueError, match="holdout"):
        read_split(tmp_path / "b.csv")


def test_bad_fractions_and_duplicates_raise() -> None:
    records = constructed_records()
    with pytest.raises(ValueError, match="Received: val_fraction"):
        assign_splits(records, val_fraction=0.6, test_fraction=0.5)
    with pytest.raises(ValueError, match=r"test_fraction=-0\.1"):
        assign_splits(records, test_fraction=-0.1)
    with pytest.raises(ValueError, match="unique"):
        assign_splits([*records, records[0]])


def test_split_summary_counts_everything() -> None:
    records = constructed_records()
    assignment = assign_splits(records)
    summary = split_summary(records, assignment)
    assert sum(summary["totals"].values()) == len(records)
    assert summary["unassigned"] == 0
    assert abs(sum(summary["fractions"].values()) - 1.0) < 1e-3


def test_real_set_has_no_leakage_and_balanced_strata(shared_data_dir: Path) -> None:
    records = read_dataset(shared_data_dir).records
    assignment = assign_splits(records, seed=0)
    assert all(len(splits) == 1 for splits in lesions_per_split(records, assignment).values())
    counts = split_summary(records, assignment)["counts"]
    for source in ("HAM10000", "ISIC2017"):
        for label in ("melanoma", "nevus"):
            total = sum(counts[split][source][label] for split in counts)
            assert abs(counts["test"][source][label] / total - 0.15) < 0.01


def test_three_real_sources_split_by_lesion_and_stratified(shared_data_dir: Path) -> None:
    bcn = shared_data_dir.parent / "bcn20000"
    if not (bcn / "labels.csv").is_file():
        pytest.skip("../shared/data/bcn20000 not present")
    records = read_datasets([shared_data_dir, bcn]).records
    assignment = assign_splits(records, seed=0)
    # BCN20000 has up to 31 images per lesion: none of them may cross a split.
    assert all(len(splits) == 1 for splits in lesions_per_split(records, assignment).values())
    counts = split_summary(records, assignment)["counts"]
    for source in ("HAM10000", "ISIC2017", "BCN20000"):
        for label in ("melanoma", "nevus"):
            total = sum(counts[split][source][label] for split in counts)
            assert abs(counts["test"][source][label] / total - 0.15) < 0.03, (source, label)
    # One folder reads as before, so model 2.6.0's two-source split is drawn again.
    two = read_dataset(shared_data_dir).records
    assert assign_splits(two, seed=0) == assign_splits(read_datasets([shared_data_dir]).records)


def test_the_two_source_split_of_model_2_6_0_is_drawn_again(shared_data_dir: Path) -> None:
    recorded = read_split(TWO_SOURCE_SPLIT)

    drawn = assign_splits(read_dataset(shared_data_dir).records, seed=0)

    assert len(recorded) == 9642
    assert drawn == recorded


def test_records_by_split_keeps_dataset_order_and_holds_out_untrained_sources() -> None:
    records = constructed_records()
    assignment = assign_splits(records, seed=0)

    everything = records_by_split(records, assignment)
    only_a = records_by_split(records, assignment, ("A",))

    assert everything["held_out"] == []
    assert sum(len(everything[name]) for name in ("train", "val", "test")) == len(records)
    for name in ("train", "val", "test"):
        assert everything[name] == [r for r in records if assignment[r.image_id] == name]
        assert only_a[name] == [r for r in everything[name] if r.source == "A"]
    assert only_a["held_out"] == [r for r in records if r.source == "B"]  # every B image


def test_a_fixed_split_keeps_its_lesions_and_assigns_the_others() -> None:
    records = constructed_records()
    earlier = assign_splits(records[: len(records) // 2], seed=3)

    extended = assign_splits(records, seed=0, fixed=earlier)

    assert all(extended[image] == split for image, split in earlier.items())
    assert set(extended) == {record.image_id for record in records}
    assert all(len(splits) == 1 for splits in lesions_per_split(records, extended).values())


def test_lesions_known_to_be_one_go_to_one_split() -> None:
    records = [
        Record(Path(f"{lesion}_{index}.jpg"), NEVUS, "BCN20000", f"{lesion}_{index}", lesion)
        for lesion in ("BCN_0004816", "BCN_0001604")
        for index in range(3)
    ] + [Record(Path(f"x{i}.jpg"), NEVUS, "BCN20000", f"x{i}", f"other_{i}") for i in range(40)]

    for seed in range(20):
        assignment = assign_splits(records, seed=seed)
        assert len({assignment[r.image_id] for r in records[:6]}) == 1, seed


def test_the_eight_class_split_over_the_real_folders(shared_data_dir: Path) -> None:
    folders = [
        shared_data_dir,
        *(shared_data_dir.parent / name for name in ("bcn20000", "lesions")),
    ]
    if not all((folder / "labels.csv").is_file() for folder in folders):
        pytest.skip("../shared/data/bcn20000 or lesions not present")
    records = read_datasets(folders).records

    assignment = assign_splits(records, seed=0, fixed=read_split(SPLIT_3_0_0))

    groups = {r.image_id: SAME_LESION.get(r.lesion_id, r.lesion_id) for r in records}
    splits_of_group: dict[str, set[str]] = collections.defaultdict(set)
    for record in records:
        splits_of_group[groups[record.image_id]].add(assignment[record.image_id])
    assert all(len(splits) == 1 for splits in splits_of_group.values())  # no lesion in two
    recorded = read_split(SPLIT_3_0_0)  # 3.0.0's melanomas and moles stay where they were
    assert all(assignment[image] == split for image, split in recorded.items())
    counts = split_summary(records, assignment)["counts"]
    for source in ("HAM10000", "BCN20000"):
        for label in ("bcc", "bkl", "akiec", "scc", "df", "vasc"):
            total = sum(counts[split][source][label] for split in counts)
            assert abs(counts["test"][source][label] / total - 0.15) < 0.05, (source, label)
