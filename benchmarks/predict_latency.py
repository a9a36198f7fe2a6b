"""Per-photo latency of MelNev's serving path against the naive seed-project path.

Measures, for one photo at a time (what the bot does per message):

* MelNev: decode_image (reduced-scale JPEG) + assess_quality + preprocess +
  Predictor (one LiteRT call over the card's test-time views; the Keras
  tf.function too, for comparison);
* naive: keras.utils.load_img(path, target_size=...) from a file at full size,
  then model.predict(array[None]) (what the seed projects do);

for a synthetic 12 MP phone JPEG and a 200x150 dermoscopy JPEG (a real
HAM10000 image when the shared data is present), plus the predict step alone on
both runtimes, this process's peak RSS, and in fresh processes: `melnev predict`
on one photo (cold: wall time and peak RSS) against `python -c "import numpy, PIL"`.

Usage:
    python benchmarks/predict_latency.py [--runs 30] [--model PATH]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import io
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import cv2
import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import keras  # noqa: E402
from shared_split import EXAMPLES, SHARED_DATA  # noqa: E402

from model.architecture import build_model  # noqa: E402
from model.card import Thresholds  # noqa: E402
from model.export import export_model  # noqa: E402
from model.lesions import LESION_CLASSES  # noqa: E402
from model.loader import SHIPPED_MODEL_PATH, LoadedModel, load_model  # noqa: E402
from model.predictor import Predictor  # noqa: E402
from preprocessing import assess_quality, decode_image  # noqa: E402
from preprocessing.pipeline import PreprocessConfig  # noqa: E402

EXAMPLE = EXAMPLES / "mole_ISIC_0033971.jpg"


def jpeg_bytes(image: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def phone_photo() -> bytes:
    """A 4000x3000 JPEG: the example mole upscaled, with sensor-like noise."""
    example = decode_image(EXAMPLE.read_bytes())
    base = cv2.resize(example, (4000, 3000), interpolation=cv2.INTER_CUBIC).astype(np.float64)
    noise = np.random.default_rng(1).normal(0, 5, base.shape)
    return jpeg_bytes(np.clip(base + noise, 0, 255).astype(np.uint8), quality=90)


def small_photo() -> tuple[bytes, str]:
    labels = SHARED_DATA / "labels.csv"
    if labels.is_file():
        with labels.open() as handle:
            for row in csv.DictReader(handle):
                if row["source"] == "HAM10000":
                    return (
                        SHARED_DATA / row["image"]
                    ).read_bytes(), f"real HAM10000 {row['image']}"
    return EXAMPLE.read_bytes(), f"the example photo {EXAMPLE.name} (shared data absent)"


def loaded_model(path: Path | None, workdir: Path) -> tuple[LoadedModel, str]:
    if path is None and SHIPPED_MODEL_PATH.is_file():
        path = SHIPPED_MODEL_PATH
    if path is not None:
        return load_model(path), f"shipped/given model {path}"
    keras.utils.set_random_seed(0)
    model_path = workdir / "bench.keras"
    export_model(
        build_model(192),
        model_path,
        model_version="bench-untrained",
        preprocessing=PreprocessConfig(image_size=192),
        thresholds=Thresholds(screening=0.3, balanced=0.6),
        classes=LESION_CLASSES,
    )
    return load_model(model_path), "ImageNet-initialised build_model(192) (no shipped model found)"


def timings(step: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * len(ordered)))]


# The child reports its own peak (VmHWM, kB): ru_maxrss of a child forked from this
# process would keep this process's peak across the exec.
PEAK_RSS = (
    "import re, sys; from melnev.cli import main; code = main(sys.argv[1:]); "
    "status = open('/proc/self/status').read(); "
    "print('PEAK', re.search(r'VmHWM:\\s+(\\d+)', status).group(1)); sys.exit(code)"
)


def cold_runs(command: list[str], runs: int = 3) -> float:
    """Median wall seconds of `command` run `runs` times, each in a fresh process."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO_ROOT)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def cold_start(model_path: Path, photo: Path) -> None:
    """Print the cold `melnev predict` of one photo against a bare numpy+PIL import."""
    melnev = shutil.which("melnev")
    cli = [melnev] if melnev else [sys.executable, "-m", "melnev"]
    bare = cold_runs([sys.executable, "-c", "import numpy, PIL"])
    arguments = ["predict", "--model", str(model_path), str(photo)]
    seconds = cold_runs([*cli, *arguments])
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *arguments], check=True, capture_output=True, text=True
    )
    peak = int(done.stdout.split("PEAK")[-1]) / 1024
    print(
        f"cold `melnev predict one.jpg`: {seconds:.2f} s (median of 3 fresh processes; "
        f"bare `python -c 'import numpy, PIL'` {bare:.2f} s; peak RSS {peak:.0f} MiB; "
        f"target <= 3 s: {'met' if seconds <= 3 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--model", type=Path, default=None, help="a .keras file with its card")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        loaded, model_note = loaded_model(args.model, Path(workdir))
        predictor = Predictor(loaded)
        keras_predictor = Predictor(loaded, runtime="keras")
        size = loaded.card.input_size
        keras_model = loaded.model

        def melnev(data: bytes) -> object:
            image = decode_image(data)
            assess_quality(image)
            return predictor.predict([image])

        def naive(path: Path) -> object:
            picture = keras.utils.load_img(path, target_size=(size, size))
            array = keras.utils.img_to_array(picture)
            return keras_model.predict(array[None], verbose=0)

        small, small_note = small_photo()
        photos = {"12 MP JPEG 4000x3000": phone_photo(), "200x150 JPEG": small}
        served = loaded.card.served
        print(
            f"model: {model_note} (input {size}px, version {loaded.card.model_version}, "
            f"served by {predictor.runtime}"
            f"{f' {served.precision} {served.file}' if served else ''}, "
            f"{loaded.served.threads if loaded.served else 0} threads)"
        )
        print(f"small photo: {small_note}")
        print(
            f"cpu: {os.cpu_count()} cores visible ({platform.processor() or platform.machine()}), "
            f"shared with other processes; runs per figure: {args.runs}"
        )
        print()
        print(f"{'photo':<22} {'path':<8} {'p50 ms':>9} {'p95 ms':>9}")
        ratios = {}
        for name, data in photos.items():
            path = Path(workdir) / "photo.jpg"
            path.write_bytes(data)
            ours = p50_p95(timings(functools.partial(melnev, data), args.runs))
            seed = p50_p95(timings(functools.partial(naive, path), args.runs))
            ratios[name] = seed[0] / ours[0]
            print(f"{name:<22} {'melnev':<8} {ours[0]:>9.1f} {ours[1]:>9.1f}")
            print(f"{name:<22} {'naive':<8} {seed[0]:>9.1f} {seed[1]:>9.1f}")
            print(f"{name:<22} {'ratio':<8} {ratios[name]:>8.1f}x (naive p50 / melnev p50)")
            image = decode_image(data)
            steps: dict[str, Callable[[], object]] = {
                "decode": functools.partial(decode_image, data),
                "quality": functools.partial(assess_quality, image),
                "preprocess": functools.partial(predictor.preprocess, image),
            }
            parts = ", ".join(
                f"{step} {p50_p95(timings(run, args.runs))[0]:.1f}" for step, run in steps.items()
            )
            print(
                f"{name:<22} {'steps':<8} p50 ms: {parts} "
                f"(decoded {image.shape[1]}x{image.shape[0]})"
            )

        batch = predictor.preprocess(decode_image(small))[None]
        views = loaded.card.test_time_views
        steps_ms = {}
        for name, runner in (("litert", predictor), ("keras", keras_predictor)):
            single = Predictor(
                LoadedModel(
                    dataclasses.replace(loaded.card, test_time_views=1),
                    loaded.path,
                    loaded.served,
                    loaded.model,
                ),
                runtime=runner.runtime,
            )
            steps_ms[name] = (
                p50_p95(timings(functools.partial(runner.predict_batch, batch), args.runs * 3)),
                p50_p95(timings(functools.partial(single.predict_batch, batch), args.runs * 3)),
            )
        print()
        for name, ((p50, p95), (one, _)) in steps_ms.items():
            print(
                f"predict step alone, {name:<6} (1 image, {views} test-time views): "
                f"p50 {p50:.1f} ms, p95 {p95:.1f} ms; 1 view: p50 {one:.1f} ms"
            )
        served_step = steps_ms["litert"][0][0]
        print(f"litert against keras: {steps_ms['keras'][0][0] / served_step:.1f}x faster")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process (both runtimes, naive path included): {peak_mib:.0f} MiB")
        cold_start(loaded.path, Path(workdir) / "photo.jpg")
        print()
        worst = min(ratios.values())
        print(
            f"targets: >= 3x faster than naive per photo: {'met' if worst >= 3 else 'MISSED'} "
            f"(worst {worst:.1f}x); predict p50 <= 15 ms: "
            f"{'met' if served_step <= 15 else 'MISSED'} ({served_step:.1f} ms)"
        )


if __name__ == "__main__":
    main()
