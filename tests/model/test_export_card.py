"""export_model and the model card: save/load round trip, and every card mismatch."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from model.architecture import build_model
from model.card import ModelCardError, Thresholds, card_path_for, load_card
from model.export import export_model
from model.loader import clear_cache, load_model
from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion

CONFIG = PreprocessConfig(image_size=64, working_size=128)


def export_tiny(path: Path, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    export_model(
        model,
        path,
        model_version=f"0.0.{seed}",
        preprocessing=CONFIG,
        thresholds=Thresholds(screening=0.3, balanced=0.6),
    )
    return model


@pytest.fixture(autouse=True)
def fresh_loader_cache() -> None:
    clear_cache()


def test_save_load_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = export_tiny(tmp_path / "model.keras", seed=1)
    images = np.stack([synthetic_lesion(64, seed=seed) for seed in range(4)]).astype(np.float32)

    loaded = load_model(tmp_path / "model.keras")

    expected = np.asarray(model(images, training=False))
    np.testing.assert_array_equal(np.asarray(loaded.model(images, training=False)), expected)
    assert loaded.card.preprocessing == CONFIG
    assert loaded.card.model_version == "0.0.1"


def test_card_is_written_next_to_the_model_and_parses(tmp_path: Path) -> None:
    export_tiny(tmp_path / "melnev.keras")

    card_file = tmp_path / "melnev.card.json"
    values = json.loads(card_file.read_text())
    card = load_card(tmp_path / "melnev.keras")

    assert card_path_for(tmp_path / "melnev.keras") == card_file
    assert values["model_file"] == "melnev.keras"
    assert values["input_size"] == 64
    assert card.thresholds == Thresholds(screening=0.3, balanced=0.6)
    assert card.created


def test_export_refuses_a_wrong_suffix_or_a_size_mismatch(tmp_path: Path) -> None:
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8,), stem_filters=8)
    thresholds = Thresholds(screening=0.3, balanced=0.6)

    with pytest.raises(ValueError, match="Received"):
        export_model(
            model, tmp_path / "m.h5", model_version="x", preprocessing=CONFIG, thresholds=thresholds
        )
    with pytest.raises(ValueError, match="Received"):
        export_model(
            model,
            tmp_path / "m.keras",
            model_version="x",
            preprocessing=PreprocessConfig(image_size=96, working_size=128),
            thresholds=thresholds,
        )


def test_a_model_without_its_card_is_refused(tmp_path: Path) -> None:
    export_tiny(tmp_path / "model.keras")
    (tmp_path / "model.card.json").unlink()

    with pytest.raises(ModelCardError, match="No model card"):
        load_model(tmp_path / "model.keras")


def test_a_model_that_does_not_match_its_card_is_refused(tmp_path: Path) -> None:
    export_tiny(tmp_path / "model.keras", seed=0)
    export_tiny(tmp_path / "other.keras", seed=1)
    shutil.copy(tmp_path / "other.keras", tmp_path / "model.keras")  # card stays the old one

    with pytest.raises(ModelCardError, match="does not match its card"):
        load_model(tmp_path / "model.keras")


def test_a_renamed_model_is_refused(tmp_path: Path) -> None:
    export_tiny(tmp_path / "model.keras")
    shutil.copy(tmp_path / "model.keras", tmp_path / "renamed.keras")
    shutil.copy(tmp_path / "model.card.json", tmp_path / "renamed.card.json")

    with pytest.raises(ModelCardError, match=r"describes 'model\.keras'"):
        load_model(tmp_path / "renamed.keras")


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda card: "{not json",
        lambda card: json.dumps({**card, "preprocessing": {**card["preprocessing"], "x": 1}}),
        lambda card: json.dumps({key: value for key, value in card.items() if key != "thresholds"}),
        lambda card: json.dumps({**card, "thresholds": {"screening": 2.0, "balanced": 0.5}}),
        lambda card: json.dumps([1, 2, 3]),
    ],
    ids=[
        "not-json",
        "unknown-preprocessing-key",
        "no-thresholds",
        "threshold-out-of-range",
        "list",
    ],
)
def test_malformed_cards_raise_model_card_error(tmp_path: Path, corrupt: object) -> None:
    export_tiny(tmp_path / "model.keras")
    card_file = tmp_path / "model.card.json"
    card_file.write_text(corrupt(json.loads(card_file.read_text())))  # type: ignore[operator]

    with pytest.raises(ModelCardError):
        load_model(tmp_path / "model.keras")


def test_trained_model_is_exported_without_optimizer_state(tmp_path: Path) -> None:
    """A compiled, trained model is saved with its weights only (Adam would triple the file)."""
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    model.compile(optimizer="adamw", loss="mse")
    model.fit(np.zeros((4, 64, 64, 3), np.float32), np.zeros((4, 1)), epochs=1, verbose=0)
    path = tmp_path / "trained.keras"

    thresholds = Thresholds(screening=0.3, balanced=0.6)
    export_model(model, path, model_version="0", preprocessing=CONFIG, thresholds=thresholds)

    with zipfile.ZipFile(path) as archive:
        weights_bytes = archive.read("model.weights.h5")
    with h5py.File(io.BytesIO(weights_bytes)) as weights:
        groups = set(weights.keys())
    assert "optimizer" not in groups
    assert model.optimizer.variables  # the trained model itself keeps its optimizer
    images = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype(np.float32)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(reloaded(images, training=False), model(images, training=False))
