"""`melnev bot` start-up failures: one clear line, exit code 2, never the token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.main import main
from melnev.cli import main as melnev


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """`main` configures logging for the process; undo it after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_missing_token_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("MELNEV_BOT_TOKEN", raising=False)
    assert melnev(["bot"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "BOT_TOKEN is not set" in captured.err


def test_missing_model_fails_without_printing_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "777:super-secret-token")
    assert main(["--model", str(tmp_path / "absent.keras")]) == 2
    captured = capsys.readouterr()
    assert "absent.keras" in captured.err
    assert "super-secret-token" not in captured.err + captured.out
