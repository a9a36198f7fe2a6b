"""Burst benchmark: 30 users send a photo at the same moment to the real `melnev bot`.

The bot runs as its own process (`python -m melnev bot`, exactly what users run),
pointed at the fake Bot API server (`bot.testing.fake_api`) through `MELNEV_BASE_URL`.
Reported: start-up time (process start to its first `getUpdates`), answer time per
user (p50, p95, max), `/help` latency (median, p95, max) while the burst is worked on,
the bot process's memory (RSS idle after start-up, and peak), and the same after one heatmap
request (its latency, and the RSS it leaves: the served map needs no TensorFlow).

Usage:
    .venv/bin/python benchmarks/bot_burst.py                      # shipped model, phone photos
    .venv/bin/python benchmarks/bot_burst.py --photos dataset     # the shared 256 px photos

The phone photos are the two real example photos (`examples/`) upscaled to 1280 px with
noise, so both gates and the classifier run on every one, as with `--photos dataset`.
    .venv/bin/python benchmarks/bot_burst.py --model path/to/model.keras --rounds 3
    .venv/bin/python benchmarks/bot_burst.py --json results.json

Without a shipped model and without --model, an untrained full-size model is built
in a temporary folder (same architecture and compute, meaningless answers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared_split import EXAMPLES, SHARED_DATA  # noqa: E402

from bot.testing.fake_api import FakeBotApi  # noqa: E402
from bot.testing.updates import sent_message  # noqa: E402

TOKEN = "100000:benchmark-token"


def _photos(count: int, source: str, data_dir: Path) -> list[bytes]:
    """`count` JPEGs: dataset photos (256 px), or the example photos upscaled to 1280 px."""
    if source == "dataset":
        images = sorted((data_dir / "melanoma").glob("*.jpg"))[: count // 2]
        images += sorted((data_dir / "nevus").glob("*.jpg"))[: count - len(images)]
        if len(images) != count:
            raise SystemExit(f"not enough photos in {data_dir}")
        return [path.read_bytes() for path in images]
    import io

    import numpy as np
    from PIL import Image

    examples = sorted(EXAMPLES.glob("*.jpg"))
    photos = []
    for seed in range(count):
        example = Image.open(examples[seed % len(examples)]).convert("RGB").resize((1280, 960))
        noise = np.random.default_rng(seed).normal(0, 4, (960, 1280, 3))
        noisy = np.clip(np.asarray(example, np.float64) + noise, 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, "JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


def _model(path: Path | None, workdir: Path) -> Path:
    from model.loader import SHIPPED_MODEL_PATH

    if path is not None:
        return path
    if SHIPPED_MODEL_PATH.is_file():
        return SHIPPED_MODEL_PATH
    from model.architecture import build_model
    from model.card import Thresholds
    from model.export import export_model
    from model.lesions import LESION_CLASSES
    from preprocessing.pipeline import PreprocessConfig

    model_path = workdir / "untrained.keras"
    export_model(
        build_model(),
        model_path,
        model_version="untrained-benchmark",
        preprocessing=PreprocessConfig(image_size=192),
        thresholds=Thresholds(0.3, 0.6),
        classes=LESION_CLASSES,
    )
    return model_path


class RssSampler(threading.Thread):
    """Sample a process's resident memory every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.02)


async def _round(api: FakeBotApi, photos: list[bytes], first_user: int) -> dict[str, object]:
    users = [first_user + index for index in range(len(photos))]
    sent = time.monotonic()
    for user, photo in zip(users, photos, strict=True):
        api.send_message(user, photo=photo)
    await api.wait_for("sendChatAction", count=1, timeout=60)
    help_latencies: list[float] = []
    helper = first_user + 10_000
    while True:
        asked = time.monotonic()
        api.send_message(helper, text="/help")
        count = len(help_latencies) + 1
        answers = await api.wait_for("sendMessage", count=count, chat_id=helper, timeout=60)
        help_latencies.append(answers[-1].at - asked)
        done = sum(1 for user in users if api.calls_of("sendMessage", chat_id=user))
        if done == len(users):
            break
        await asyncio.sleep(0.1)
    answer_times = []
    for user in users:
        (answer,) = await api.wait_for("sendMessage", chat_id=user, timeout=300)
        answer_times.append(answer.at - sent)
    return {"answer_times": answer_times, "help_latencies": help_latencies[:-1] or help_latencies}


async def _heatmap(api: FakeBotApi, photo: bytes, user: int) -> float:
    """Send one photo, press its heatmap button, and return the seconds to the heatmap."""
    api.send_message(user, photo=photo)
    (call,) = await api.wait_for("sendMessage", chat_id=user, timeout=60)
    data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    asked = time.monotonic()
    api.press_button(user, sent_message(api, call.params, reply_to=True), data)
    (sent,) = await api.wait_for("sendPhoto", chat_id=user, timeout=120)
    return sent.at - asked


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, runtime: str) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="melnev-bench-"))
    model_path = _model(args.model, workdir)
    photos = _photos(args.users, args.photos, args.data)
    api = FakeBotApi(TOKEN).start()
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "MELNEV_BASE_URL": api.url,
        "MELNEV_MODEL_PATH": str(model_path),
        "MELNEV_WORKERS": str(args.workers),
        "MELNEV_LOG_LEVEL": "WARNING",
        "MELNEV_RATE_LIMIT": "1000",
        "MELNEV_RUNTIME": runtime,
    }
    started = time.monotonic()
    bot = subprocess.Popen([sys.executable, "-m", "melnev", "bot"], env=env, cwd=workdir)
    sampler = RssSampler(bot.pid)
    sampler.start()
    try:
        (first_poll,) = await api.wait_for("getUpdates", count=1, timeout=180)
        await api.wait_for("setMyCommands", count=2, timeout=180)
        await asyncio.sleep(1.0)
        idle_rss = psutil.Process(bot.pid).memory_info().rss
        rounds = [
            await _round(api, photos, 1_000_000 * (index + 1)) for index in range(args.rounds)
        ]
        burst_peak = sampler.peak
        heatmap_s = await _heatmap(api, photos[0], 9_000_000)
        await asyncio.sleep(1.0)
        heatmap_rss = psutil.Process(bot.pid).memory_info().rss
    finally:
        stop_started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        code = bot.wait(60)
        sampler.running = False
        api.stop()
    answers = [t for result in rounds for t in result["answer_times"]]  # type: ignore[attr-defined]
    helps = [t for result in rounds for t in result["help_latencies"]]  # type: ignore[attr-defined]
    return {
        "runtime": runtime,
        "users": args.users,
        "rounds": args.rounds,
        "workers": args.workers,
        "model": model_path.name,
        "photo_kb_mean": sum(map(len, photos)) / len(photos) / 1024,
        "answer_p50_s": statistics.median(answers),
        "answer_p95_s": _percentile(answers, 0.95),
        "answer_max_s": max(answers),
        "help_during_burst_median_ms": 1000 * statistics.median(helps),
        "help_during_burst_p95_ms": 1000 * _percentile(helps, 0.95),
        "help_during_burst_max_ms": 1000 * max(helps),
        "help_samples": len(helps),
        "startup_to_first_getupdates_s": first_poll.at - started,
        "rss_idle_mb": idle_rss / 2**20,
        "rss_peak_mb": burst_peak / 2**20,
        "heatmap_s": heatmap_s,
        "rss_after_heatmap_mb": heatmap_rss / 2**20,
        "rss_peak_with_heatmap_mb": sampler.peak / 2**20,
        "shutdown_s": time.monotonic() - stop_started,
        "exit_code": code,
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--photos",
        choices=("phone", "dataset"),
        default="phone",
        help="1280 px synthetic phone photos, or the shared 256 px dataset",
    )
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument(
        "--runtimes",
        nargs="+",
        choices=("litert", "keras"),
        default=["litert", "keras"],
        help="serve with each in turn (MELNEV_RUNTIME); keras: the TensorFlow path as before",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    results = [asyncio.run(run(args, runtime)) for runtime in args.runtimes]
    for name in results[0]:
        values = [result[name] for result in results]
        cells = [f"{v:>14.3f}" if isinstance(v, float) else f"{v!s:>14}" for v in values]
        print(f"{name:32s} {''.join(cells)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
