"""The shipped default model: it loads, its card matches it, and `melnev predict` uses it.

Skipped while model/shipped/melnev.keras has not been trained yet; the check that
`melnev evaluate` reproduces the card's test figures also needs `../shared`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from melnev.cli import main as cli_main
from model.card import card_path_for, file_sha256
from model.lesions import LESION_CLASSES, malignant_scores
from model.loader import LoadedModel, default_model_path, load_model
from model.predictor import Predictor, class_probabilities
from tests.support.pictures import synthetic_lesion
from tests.support.shared_data import REPO_ROOT, SHIPPED_DATA, shipped_data_available
from training.classifier.cache import preprocess_records
from training.classifier.inputs import predict_logits
from training.datasets import NEVUS, read_datasets
from training.datasets.split import read_split
from training.evaluation.evaluate import main as evaluate_main
from training.evaluation.lesion_metrics import lesion_metrics_by_source

EXAMPLE_PHOTOS = ("mole_ISIC_0033971.jpg", "melanoma_ISIC_0026853.jpg")
SOURCES = ("HAM10000", "ISIC2017", "BCN20000")
needs_shipped_data = pytest.mark.skipif(
    not shipped_data_available(), reason="needs ../shared/data/dermoscopy, bcn20000 and lesions"
)
MAX_SHIPPED_BYTES = 24 * 1024 * 1024  # the .keras file, its float16 LiteRT file and the card


@pytest.fixture(scope="module")
def shipped() -> LoadedModel:
    """The shipped model with its card; skips when it has not been trained yet."""
    path = default_model_path()
    if not path.is_file():
        pytest.skip(f"shipped model not trained yet: {path} is absent")
    return load_model()


def test_shipped_model_loads_with_its_card(shipped: LoadedModel) -> None:
    path = default_model_path()

    assert shipped.path == path.resolve()
    assert shipped.card.model_file == path.name
    assert shipped.card.model_sha256 == file_sha256(path)
    assert card_path_for(path).is_file()


def test_shipped_model_is_served_from_its_litert_file(shipped: LoadedModel) -> None:
    path = default_model_path()
    served = shipped.card.served

    assert served is not None and served.runtime == "litert" and served.heatmap == "cam"
    assert served.sha256 == file_sha256(path.with_name(served.file))
    assert Predictor(shipped).runtime == "litert"


def test_shipped_files_fit_in_the_size_budget(shipped: LoadedModel) -> None:
    path = default_model_path()
    size = path.stat().st_size + card_path_for(path).stat().st_size
    if shipped.card.served is not None:
        size += path.with_name(shipped.card.served.file).stat().st_size

    assert size <= MAX_SHIPPED_BYTES


def test_card_input_size_and_preprocessing_match_the_model(shipped: LoadedModel) -> None:
    card = shipped.card
    predictor = Predictor(shipped)

    model_input = predictor.preprocess(synthetic_lesion(300, seed=1))

    assert tuple(shipped.model.input_shape[1:]) == (card.input_size, card.input_size, 3)
    assert card.preprocessing.image_size == card.input_size
    assert model_input.shape == (card.input_size, card.input_size, 3)
    assert model_input.dtype == np.uint8


def test_thresholds_are_ordered_screening_then_balanced(shipped: LoadedModel) -> None:
    thresholds = shipped.card.thresholds

    assert 0.0 < thresholds.screening <= thresholds.balanced < 1.0


def test_calibration_is_fitted(shipped: LoadedModel) -> None:
    calibration = shipped.card.calibration

    assert calibration.method == "temperature"
    assert np.isfinite(calibration.slope) and calibration.slope > 0


def test_the_shipped_model_has_the_eight_classes(shipped: LoadedModel) -> None:
    assert shipped.card.classes == LESION_CLASSES
    assert shipped.model.output_shape == (None, len(LESION_CLASSES))


def test_card_has_test_metrics_per_source_and_class(shipped: LoadedModel) -> None:
    test_metrics = shipped.card.metrics["test"]
    groups = {"overall": test_metrics["overall"], **test_metrics["by_source"]}

    assert set(test_metrics["by_source"]) == set(SOURCES)
    for name, entry in groups.items():
        low, high = entry["balanced_accuracy_ci95"]
        assert entry["n"] > 0 and low <= entry["balanced_accuracy"] <= high, name
        assert set(entry["recall"]) == set(entry["counts"]), name
        auc = entry["malignant_vs_benign"]
        assert auc["ci95"][0] <= auc["auc"] <= auc["ci95"][1], name
        # Sanity floors, not the targets: far better than chance (1 in 8).
        assert entry["balanced_accuracy"] >= 0.4, name
        assert auc["auc"] >= 0.7, name
    assert set(test_metrics["overall"]["recall"]) == set(LESION_CLASSES)


def test_card_records_the_training_command(shipped: LoadedModel) -> None:
    training = shipped.card.training

    assert training["command"].startswith("melnev train ")
    assert [Path(folder).name for folder in training["config"]["data"]] == [
        "dermoscopy",
        "bcn20000",
        "lesions",
    ]
    assert isinstance(training["seed"], int)
    assert training["duration_seconds"] > 0
    assert training["epochs_run"] >= 1
    assert training["train_sources"] == "all"


def test_quick_start_answers_the_example_photos_with_the_shipped_model(
    shipped: LoadedModel, capsys: pytest.CaptureFixture[str]
) -> None:
    # README's Quick start: two real HAM10000 test photos the model never trained on.
    mole, melanoma = (REPO_ROOT / "examples" / name for name in EXAMPLE_PHOTOS)
    exit_code = cli_main(["predict", str(mole), str(melanoma), "--json"])
    out = capsys.readouterr().out

    assert exit_code == 0
    mole_result, melanoma_result = json.loads(out)
    for result in (mole_result, melanoma_result):
        assert result["photo_kind"] == "dermoscopy"
        assert result["model_version"] == shipped.card.model_version
    assert mole_result["risk_level"] == "low" and mole_result["lesion_class"] == "nevus"
    # 4.0.0 names this melanoma wrongly (README says so); its risk level still sends it on.
    assert melanoma_result["risk_level"] != "low"
    assert mole_result["malignant_probability"] < melanoma_result["malignant_probability"]


@pytest.mark.slow
@pytest.mark.timeout(1500)  # 3,673 photos through Keras, 4 views each
@needs_shipped_data
def test_evaluate_reproduces_the_cards_test_metrics(shipped: LoadedModel, tmp_path: Path) -> None:
    split_file = default_model_path().parent / "split.csv"
    arguments = ["--data", *map(str, SHIPPED_DATA), "--split-file", str(split_file)]
    arguments += ["--split", "test"]

    assert evaluate_main([*arguments, "--out", str(tmp_path)]) == 0

    measured = json.loads((tmp_path / "metrics.json").read_text())["metrics"]
    recorded = shipped.card.metrics["test"]
    for name in SOURCES:
        one, other = measured["by_source"][name], recorded["by_source"][name]
        assert one["n"] == other["n"], name
        assert one["balanced_accuracy"] == pytest.approx(other["balanced_accuracy"], abs=0.005)
        assert one["malignant_vs_benign"]["auc"] == pytest.approx(
            other["malignant_vs_benign"]["auc"], abs=1e-3
        )


AUC_TOLERANCE = 0.003
"""How far the served (possibly quantised) file may move ROC AUC from the Keras model."""


@pytest.mark.slow
@pytest.mark.timeout(1500)  # 3,673 photos through LiteRT, 4 views each
@needs_shipped_data
def test_served_model_reproduces_the_cards_test_metrics(shipped: LoadedModel) -> None:
    card = shipped.card
    assignment = read_split(default_model_path().parent / "split.csv")
    records = [
        r for r in read_datasets(SHIPPED_DATA).records if assignment.get(r.image_id) == "test"
    ]
    images, keep = preprocess_records(records, card.preprocessing, workers=2)
    kept = [r for r, k in zip(records, keep, strict=True) if k]
    predictor = Predictor(shipped)
    assert predictor.runtime == "litert"

    probabilities = class_probabilities(predictor.logits(images), card.calibration)
    labels = np.array([card.classes.index(LESION_CLASSES[r.label]) for r in kept])
    measured = lesion_metrics_by_source(
        labels, probabilities, card.classes, card.thresholds, [r.source for r in kept]
    )

    for name in SOURCES:
        one, other = measured["by_source"][name], card.metrics["test"]["by_source"][name]
        assert one["n"] == other["n"], name
        assert one["balanced_accuracy"] == pytest.approx(other["balanced_accuracy"], abs=0.01)
        assert one["malignant_vs_benign"]["auc"] == pytest.approx(
            other["malignant_vs_benign"]["auc"], abs=AUC_TOLERANCE
        ), name


def hair_effect(loaded: LoadedModel, count: int = 48) -> tuple[float, float]:
    """Mean change of the malignant score of test-split moles when hair is drawn on them.

    Returns:
        The mean change, and the share of moles answered above the screening
        threshold with hair but not without.
    """
    assignment = read_split(default_model_path().parent / "split.csv")
    moles = [
        r
        for r in read_datasets(SHIPPED_DATA).records
        if r.label == NEVUS and assignment.get(r.image_id) == "test"
    ][:count]
    card = loaded.card
    answers = []
    for seeds in (None, list(range(len(moles)))):
        images, keep = preprocess_records(moles, card.preprocessing, hair_seeds=seeds, workers=1)
        assert keep.all()
        logits = predict_logits(loaded.model, images, views=card.test_time_views)
        probabilities = class_probabilities(logits, card.calibration)
        answers.append(malignant_scores(probabilities, card.classes))
    plain, hairy = answers
    screening = card.thresholds.screening
    return float(np.mean(hairy - plain)), float(np.mean((hairy >= screening) & (plain < screening)))


@needs_shipped_data
def test_hair_drawn_on_a_mole_does_not_make_it_look_like_melanoma(shipped: LoadedModel) -> None:
    # Model 2.3.0 (hairy copies of melanomas only) failed this: +0.29 on all test moles.
    mean_change, new_alarms = hair_effect(shipped)

    assert abs(mean_change) < 0.05
    assert new_alarms < 0.15


def test_leave_one_source_out_report_tests_whole_sources_with_the_shipped_recipe(
    shipped: LoadedModel,
) -> None:
    report_path = default_model_path().parent / "evaluation" / "leave_one_source_out.json"
    report = json.loads(report_path.read_text())
    counts = shipped.card.training["data"]["counts"]
    recipe = shipped.card.training["config"]

    assert report["runs"]
    for run in report["runs"]:
        held_out = run["held_out_source"]
        figures = run["metrics"]["held_out"]["by_source"][held_out]
        assert held_out not in run["trained_on"]
        assert set(run["trained_on"]) | {held_out} == set(counts)
        assert figures["n"] == sum(counts[held_out].values())  # every image of the source
        assert run["model_version"] == shipped.card.model_version
        # The shipped recipe: the same configuration but for the sources and where to write.
        same = {"out", "export", "train_sources", "split_file", "extends_split"}
        config = run["config"]
        assert {k: v for k, v in config.items() if k not in same} == {
            k: v for k, v in recipe.items() if k not in same
        }
