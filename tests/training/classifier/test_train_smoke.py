"""A real, tiny `melnev train` run end to end, then `melnev evaluate` on its output.

On the three shared folders when they are present (a few images of each of the eight
classes per source), otherwise on synthetic lesions of three classes written in the
folders layout, so this always runs in CI.
"""

from __future__ import annotations

import collections
import csv
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import keras
import numpy as np
import pytest

from model.card import file_sha256
from model.efficientnet_lite import imagenet_weights_path
from model.lesions import LESION_CLASSES
from model.loader import load_model
from model.predictor import Predictor, RiskLevel
from tests.support.pictures import synthetic_lesion
from tests.support.shared_data import SHIPPED_DATA, shipped_data_available
from training.classifier.train import main as train_main
from training.evaluation.evaluate import main as evaluate_main
from training.evaluation.loso_report import build_report, run_entry

pytestmark = pytest.mark.slow

SYNTHETIC_SOURCES = ("CLINIC_A", "CLINIC_B")
SYNTHETIC_CLASSES = ("melanoma", "nevus", "bcc")
SYNTHETIC_PER_SOURCE_AND_CLASS = 12  # 24 images per class
SMALL_MODEL = ["--image-size", "64", "--working-size", "128", "--batch-size", "16"]
FAST = ["--epochs", "1", "--workers", "1", "--cache-dir", "", *SMALL_MODEL]
FIGURES = ("lesion_confusion.png", "risk_levels.png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REPO_ROOT = Path(__file__).resolve().parents[3]


def write_synthetic_dataset(root: Path) -> Path:
    """Synthetic lesions in the folders layout, with labels.csv (source, lesion_id).

    Every lesion has two images, which the split must keep together. The classes are
    drawn in different brightness, so they differ a little.
    """
    rows = []
    for class_index, label in enumerate(SYNTHETIC_CLASSES):
        (root / label).mkdir(parents=True)
        for source_index, source in enumerate(SYNTHETIC_SOURCES):
            for index in range(SYNTHETIC_PER_SOURCE_AND_CLASS):
                seed = 1000 * class_index + 100 * source_index + index
                image = synthetic_lesion(160, seed=seed)
                image = (image * (1.0 - 0.15 * class_index)).astype(np.uint8)
                image_id = f"{source}_{label}_{index:02d}"
                lesion_id = f"{source}_{label}_lesion_{index // 2}"
                cv2.imwrite(str(root / label / f"{image_id}.jpg"), image[..., ::-1])
                rows.append([f"{label}/{image_id}.jpg", label, source, image_id, lesion_id])
    with (root / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "label", "source", "image_id", "lesion_id"])
        writer.writerows(rows)
    return root


SmokeData = tuple[list[str], list[str], list[str]]
"""(--data arguments, their sources, limit flags)."""


@pytest.fixture(scope="module")
def smoke_data(tmp_path_factory: pytest.TempPathFactory) -> SmokeData:
    """The three shared folders (6 images a source and class) if present, else synthetic."""
    if shipped_data_available():
        return (
            [str(folder) for folder in SHIPPED_DATA],
            ["BCN20000", "HAM10000", "ISIC2017"],
            [
                "--limit",
                "6",
            ],
        )
    root = write_synthetic_dataset(tmp_path_factory.mktemp("synthetic_dermoscopy"))
    return [str(root)], list(SYNTHETIC_SOURCES), []


@pytest.fixture(scope="module")
def smoke_run(smoke_data: SmokeData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one 1-epoch training run (shared by the tests below)."""
    data, _, limit = smoke_data
    out = tmp_path_factory.mktemp("smoke_run")
    exit_code = train_main(["--data", *data, "--out", str(out), *limit, *FAST])
    assert exit_code == 0
    return out


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def read_split_rows(run: Path) -> list[dict[str, str]]:
    with (run / "split.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_writes_model_card_and_run_files(smoke_run: Path) -> None:
    for name in ("melnev.keras", "melnev.card.json", "metrics.json", "split.csv", "epochs.csv"):
        assert (smoke_run / name).is_file(), name


def test_trained_model_loads_and_predicts_probabilities(smoke_run: Path) -> None:
    loaded = load_model(smoke_run / "melnev.keras")
    predictor = Predictor(loaded)

    predictions = predictor.predict([synthetic_lesion(200, seed=seed) for seed in range(3)])

    assert loaded.card.model_sha256 == file_sha256(smoke_run / "melnev.keras")
    assert len(predictions) == 3
    for prediction in predictions:
        assert 0.0 <= prediction.melanoma_probability <= 1.0
        assert prediction.risk_level in set(RiskLevel)
        assert tuple(prediction.class_probabilities) == loaded.card.classes
        assert sum(prediction.class_probabilities.values()) == pytest.approx(1.0)


def test_card_records_thresholds_calibration_metrics_and_training(
    smoke_run: Path, smoke_data: SmokeData
) -> None:
    _, sources, _ = smoke_data
    card = read_json(smoke_run / "melnev.card.json")
    trained_classes = LESION_CLASSES if shipped_data_available() else ("nevus", "melanoma", "bcc")

    assert card["input_size"] == card["preprocessing"]["image_size"] == 64
    assert card["preprocessing"]["working_size"] == 128
    assert 0.0 <= card["thresholds"]["screening"] <= 1.0
    assert 0.0 <= card["thresholds"]["balanced"] <= 1.0
    assert card["calibration"]["method"] == "temperature"
    assert card["classes"] == list(trained_classes)  # the classes the data has, in order
    assert card["test_time_views"] == 4  # the 4 rotations, as serving will average them
    assert math.isfinite(card["calibration"]["slope"]) and card["calibration"]["slope"] > 0
    assert {"val", "test"} <= set(card["metrics"])
    assert set(card["metrics"]["test"]["by_source"]) == set(sources)
    training = card["training"]
    assert training["command"].startswith("melnev train --data ")
    assert "--epochs 1" in training["command"]
    assert training["seed"] == 0
    assert training["epochs_run"] == 1
    assert training["duration_seconds"] > 0
    assert 0.0 <= training["best_val_auc"] <= 1.0
    assert training["train_sources"] == "all"
    assert sum(training["split"]["totals"].values()) == len(read_split_rows(smoke_run))
    assert card["limitations"]


def test_default_recipe_fine_tunes_imagenet_weights_and_keeps_frozen_layers(
    smoke_run: Path,
) -> None:
    card = read_json(smoke_run / "melnev.card.json")
    model = keras.models.load_model(smoke_run / "melnev.keras")
    with np.load(imagenet_weights_path("lite0")) as imagenet:
        stem = imagenet["_conv_stem.weight"].astype(np.float32).transpose(2, 3, 1, 0)
        last = imagenet["_blocks.15._project_conv.weight"].astype(np.float32).transpose(2, 3, 1, 0)

    assert card["training"]["config"]["backbone"] == "efficientnet_lite0"
    assert card["training"]["config"]["pretrained"] is True
    # The frozen stem is exactly ImageNet's; a trainable block started there and moved.
    np.testing.assert_array_equal(model.get_layer("backbone_stem").get_weights()[0], stem)
    trained = model.get_layer("backbone_block15_project").get_weights()[0]
    assert not np.array_equal(trained, last)
    assert np.corrcoef(trained.ravel(), last.ravel())[0, 1] > 0.9


def test_small_cnn_from_scratch_still_trains(smoke_data: SmokeData, tmp_path: Path) -> None:
    data, _, limit = smoke_data
    scratch = ["--backbone", "small_cnn", "--no-pretrained"]

    exit_code = train_main(["--data", *data, "--out", str(tmp_path), *limit, *FAST, *scratch])

    assert exit_code == 0
    model = keras.models.load_model(tmp_path / "melnev.keras")
    assert not any(layer.name.startswith("backbone_") for layer in model.layers)
    config = read_json(tmp_path / "melnev.card.json")["training"]["config"]
    assert (config["backbone"], config["pretrained"]) == ("small_cnn", False)


def test_metrics_json_has_every_source_and_class_with_sane_values(
    smoke_run: Path, smoke_data: SmokeData
) -> None:
    _, sources, _ = smoke_data
    metrics = read_json(smoke_run / "metrics.json")
    classes = read_json(smoke_run / "melnev.card.json")["classes"]

    assert set(metrics) == {"val", "test"}
    test_rows = [row for row in read_split_rows(smoke_run) if row["split"] == "test"]
    overall = metrics["test"]["overall"]
    assert overall["n"] == len(test_rows)
    assert overall["counts"] == dict(collections.Counter(row["label"] for row in test_rows))
    assert np.array(overall["confusion"]).shape == (len(classes), len(classes))
    assert np.array(overall["confusion"]).sum() == len(test_rows)
    for source in sources:
        entry = metrics["test"]["by_source"][source]
        assert entry["n"] == sum(row["source"] == source for row in test_rows) > 0
        assert 0.0 <= entry["balanced_accuracy"] <= 1.0
        low, high = entry["balanced_accuracy_ci95"]
        assert low <= entry["balanced_accuracy"] <= high
        assert set(entry["recall"]) == set(entry["counts"])
        assert sum(sum(levels.values()) for levels in entry["risk_levels"].values()) == entry["n"]


def test_figures_are_written_as_png(smoke_run: Path) -> None:
    paths = [smoke_run / "training_curves.png", *(smoke_run / "test" / name for name in FIGURES)]
    for path in paths:
        assert path.read_bytes()[:8] == PNG_SIGNATURE, path


def test_split_file_keeps_every_lesion_in_one_split(smoke_run: Path) -> None:
    rows = read_split_rows(smoke_run)
    splits_of_lesion: dict[str, set[str]] = collections.defaultdict(set)
    for row in rows:
        splits_of_lesion[row["lesion_id"]].add(row["split"])

    assert {row["split"] for row in rows} == {"train", "val", "test"}
    assert all(len(splits) == 1 for splits in splits_of_lesion.values())
    assert len({row["image_id"] for row in rows}) == len(rows)


def test_evaluate_reuses_the_split_and_writes_metrics(
    smoke_run: Path, smoke_data: SmokeData, tmp_path: Path
) -> None:
    data, sources, _ = smoke_data
    out = tmp_path / "evaluation"
    arguments = [
        "--data", *data, "--model", str(smoke_run / "melnev.keras"),
        "--split-file", str(smoke_run / "split.csv"), "--split", "test",
        "--out", str(out), "--workers", "1",
    ]  # fmt: skip

    assert evaluate_main(arguments) == 0

    result = read_json(out / "metrics.json")
    assert result["split"] == "test"
    assert result["test_time_views"] == 4  # the card's, like training's own test metrics
    assert set(result["metrics"]["by_source"]) == set(sources)
    test_rows = [row for row in read_split_rows(smoke_run) if row["split"] == "test"]
    assert result["metrics"]["overall"]["n"] == len(test_rows)
    # Same model, calibration, thresholds and images as training's own test metrics.
    trained = read_json(smoke_run / "metrics.json")["test"]["overall"]
    assert result["metrics"]["overall"]["confusion"] == trained["confusion"]
    assert result["metrics"]["overall"]["risk_levels"] == trained["risk_levels"]
    # Moles by how they were confirmed: HAM10000's are recorded, synthetic ones are not.
    by_kind = result["by_nevus_confirmation"]
    if "HAM10000" in sources:
        assert all(name.startswith("HAM10000/") for name in by_kind)
        ham = result["metrics"]["by_source"]["HAM10000"]["counts"]
        assert sum(e["n_nevi"] for e in by_kind.values()) == ham.get("nevus", 0)
    else:
        assert by_kind == {}
    for name in FIGURES:
        assert (out / name).read_bytes()[:8] == PNG_SIGNATURE


def test_leave_one_source_out_tests_the_unseen_source_whole(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ham_only"
    # 20 a class: after the followed-up moles leave training, HAM10000 still has moles.
    arguments = ["--data", str(shared_data_dir), "--out", str(out), "--limit", "20", *FAST]

    assert train_main([*arguments, "--train-sources", "HAM10000"]) == 0

    metrics = read_json(out / "metrics.json")
    assert set(metrics) == {"val", "test", "held_out"}
    assert set(metrics["test"]["by_source"]) == {"HAM10000"}
    assert set(metrics["held_out"]["by_source"]) == {"ISIC2017"}
    isic_rows = [row for row in read_split_rows(out) if row["source"] == "ISIC2017"]
    held_out = metrics["held_out"]["by_source"]["ISIC2017"]
    assert held_out["n"] == len(isic_rows) == 40  # every ISIC image
    card = read_json(out / "melnev.card.json")
    assert card["training"]["train_sources"] == ["HAM10000"]
    assert "held_out" in card["metrics"]
    report = build_report([out])  # as model/shipped/evaluation/leave_one_source_out.json
    (entry,) = report["runs"]
    assert (entry["held_out_source"], entry["trained_on"]) == ("ISIC2017", ["HAM10000"])
    assert entry["metrics"]["held_out"]["by_source"]["ISIC2017"]["n"] == 40


def test_deterministic_reruns_give_bit_identical_models(
    smoke_data: SmokeData, tmp_path: Path
) -> None:
    # In subprocesses: TensorFlow's op determinism cannot be switched off again. A run
    # this small repeats its kernels' sums even without it (checked), so this guards the
    # rest: seeds, hair copies, shuffling and augmentation draws repeating end to end.
    # That the flag switches the kernels is tested in test_optimization.py.
    data, _, limit = smoke_data
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:
        command = [
            sys.executable,
            "-m",
            "training.classifier.train",
            "--data",
            *data,
            "--out",
            str(out),
        ]
        subprocess.run([*command, *limit, *FAST, "--deterministic"], check=True, cwd=REPO_ROOT)

    first, second = (keras.models.load_model(out / "melnev.keras") for out in runs)
    for one, other in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(one, other)
    assert (runs[0] / "epochs.csv").read_text() == (runs[1] / "epochs.csv").read_text()
    assert read_json(runs[0] / "melnev.card.json")["training"]["config"]["deterministic"]


def test_default_recipe_trains_eight_classes_on_the_three_folders(smoke_run: Path) -> None:
    if not shipped_data_available():
        pytest.skip("needs ../shared/data/dermoscopy, bcn20000 and lesions")
    card = read_json(smoke_run / "melnev.card.json")

    sources = {"HAM10000", "ISIC2017", "BCN20000"}
    assert card["classes"] == list(LESION_CLASSES)
    assert set(card["metrics"]["test"]["by_source"]) == sources
    counts = card["training"]["data"]["counts"]
    assert set(counts) == sources
    assert set(counts["BCN20000"]) == set(LESION_CLASSES)  # --limit 6 of each class
    assert set(counts["ISIC2017"]) == {"nevus", "melanoma", "bkl"}
    assert card["training"]["config"]["balance_classes_within_sources"] is True
    assert card["training"]["config"]["resolution_loss_scales"] == [0.35, 0.5]
    # Every one of the eight classes can be the answer: the risk rule has both thresholds.
    assert 0.0 < card["thresholds"]["screening"] <= 1.0
    assert 0.0 < card["thresholds"]["balanced"] <= 1.0


def test_a_run_that_held_no_source_out_is_not_a_leave_one_source_out_run(
    smoke_run: Path,
) -> None:
    with pytest.raises(ValueError, match="held no source out"):
        run_entry(smoke_run)
