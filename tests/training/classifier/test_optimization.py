"""Weight averaging: the weights kept after `fit` are the ones whose validation AUC was best."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from training.classifier.optimization import (
    fit_callbacks,
    make_optimizer,
    training_weights,
)


def noisy_problem(seed: int, n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, 8)).astype(np.float32)
    labels = features[:, 0] + features[:, 1] + rng.normal(scale=1.5, size=n) > 0
    return features, labels.astype(np.float32)


def fit_small_model(ema_epochs: float, epochs: int = 6) -> tuple[keras.Model, dict, list]:
    keras.utils.set_random_seed(0)
    x_train, y_train = noisy_problem(0)
    x_val, y_val = noisy_problem(1)
    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(16, "relu")(inputs)))
    optimizer = make_optimizer(
        learning_rate=0.05,
        weight_decay=0.0,
        epochs=epochs,
        steps_per_epoch=8,
        ema_epochs=ema_epochs,
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.AUC(name="auc", from_logits=True)],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=fit_callbacks(optimizer, patience=epochs),
        verbose=0,
    )
    return model, history.history, [x_val, y_val]


@pytest.mark.parametrize("ema_epochs", [0.0, 1.0])
def test_kept_weights_reproduce_the_best_logged_validation_auc(ema_epochs: float) -> None:
    model, history, (x_val, y_val) = fit_small_model(ema_epochs)

    kept = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["auc"]

    assert kept == pytest.approx(max(history["val_auc"]), abs=1e-6)


def test_averaged_weights_differ_from_the_last_step() -> None:
    averaged, _, (x_val, _) = fit_small_model(ema_epochs=1.0)
    plain, _, _ = fit_small_model(ema_epochs=0.0)

    # Same seed and data: only the averaging differs, so the predictions must too.
    assert not np.allclose(averaged.predict(x_val, verbose=0), plain.predict(x_val, verbose=0))


def test_optimizer_averages_only_when_asked() -> None:
    assert make_optimizer(
        learning_rate=1e-3, weight_decay=0.0, epochs=2, steps_per_epoch=10, ema_epochs=1.0
    ).use_ema
    assert not make_optimizer(
        learning_rate=1e-3, weight_decay=0.0, epochs=2, steps_per_epoch=10
    ).use_ema


@pytest.mark.parametrize("arguments", [{"epochs": 0}, {"steps_per_epoch": 0}, {"ema_epochs": -1.0}])
def test_bad_arguments_raise_value_error(arguments: dict[str, float]) -> None:
    values = {"epochs": 2, "steps_per_epoch": 10, "ema_epochs": 0.0, **arguments}
    with pytest.raises(ValueError, match="Received"):
        make_optimizer(learning_rate=1e-3, weight_decay=0.0, **values)  # type: ignore[arg-type]


def test_training_weights_balance_the_classes() -> None:
    labels = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])

    weights = training_weights(labels)

    np.testing.assert_allclose(weights, np.where(labels == 1, 0.5 / 0.2, 0.5 / 0.8))
    assert weights.mean() == pytest.approx(1.0)
    assert weights[labels == 1].sum() == pytest.approx(weights[labels == 0].sum())


def test_training_weights_balance_the_classes_within_each_source() -> None:
    # Source A: 1 melanoma in 4 images; source B (like BCN20000): 2 melanomas in 3.
    labels = np.array([1, 0, 0, 0, 1, 1, 0])
    sources = ["A", "A", "A", "A", "B", "B", "B"]

    overall = training_weights(labels)
    per_source = training_weights(labels, sources=sources)

    assert per_source.mean() == pytest.approx(1.0)
    # Over all sources B's melanoma share marks it; within each source it does not.
    group_a, group_b = np.arange(7) < 4, np.arange(7) >= 4
    for members in (group_a, group_b):
        melanomas = per_source[members & (labels == 1)].sum()
        assert melanomas == pytest.approx(per_source[members & (labels == 0)].sum())
    # Each source keeps its share of the weight: 4 and 3 images of 7.
    assert per_source[group_a].sum() / per_source.sum() == pytest.approx(4 / 7)
    assert overall[group_b & (labels == 1)].sum() != pytest.approx(
        overall[group_b & (labels == 0)].sum()
    )
    # One source only is the plain class balance.
    np.testing.assert_allclose(training_weights(labels, sources=["A"] * 7), overall)


def test_every_class_a_source_has_carries_the_same_share_of_it() -> None:
    # Source A has moles, melanomas and BCCs (0, 1, 2); B has moles and keratoses (0, 3).
    labels = np.array([0] * 6 + [1] * 3 + [2] + [0] * 4 + [3] * 2)
    sources = ["A"] * 10 + ["B"] * 6

    weights = training_weights(labels, sources=sources)

    for source, classes, images in (("A", (0, 1, 2), 10), ("B", (0, 3), 6)):
        members = np.array(sources) == source
        shares = [weights[members & (labels == label)].sum() for label in classes]
        np.testing.assert_allclose(shares, shares[0])  # the class mix says nothing
        assert sum(shares) == pytest.approx(images)  # the source keeps its weight
    assert weights[labels == 2][0] == pytest.approx(10 / 3)  # one BCC: a third of A


def test_source_balanced_weights_need_both_classes_in_every_source() -> None:
    with pytest.raises(ValueError, match="of source B must contain at least two classes"):
        training_weights(np.array([1, 0, 1]), sources=["A", "A", "B"])
    with pytest.raises(ValueError, match="One source per label"):
        training_weights(np.array([1, 0]), sources=["A"])


def test_training_weights_need_two_classes() -> None:
    with pytest.raises(ValueError, match="at least two classes"):
        training_weights(np.array([0, 0]))


def test_make_deterministic_switches_tensorflow_to_deterministic_kernels() -> None:
    # In a subprocess: op determinism cannot be switched off again in this one. The
    # query is TensorFlow-internal (2.21 exports only the switch).
    check = (
        "import keras\n"
        "from tensorflow.python.framework.config import is_op_determinism_enabled as enabled\n"
        "from training.classifier.optimization import make_deterministic\n"
        "before = enabled()\n"
        "make_deterministic()\n"
        "print(keras.backend.backend(), before, enabled())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.stdout.split()[-3:] == ["tensorflow", "False", "True"]
