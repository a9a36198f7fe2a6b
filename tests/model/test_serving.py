"""The LiteRT serving file: written by export_model, checked by its card, same answers as Keras.

Real tiny Keras models are converted for real and run by the real LiteRT interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import keras
import numpy as np
import pytest

from model.architecture import build_model
from model.card import ModelCardError, Thresholds, card_path_for, file_sha256
from model.convert import cam_head_weights, convert
from model.export import export_model
from model.heatmap import GradCam, LazyHeatmap, ServedCam
from model.loader import ModelLoadError, clear_cache, load_model
from model.predictor import Predictor
from model.serving import ServedModel, default_threads
from preprocessing.pipeline import PreprocessConfig
from tests.support.pictures import synthetic_lesion
from tests.support.shared_data import REPO_ROOT

CONFIG = PreprocessConfig(image_size=64, working_size=128)


def tiny(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_model(64, backbone="small_cnn", weights=None, widths=(8, 16), stem_filters=8)
    # Logit weights of both signs and some size, so the activation maps are not all zero.
    dense = model.get_layer("logit")
    kernel = np.random.default_rng(seed).normal(0, 1, dense.kernel.shape).astype(np.float32)
    dense.kernel.assign(kernel)
    return model


def export(path: Path, seed: int = 0, **options: object) -> Path:
    options.setdefault("served_precision", "float32")
    export_model(
        tiny(seed),
        path,
        model_version="0.0.1",
        preprocessing=CONFIG,
        thresholds=Thresholds(screening=0.3, balanced=0.6),
        test_time_views=4,
        **options,  # type: ignore[arg-type]
    )
    return path


@pytest.fixture(autouse=True)
def fresh_loader_cache() -> None:
    clear_cache()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(tmp_path_factory.mktemp("served") / "melnev.keras")


def inputs(count: int = 6) -> np.ndarray:
    """Lesions of different brightness (the tiny model's answers differ clearly)."""
    gains = np.linspace(0.2, 1.6, count)
    return np.stack(
        [
            np.clip(synthetic_lesion(64, seed=seed) * gain, 0, 255).astype(np.uint8)
            for seed, gain in enumerate(gains)
        ]
    )


def test_export_writes_the_served_file_and_records_its_sha256(exported: Path) -> None:
    card = json.loads(card_path_for(exported).read_text())
    served = exported.with_suffix(".tflite")

    assert served.is_file()
    assert card["served"] == {
        "file": "melnev.tflite",
        "sha256": file_sha256(served),
        "runtime": "litert",
        "precision": "float32",
        "heatmap": "cam",
    }


def test_export_serves_float16_by_default_and_it_is_close(tmp_path: Path) -> None:
    path = export(tmp_path / "m.keras", served_precision="float16")
    loaded = load_model(path)
    batch = inputs()

    served = Predictor(loaded).logits(batch)
    reference = Predictor(loaded, runtime="keras").logits(batch)

    assert loaded.card.served is not None and loaded.card.served.precision == "float16"
    np.testing.assert_allclose(served, reference, atol=2e-3 * (np.abs(reference).max() + 1))


def test_predictor_serves_from_litert_without_loading_keras(exported: Path) -> None:
    loaded = load_model(exported)
    predictor = Predictor(loaded)

    predictor.predict([synthetic_lesion(90)])

    assert predictor.runtime == "litert"
    assert not loaded.keras_loaded


def test_served_logits_match_the_keras_model(exported: Path) -> None:
    loaded = load_model(exported)
    batch = inputs()

    served = Predictor(loaded).logits(batch)
    reference = Predictor(loaded, runtime="keras").logits(batch)

    np.testing.assert_allclose(served, reference, atol=1e-4)
    assert np.std(reference) > 1e-3  # distinct answers, not a constant


@pytest.mark.parametrize("views", [1, 4])
def test_served_heatmap_is_the_keras_grad_cam(exported: Path, views: int) -> None:
    loaded = load_model(exported)
    model_input = synthetic_lesion(64, seed=3)

    served = ServedCam(loaded.served, views=views).cam(model_input)  # type: ignore[arg-type]
    reference = GradCam(loaded.model, views=views).cam(model_input)

    assert reference.max() > 0.9 and reference.std() > 0.05  # a real map, not all zeros
    np.testing.assert_allclose(served, reference, atol=1e-3)


def test_lazy_heatmap_uses_the_served_map(exported: Path) -> None:
    loaded = load_model(exported)
    heatmap = LazyHeatmap(loaded)

    assert isinstance(heatmap.get(), ServedCam)
    assert not loaded.keras_loaded


def test_a_tampered_served_file_is_refused(tmp_path: Path) -> None:
    path = export(tmp_path / "m.keras")
    served = path.with_suffix(".tflite")
    served.write_bytes(served.read_bytes() + b"\0")

    with pytest.raises(ModelCardError, match="does not match its card"):
        load_model(path)
    served.unlink()
    clear_cache()
    with pytest.raises(ModelCardError, match="missing"):
        load_model(path)


def test_an_unreadable_served_file_raises_model_load_error(tmp_path: Path) -> None:
    path = export(tmp_path / "m.keras")
    path.with_suffix(".tflite").write_bytes(b"not a flatbuffer")
    card_file = card_path_for(path)
    card = json.loads(card_file.read_text())
    card["served"]["sha256"] = file_sha256(path.with_suffix(".tflite"))  # the card agrees
    card_file.write_text(json.dumps(card))

    with pytest.raises(ModelLoadError, match="LiteRT could not load"):
        load_model(path)


def test_a_model_without_served_file_is_served_by_keras(tmp_path: Path) -> None:
    path = export(tmp_path / "m.keras", served_precision=None)

    loaded = load_model(path)

    assert loaded.card.served is None and loaded.served is None
    assert Predictor(loaded).runtime == "keras"
    with pytest.raises(ValueError, match="names no LiteRT file"):
        Predictor(loaded, runtime="litert")


def test_int8_file_is_calibrated_and_close(tmp_path: Path) -> None:
    model = tiny(1)
    batch = inputs(8)
    path = tmp_path / "int8.tflite"
    path.write_bytes(convert(model, precision="int8", calibration_images=lambda: batch))

    logits = ServedModel(path, threads=1).logits(batch)

    reference = np.asarray(model(batch.astype(np.float32), training=False))[:, 0]
    assert np.abs(logits - reference).max() < 0.1 * (np.abs(reference).max() + 1)


def test_one_interpreter_per_thread_gives_the_same_answers(exported: Path) -> None:
    served = ServedModel(exported.with_suffix(".tflite"), threads=1)
    batch = inputs(4)
    expected = served.logits(batch)
    results: list[np.ndarray] = []

    def work() -> None:
        for size in (4, 1, 3, 4):  # batch sizes change: each thread resizes its own
            results.append(served.logits(batch[:size]) - expected[:size])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 16
    assert max(float(np.abs(r).max()) for r in results) < 1e-5


def test_bad_arguments_raise_value_error(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="precision"):
        convert(tiny(), precision="int4")
    with pytest.raises(ValueError, match="calibration_images"):
        convert(tiny(), precision="int8")
    with pytest.raises(ValueError, match="threads"):
        ServedModel(exported.with_suffix(".tflite"), threads=0)
    with pytest.raises(ValueError, match="views"):
        ServedModel(exported.with_suffix(".tflite")).forward(np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="runtime"):
        Predictor(load_model(exported), runtime="onnx")
    monkeypatch.setenv("MELNEV_THREADS", "0")
    with pytest.raises(ValueError, match="MELNEV_THREADS"):
        default_threads()
    monkeypatch.setenv("MELNEV_THREADS", "3")
    assert default_threads() == 3


def test_a_head_that_is_not_linear_has_no_cam() -> None:
    inputs_ = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, name="last_conv")(inputs_)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(4, activation="relu")(x)
    model = keras.Model(inputs_, keras.layers.Dense(1)(x))

    assert cam_head_weights(model) is None
    assert cam_head_weights(tiny()) is not None


SERVE_WITHOUT_TF = """
import sys
from melnev.cli import main
from model.heatmap import LazyHeatmap
from model.loader import load_model
from model.predictor import Predictor
import bot.app, bot.inference
code = main(["predict", "--json", "--model", sys.argv[1], sys.argv[2]])
loaded = load_model(sys.argv[1])
predictor = Predictor(loaded)
photo = predictor.preprocess(__import__("numpy").zeros((80, 80, 3), "uint8") + 120)
LazyHeatmap(loaded).get().cam(photo)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
print("HEAVY", heavy, "CODE", code)
"""


def test_predict_and_the_bot_path_never_import_tensorflow(exported: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    from PIL import Image

    Image.fromarray(synthetic_lesion(120)).save(photo)

    done = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_TF, str(exported), str(photo)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "HEAVY [] CODE 0" in done.stdout, done.stdout + done.stderr
