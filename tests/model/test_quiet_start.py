"""TensorFlow's native start-up notices stay out of `melnev`'s stderr; real errors do not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model.quiet_start import native_stderr_silenced
from tests.conftest import REPO_ROOT

EXAMPLE = REPO_ROOT / "notebooks" / "example_lesion.jpg"
NATIVE_NOTICES = ("absl::InitializeLog", "oneDNN", "cuda", "cuInit")


def test_native_writes_are_dropped_inside_the_block_only(
    capfd: pytest.CaptureFixture[str],
) -> None:
    os.write(2, b"before\n")
    with native_stderr_silenced():
        os.write(2, b"native chatter\n")
    os.write(2, b"after\n")

    assert capfd.readouterr().err == "before\nafter\n"


def test_exceptions_leave_the_block_with_stderr_restored(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ImportError), native_stderr_silenced():
        raise ImportError("no such backend")
    os.write(2, b"visible\n")

    assert capfd.readouterr().err == "visible\n"


def test_predict_from_a_fresh_process_prints_no_tensorflow_notices() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "model.cli", "predict", str(EXAMPLE)],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "melanoma probability" in result.stdout
    assert not [notice for notice in NATIVE_NOTICES if notice in result.stderr], result.stderr
