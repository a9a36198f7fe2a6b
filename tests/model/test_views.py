"""Test-time augmentation: the dihedral views, and answers that do not depend on rotation."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from model.architecture import build_model
from model.card import ModelCardError, Thresholds, card_path_for, load_card
from model.export import export_model
from model.loader import load_model
from model.predictor import Predictor
from model.views import MAX_VIEWS, average_views, check_views, dihedral_views, turn_back
from preprocessing.pipeline import PreprocessConfig
from training.classifier.inputs import predict_logits


def asymmetric_batch(count: int = 3, size: int = 8) -> np.ndarray:
    # No symmetry at all, so every flip/rotation gives a different array.
    return np.random.default_rng(0).integers(0, 255, (count, size, size, 3), dtype=np.uint8)


def test_views_are_the_eight_distinct_flips_and_rotations_image_by_image() -> None:
    images = asymmetric_batch()

    views = dihedral_views(images, MAX_VIEWS)

    assert views.shape == (3 * MAX_VIEWS, 8, 8, 3)
    for index, image in enumerate(images):
        own = views[index * MAX_VIEWS : (index + 1) * MAX_VIEWS]
        np.testing.assert_array_equal(own[0], image)  # view 0 is the photo itself
        assert len({view.tobytes() for view in own}) == MAX_VIEWS
        np.testing.assert_array_equal(own[1], np.rot90(image))
        np.testing.assert_array_equal(own[4], image[:, ::-1])


@pytest.mark.parametrize("turn", [np.rot90, lambda image: image[:, ::-1], np.flipud])
def test_a_turned_or_mirrored_photo_has_the_same_set_of_views(turn) -> None:  # type: ignore[no-untyped-def]
    image = asymmetric_batch(1)[0]

    original = {view.tobytes() for view in dihedral_views(image[None], MAX_VIEWS)}
    turned = {view.tobytes() for view in dihedral_views(np.ascontiguousarray(turn(image))[None], 8)}

    assert original == turned  # hence the averaged answer cannot change


def test_one_view_is_the_batch_unchanged_and_average_keeps_image_order() -> None:
    images = asymmetric_batch()
    assert dihedral_views(images, 1) is images
    logits = np.repeat([1.0, 2.0, 3.0], 4) + np.tile([-0.5, 0.5, -1.0, 1.0], 3)
    np.testing.assert_allclose(average_views(logits, 4), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("views", [0, 2, 3, 5, 7, 9, -1, 2.5, True, "8"])
def test_invalid_view_counts_are_refused(views: object) -> None:
    with pytest.raises(ValueError, match="Received: views="):
        check_views(views)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def model_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """The same small real model exported with 1, 4 and 8 test-time views."""
    keras.utils.set_random_seed(1)
    model = build_model(32, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    folder = tmp_path_factory.mktemp("tta_models")
    paths = {}
    for views in (1, 4, MAX_VIEWS):
        paths[views] = folder / f"views{views}.keras"
        export_model(
            model,
            paths[views],
            model_version="0.0.0-test",
            preprocessing=PreprocessConfig(image_size=32, working_size=64),
            thresholds=Thresholds(screening=0.3, balanced=0.6),
            test_time_views=views,
        )
    return paths


def test_served_answer_does_not_change_when_the_photo_is_turned(
    model_paths: dict[int, Path],
) -> None:
    batch = asymmetric_batch(4, 32)
    turned = np.ascontiguousarray(np.rot90(batch, 1, axes=(1, 2)))
    mirrored = np.ascontiguousarray(batch[:, :, ::-1])

    plain = Predictor(load_model(model_paths[1]), max_batch_size=8)
    averaged = Predictor(load_model(model_paths[MAX_VIEWS]), max_batch_size=8)

    # Without test-time views the untrained network is not rotation-invariant ...
    assert np.abs(plain.logits(batch) - plain.logits(turned)).max() > 1e-3
    # ... with them the answer is the same however the dermatoscope was held.
    np.testing.assert_allclose(averaged.logits(turned), averaged.logits(batch), atol=1e-5)
    np.testing.assert_allclose(averaged.logits(mirrored), averaged.logits(batch), atol=1e-5)
    # The 4 rotations (the shipped setting) answer turned photos alike, mirrored ones not.
    rotations = Predictor(load_model(model_paths[4]), max_batch_size=8)
    np.testing.assert_allclose(rotations.logits(turned), rotations.logits(batch), atol=1e-5)
    assert np.abs(rotations.logits(mirrored) - rotations.logits(batch)).max() > 1e-3
    # The average of the eight plain answers, chunked (8 // 8 = 1 image per forward pass).
    by_view = plain.logits(dihedral_views(batch, MAX_VIEWS)).reshape(4, MAX_VIEWS, -1).mean(axis=1)
    np.testing.assert_allclose(averaged.logits(batch), by_view, atol=1e-5)


def test_training_logits_match_serving_logits(model_paths: dict[int, Path]) -> None:
    batch = asymmetric_batch(5, 32)
    loaded = load_model(model_paths[MAX_VIEWS])

    offline = predict_logits(loaded.model, batch, batch_size=16, views=MAX_VIEWS)

    # The same Keras weights (the served float16 file is compared in test_serving.py).
    served_by_keras = Predictor(loaded, runtime="keras").logits(batch)
    np.testing.assert_allclose(offline, served_by_keras, atol=1e-5)


def test_card_records_views_and_old_cards_mean_one_view(model_paths: dict[int, Path]) -> None:
    assert load_card(model_paths[MAX_VIEWS]).test_time_views == MAX_VIEWS
    card_file = card_path_for(model_paths[1])
    values = json.loads(card_file.read_text())
    del values["test_time_views"]  # a card written before the field existed
    card_file.write_text(json.dumps(values))
    assert load_card(model_paths[1]).test_time_views == 1

    values["test_time_views"] = 9
    card_file.write_text(json.dumps(values))
    with pytest.raises(ModelCardError, match="views"):
        load_card(model_paths[1])
    values["test_time_views"] = 1
    card_file.write_text(json.dumps(values))
    assert dataclasses.asdict(load_card(model_paths[1]))["test_time_views"] == 1


def test_turn_back_undoes_every_view() -> None:
    image = asymmetric_batch(1)[0]
    for k, view in enumerate(dihedral_views(image[None], MAX_VIEWS)):
        np.testing.assert_array_equal(turn_back(view, k), image)
