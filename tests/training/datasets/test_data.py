"""Dataset readers for the three layouts, on tiny sets written by the tests."""

from __future__ import annotations

import collections
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.lesions import LESION_CLASSES
from training.datasets import (
    CONFIRMATIONS,
    MELANOMA,
    NEVUS,
    detect_layout,
    load_image_rgb,
    read_dataset,
    read_datasets,
)


def write_jpeg(path: Path, colour: tuple[int, int, int] = (180, 120, 100)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (48, 36), colour).save(path, format="JPEG")
    return path


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def folders_with_labels(tmp_path: Path) -> Path:
    root = tmp_path / "derm"
    write_jpeg(root / "melanoma" / "ISIC_1.jpg")
    write_jpeg(root / "nevus" / "ISIC_2.jpg")
    write_jpeg(root / "nevus" / "ISIC_3.jpg")
    write_text(
        root / "labels.csv",
        "image,label,source,image_id,lesion_id\n"
        "melanoma/ISIC_1.jpg,melanoma,HAM10000,ISIC_1,HAM_1\n"
        "nevus/ISIC_2.jpg,nevus,ISIC2017,ISIC_2,\n"
        "nevus/ISIC_3.jpg,nevus,ISIC2017,ISIC_3,MSK_3\n"
        "nevus/ISIC_4.jpg,nevus,ISIC2017,ISIC_4,MSK_4\n"
        "other/ISIC_5.jpg,wart,ISIC2017,ISIC_5,\n",
    )
    return root


def test_folders_with_labels_csv_reads_records(folders_with_labels: Path) -> None:
    report = read_dataset(folders_with_labels)
    assert report.layout == "folders"
    by_id = {record.image_id: record for record in report.records}
    assert set(by_id) == {"ISIC_1", "ISIC_2", "ISIC_3"}
    assert by_id["ISIC_1"].label == MELANOMA and by_id["ISIC_1"].source == "HAM10000"
    assert by_id["ISIC_3"].label == NEVUS and by_id["ISIC_3"].lesion_id == "MSK_3"
    assert by_id["ISIC_1"].path.is_file() and by_id["ISIC_1"].path.is_absolute()


def test_confirmation_is_read_from_dx_type_and_empty_without_it(tmp_path: Path) -> None:
    root = tmp_path / "derm"
    write_jpeg(root / "melanoma" / "ISIC_1.jpg")
    write_jpeg(root / "nevus" / "ISIC_2.jpg")
    write_text(
        root / "labels.csv",
        "image,label,source,image_id,lesion_id,dx_type\n"
        "melanoma/ISIC_1.jpg,melanoma,HAM10000,ISIC_1,HAM_1,histo\n"
        "nevus/ISIC_2.jpg,nevus,ISIC2017,ISIC_2,,\n",
    )
    by_id = {r.image_id: r for r in read_dataset(root).records}
    assert (by_id["ISIC_1"].confirmation, by_id["ISIC_2"].confirmation) == ("histo", "")


def test_empty_lesion_id_falls_back_to_image_id(folders_with_labels: Path) -> None:
    report = read_dataset(folders_with_labels)
    by_id = {record.image_id: record for record in report.records}
    assert by_id["ISIC_2"].lesion_id == "ISIC_2"
    assert all(record.lesion_id for record in report.records)


def test_missing_files_and_unknown_labels_are_reported(
    folders_with_labels: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        report = read_dataset(folders_with_labels)
    assert report.missing_files == ["nevus/ISIC_4.jpg"]
    assert report.unknown_labels == [("ISIC_5", "wart")]
    assert "missing" in caplog.text and "unknown labels" in caplog.text


def test_summary_counts_per_source_and_label(folders_with_labels: Path) -> None:
    summary = read_dataset(folders_with_labels).summary()
    assert summary["counts"] == {"HAM10000": {"melanoma": 1}, "ISIC2017": {"nevus": 2}}
    assert summary["missing_files"] == 1 and summary["unknown_labels"] == 1
    json.dumps(summary)


def test_folders_without_labels_csv(tmp_path: Path) -> None:
    root = tmp_path / "clinic_a"
    write_jpeg(root / "melanoma" / "a.jpg")
    write_jpeg(root / "nevus" / "b.png")
    write_jpeg(root / "benign" / "c.jpg")
    write_jpeg(root / "bcc" / "d.jpg")
    report = read_dataset(root)
    assert report.layout == "folders"
    assert {(r.image_id, r.label, r.source, r.lesion_id) for r in report.records} == {
        ("a", MELANOMA, "clinic_a", "a"),
        ("b", NEVUS, "clinic_a", "b"),
        ("d", LESION_CLASSES.index("bcc"), "clinic_a", "d"),
    }
    assert report.unknown_labels == [("c", "benign")]


def test_ham10000_layout(tmp_path: Path) -> None:
    root = tmp_path / "ham"
    write_jpeg(root / "HAM10000_images_part_1" / "ISIC_0024306.jpg")
    write_jpeg(root / "HAM10000_images_part_2" / "ISIC_0024307.jpg")
    write_jpeg(root / "HAM10000_images_part_2" / "ISIC_0024308.jpg")
    write_jpeg(root / "HAM10000_images_part_1" / "ISIC_0024309.jpg")
    write_text(
        root / "HAM10000_metadata.csv",
        "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
        "HAM_1,ISIC_0024306,nv,follow_up,45,male,trunk\n"
        "HAM_1,ISIC_0024307,nv,follow_up,45,male,trunk\n"
        "HAM_2,ISIC_0024308,mel,histo,60,female,back\n"
        "HAM_3,ISIC_0024309,bkl,histo,70,male,face\n"
        "HAM_4,ISIC_0024310,mel,histo,70,male,face\n"
        "HAM_5,ISIC_0024311,xyz,histo,70,male,face\n",
    )
    assert detect_layout(root) == "ham10000"
    report = read_dataset(root)
    assert report.layout == "ham10000"
    assert {(r.image_id, r.label, r.lesion_id, r.confirmation) for r in report.records} == {
        ("ISIC_0024306", NEVUS, "HAM_1", "follow_up"),
        ("ISIC_0024307", NEVUS, "HAM_1", "follow_up"),
        ("ISIC_0024308", MELANOMA, "HAM_2", "histo"),
        ("ISIC_0024309", LESION_CLASSES.index("bkl"), "HAM_3", "histo"),
    }
    assert {r.source for r in report.records} == {"HAM10000"}
    assert report.excluded == {}
    assert report.missing_files == ["ISIC_0024310"]
    assert report.unknown_labels == [("ISIC_0024311", "xyz")]


def test_isic_one_hot_layout(tmp_path: Path) -> None:
    root = tmp_path / "isic2019"
    write_jpeg(root / "images" / "ISIC_0000001.jpg")
    write_jpeg(root / "images" / "nested" / "ISIC_0000002.jpeg")
    write_jpeg(root / "images" / "ISIC_0000003.jpg")
    write_jpeg(root / "images" / "ISIC_0000005.jpg")
    write_jpeg(root / "images" / "ISIC_0000006.jpg")
    write_jpeg(root / "images" / "ISIC_0000007.jpg")
    write_text(
        root / "ISIC_2019_Training_GroundTruth.csv",
        "image,MEL,NV,BCC,AK,BKL,DF,VASC,SCC,UNK\n"
        "ISIC_0000001,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000002,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000003,0.0,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000004,0.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000005,1.0,1.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000006,0.0,0.0,0.0,1.0,0.0,0.0,0.0,0.0,0.0\n"
        "ISIC_0000007,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,1.0\n",
    )
    write_text(
        root / "ISIC_2019_Training_Metadata.csv",
        "image,age_approx,lesion_id\nISIC_0000001,55,MSK4_1\nISIC_0000002,40,\n",
    )
    assert detect_layout(root) == "isic"
    report = read_dataset(root)
    assert {(r.image_id, r.label, r.lesion_id) for r in report.records} == {
        ("ISIC_0000001", MELANOMA, "MSK4_1"),
        ("ISIC_0000002", NEVUS, "ISIC_0000002"),
        ("ISIC_0000003", LESION_CLASSES.index("bcc"), "ISIC_0000003"),
        ("ISIC_0000006", LESION_CLASSES.index("akiec"), "ISIC_0000006"),  # ISIC's AK
    }
    assert {r.source for r in report.records} == {"isic2019"}
    assert report.excluded == {"UNK": 1}
    assert report.missing_files == ["ISIC_0000004"]
    assert len(report.unknown_labels) == 1 and report.unknown_labels[0][0] == "ISIC_0000005"


def test_isic_2017_ground_truth_columns(tmp_path: Path) -> None:
    root = tmp_path / "isic2017"
    for name in ("ISIC_0000010", "ISIC_0000011", "ISIC_0000012"):
        write_jpeg(root / "ISIC-2017_Test_v2_Data" / f"{name}.jpg")
    write_text(
        root / "ISIC-2017_Test_v2_Part3_GroundTruth.csv",
        "image_id,melanoma,seborrheic_keratosis\n"
        "ISIC_0000010,1.0,0.0\nISIC_0000011,0.0,0.0\nISIC_0000012,0.0,1.0\n",
    )
    report = read_dataset(root, source="ISIC2017-test")
    assert {(r.image_id, r.label) for r in report.records} == {
        ("ISIC_0000010", MELANOMA),
        ("ISIC_0000011", NEVUS),
        ("ISIC_0000012", LESION_CLASSES.index("bkl")),  # seborrheic keratosis
    }
    assert report.excluded == {}
    assert {r.source for r in report.records} == {"ISIC2017-test"}


def test_unknown_layout_and_bad_arguments_raise(tmp_path: Path) -> None:
    write_jpeg(tmp_path / "x" / "a.jpg")
    with pytest.raises(ValueError, match="Unknown dataset layout"):
        read_dataset(tmp_path / "x")
    with pytest.raises(ValueError, match="Received: layout="):
        read_dataset(tmp_path, layout="kaggle")
    with pytest.raises(ValueError, match="Received: root="):
        read_dataset(tmp_path / "nowhere")


def test_load_image_rgb_decodes_like_the_bot(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "a.jpg", colour=(200, 100, 50))
    image = load_image_rgb(path)
    assert image.shape == (36, 48, 3) and image.dtype == np.uint8
    assert abs(int(image[..., 0].mean()) - 200) < 4


def test_shared_set_reads_completely(shared_data_dir: Path) -> None:
    report = read_dataset(shared_data_dir)
    summary = report.summary()
    assert summary["counts"] == {
        "HAM10000": {"melanoma": 1113, "nevus": 6705},
        "ISIC2017": {"melanoma": 397, "nevus": 1427},
    }
    assert not report.missing_files and not report.unknown_labels
    assert all(record.lesion_id for record in report.records)
    # How the moles were confirmed: recorded for HAM10000 (its README's counts), not ISIC 2017.
    ham_nevi = collections.Counter(
        r.confirmation for r in report.records if r.source == "HAM10000" and r.label == NEVUS
    )
    assert ham_nevi == {"follow_up": 3704, "histo": 2498, "consensus": 503}
    assert {r.confirmation for r in report.records if r.source == "ISIC2017"} == {""}
    # The recipe (`exclude_nevus_confirmations`) names confirmations by `CONFIRMATIONS`.
    assert {r.confirmation for r in report.records} <= {*CONFIRMATIONS, ""}


def test_several_folders_are_read_as_one_with_duplicates_reported(
    folders_with_labels: Path, tmp_path: Path
) -> None:
    second = tmp_path / "bcn"
    write_jpeg(second / "melanoma" / "ISIC_9.jpg")
    write_jpeg(second / "nevus" / "ISIC_2.jpg")  # also in the first folder
    write_text(
        second / "labels.csv",
        "image,label,source,image_id,lesion_id\n"
        "melanoma/ISIC_9.jpg,melanoma,BCN20000,ISIC_9,BCN_1\n"
        "nevus/ISIC_2.jpg,nevus,BCN20000,ISIC_2,BCN_2\n",
    )
    report = read_datasets([folders_with_labels, second])
    assert [r.image_id for r in report.records] == ["ISIC_1", "ISIC_2", "ISIC_3", "ISIC_9"]
    assert next(r for r in report.records if r.image_id == "ISIC_2").source == "ISIC2017"
    assert report.duplicates == [("ISIC_2", str(second))]
    summary = report.summary()
    assert summary["counts"] == {
        "BCN20000": {"melanoma": 1},
        "HAM10000": {"melanoma": 1},
        "ISIC2017": {"nevus": 2},
    }
    assert summary["duplicates_across_folders"] == 1
    assert summary["layout"] == "folders+folders"
    assert summary["missing_files"] == 1 and summary["unknown_labels"] == 1
    # One folder reads exactly as before, so existing splits stay reproducible.
    single = read_datasets([folders_with_labels])
    assert single.summary() == read_dataset(folders_with_labels).summary()
    assert "duplicates_across_folders" not in single.summary()
    with pytest.raises(ValueError, match="At least one data folder"):
        read_datasets([])


def test_the_three_shared_sources_read_together(shared_data_dir: Path) -> None:
    bcn = shared_data_dir.parent / "bcn20000"
    if not (bcn / "labels.csv").is_file():
        pytest.skip("../shared/data/bcn20000 not present")
    report = read_datasets([shared_data_dir, bcn])
    counts = report.summary()["counts"]
    assert counts["BCN20000"] == {"melanoma": 2847, "nevus": 4195}
    assert counts["HAM10000"] == {"melanoma": 1113, "nevus": 6705}
    assert counts["ISIC2017"] == {"melanoma": 397, "nevus": 1427}
    assert len({r.image_id for r in report.records}) == len(report.records)
    lesions_by_source: dict[str, set[str]] = collections.defaultdict(set)
    for record in report.records:
        lesions_by_source[record.source].add(record.lesion_id)
    assert not lesions_by_source["BCN20000"] & lesions_by_source["HAM10000"]


def test_the_eight_classes_read_with_counts_per_class_and_source(shared_data_dir: Path) -> None:
    folders = [
        shared_data_dir,
        *(shared_data_dir.parent / name for name in ("bcn20000", "lesions")),
    ]
    if not all((folder / "labels.csv").is_file() for folder in folders):
        pytest.skip("../shared/data/bcn20000 or lesions not present")

    report = read_datasets(folders)

    # The lesions folder's README: 24,457 images in 8 classes, per source as below.
    assert report.summary()["counts"] == {
        "BCN20000": {"melanoma": 2847, "nevus": 4195, "bcc": 2802, "bkl": 1124, "akiec": 697,
                     "scc": 431, "df": 124, "vasc": 111},
        "HAM10000": {"melanoma": 1113, "nevus": 6705, "bcc": 513, "bkl": 1093, "akiec": 130,
                     "scc": 197, "df": 114, "vasc": 142},
        "ISIC2017": {"melanoma": 397, "nevus": 1427, "bkl": 295},
    }  # fmt: skip
    assert len(report.records) == 24457 and not report.duplicates
    assert report.unknown_labels == [] and report.missing_files == []
    by_class = collections.Counter(LESION_CLASSES[r.label] for r in report.records)
    assert by_class == {"nevus": 12327, "melanoma": 4357, "bcc": 3315, "bkl": 2512,
                        "akiec": 827, "scc": 628, "vasc": 253, "df": 238}  # fmt: skip
