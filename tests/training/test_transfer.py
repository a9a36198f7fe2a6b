"""Linear probe and weight interpolation (LP-FT, WiSE-FT) on real small Keras models."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from model.architecture import build_model
from training.inputs import predict_logits
from training.transfer import PROBE_STRENGTHS, fit_linear_probe, interpolate_weights


def bright_and_dark_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 32 px images; label 1 (melanoma) ones are darker, so features separate them."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    means = np.where(labels == 1, 80.0, 170.0)[:, None, None, None]
    images = np.clip(means + rng.normal(0, 30, (count, 32, 32, 3)), 0, 255).astype(np.uint8)
    return images, labels.astype(np.float32)


@pytest.fixture
def small_model():
    return build_model(32, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)


def test_linear_probe_sets_the_classifier_that_ranks_validation_images(small_model) -> None:
    train = bright_and_dark_images(64, seed=0)
    val = bright_and_dark_images(32, seed=1)
    others = {
        layer.name: [w.copy() for w in layer.get_weights()]
        for layer in small_model.layers
        if layer.name != "logit"
    }
    # A constant head (AUC 0.5): a random one may already rank these easy images.
    logit = small_model.get_layer("logit")
    logit.set_weights([np.zeros_like(w) for w in logit.get_weights()])
    before = roc_auc_score(val[1], predict_logits(small_model, val[0]).ravel())

    chosen = fit_linear_probe(small_model, train, val)

    after = roc_auc_score(val[1], predict_logits(small_model, val[0]).ravel())
    assert chosen["C"] in PROBE_STRENGTHS
    assert after == pytest.approx(chosen["val_roc_auc"])  # the model now scores as the probe did
    assert after > 0.95 and after > before
    for name, weights in others.items():  # only the classifier layer was fitted
        now_weights = small_model.get_layer(name).get_weights()
        for before_weight, now in zip(weights, now_weights, strict=True):
            np.testing.assert_array_equal(before_weight, now)


def test_linear_probe_refuses_a_single_class(small_model) -> None:
    images, labels = bright_and_dark_images(16, seed=0)
    with pytest.raises(ValueError, match="both classes"):
        fit_linear_probe(small_model, (images, np.zeros_like(labels)), (images, labels))


def test_interpolation_ends_are_the_weights_and_the_middle_their_mean() -> None:
    start = [np.zeros((2, 3), np.float32), np.array([1, 2], np.int64)]
    end = [np.full((2, 3), 4.0, np.float32), np.array([5, 7], np.int64)]

    np.testing.assert_array_equal(interpolate_weights(start, end, 0.0)[0], start[0])
    np.testing.assert_array_equal(interpolate_weights(start, end, 1.0)[0], end[0])
    middle = interpolate_weights(start, end, 0.25)
    np.testing.assert_allclose(middle[0], 1.0)
    assert middle[0].dtype == np.float32
    np.testing.assert_array_equal(middle[1], end[1])  # integer state is taken, not blended


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_interpolation_refuses_alpha_outside_the_unit_interval(alpha: float) -> None:
    with pytest.raises(ValueError, match="Received: alpha="):
        interpolate_weights([np.zeros(2)], [np.ones(2)], alpha)


def test_interpolation_refuses_weights_of_another_model() -> None:
    with pytest.raises(ValueError, match="same weights"):
        interpolate_weights([np.zeros(2)], [np.ones(3)], 0.5)
