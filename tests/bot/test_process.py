"""The real `melnev bot` process against the fake Bot API: a rejected token, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.fake_api import FakeBotApi
from tests.bot.conftest import TOKEN, encode
from tests.support.pictures import synthetic_lesion

REPO = Path(__file__).resolve().parents[2]


def bot_process(api: FakeBotApi, model_path: Path, workdir: Path) -> subprocess.Popen[str]:
    """Start `python -m melnev bot` (what `melnev bot` runs) pointed at `api`."""
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "MELNEV_BASE_URL": api.url,
        "MELNEV_MODEL_PATH": str(model_path),
        "MELNEV_WORKERS": "1",
        "MELNEV_PHOTO_GATE": "",  # a drawn test lesion is not a photo: no gate here
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "melnev", "bot"],
        cwd=workdir,  # no .env of the developer's is read
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Bot API server for one bot process."""
    server = FakeBotApi(TOKEN).start()
    yield server
    server.stop()


@pytest.mark.slow
def test_a_rejected_token_gives_one_line_and_exit_code_2_and_is_never_printed(
    api: FakeBotApi, tiny_model_path: Path, tmp_path: Path
) -> None:
    api.fail_methods["getMe"] = (401, "Unauthorized")
    process = bot_process(api, tiny_model_path, tmp_path)
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 2, stderr
    printed = stdout + stderr
    assert TOKEN not in printed
    assert TOKEN.split(":")[1] not in printed
    assert "Telegram rejected the token; check BOT_TOKEN" in stderr
    assert "Traceback" not in printed


@pytest.mark.slow
def test_sigterm_answers_the_photo_in_flight_then_exits_promptly(
    api: FakeBotApi, tiny_model_path: Path, tmp_path: Path
) -> None:
    process = bot_process(api, tiny_model_path, tmp_path)
    try:
        deadline = time.monotonic() + 180
        while not api.calls_of("getUpdates"):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the bot never polled"
            time.sleep(0.05)
        api.send_message(31_337, photo=encode(synthetic_lesion(1280, seed=3)))
        while not api.calls_of("sendChatAction", chat_id=31_337):
            assert time.monotonic() < deadline, "the photo was never picked up"
            time.sleep(0.005)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        exit_s = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    (answer,) = api.calls_of("sendMessage", chat_id=31_337)
    assert answer.params["text"].startswith("Risk:")
    assert "Bot stopped" in stderr
    # Generous for a loaded CI machine; with the interpreter's teardown of TensorFlow
    # the exit took 3.4 s on a quiet machine and 8.6 s on a loaded one.
    assert exit_s < 8.0, f"exit took {exit_s:.1f} s"
    print(f"SIGTERM with a photo in flight: exited in {exit_s:.2f} s")


def test_exit_without_teardown_flushes_the_logs_and_skips_the_interpreters_teardown() -> None:
    script = (
        "import atexit, logging, sys\n"
        "from bot.main import exit_without_teardown\n"
        "logging.basicConfig(stream=sys.stderr)\n"
        "atexit.register(lambda: print('teardown ran', file=sys.stderr))\n"
        "logging.getLogger('melnev').warning('last log line')\n"
        "print('buffered output', end='')\n"
        "exit_without_teardown(0)\n"
        "print('not reached')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "0"},
    )
    assert done.returncode == 0
    assert "last log line" in done.stderr
    assert done.stdout == "buffered output"
    assert "teardown ran" not in done.stderr
