"""TensorFlow's harmless start-up notices stay out of `melnev`'s stderr; real messages do not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from model.quiet_start import native_stderr_filtered
from tests.support.shared_data import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "mole_ISIC_0033971.jpg"
NATIVE_NOTICES = ("absl::InitializeLog", "oneDNN", "cuda", "cuInit")
HARMLESS = ("harmless notice",)


def test_harmless_lines_are_dropped_and_the_rest_comes_after_the_block(
    capfd: pytest.CaptureFixture[str],
) -> None:
    os.write(2, b"before\n")
    with native_stderr_filtered(HARMLESS):
        os.write(2, b"I0000 port.cc:153] a harmless notice\n")
        os.write(2, b"E0000 a real native error\n")
        os.write(2, b"numpy.py:1: UserWarning: a Python warning\n")
        os.write(2, b"still held back\n")
        assert capfd.readouterr().err == "before\n"
    os.write(2, b"after\n")

    err = capfd.readouterr().err
    assert "harmless" not in err
    assert err.startswith("E0000 a real native error\n")
    assert "UserWarning: a Python warning" in err
    assert err.endswith("still held back\nafter\n")


def test_every_line_comes_out_when_an_exception_leaves_the_block(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ImportError), native_stderr_filtered(HARMLESS):
        os.write(2, b"a harmless notice\n")
        raise ImportError("no such backend")
    os.write(2, b"visible\n")

    assert capfd.readouterr().err == "a harmless notice\nvisible\n"


def test_predict_from_a_fresh_process_prints_no_tensorflow_notices() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "melnev", "predict", str(EXAMPLE)],
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
