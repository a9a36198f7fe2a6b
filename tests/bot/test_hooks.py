"""No path that prints an exception can print the token (excepthooks, asyncio, warnings)."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import warnings
from collections.abc import Iterator

import pytest

from bot.hooks import install_scrubbing_hooks
from bot.logs import protect_secrets

SECRET = "555:hooks-secret-token-value"


@pytest.fixture
def hooks() -> Iterator[None]:
    """Install the scrubbing hooks for one test and put Python's own back afterwards."""
    import bot.hooks

    saved = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    protect_secrets(SECRET)
    bot.hooks._installed = False
    install_scrubbing_hooks()
    yield
    sys.excepthook, threading.excepthook, sys.unraisablehook = saved
    logging.captureWarnings(False)
    bot.hooks._installed = False


def test_an_uncaught_exception_is_printed_without_the_token(
    hooks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise RuntimeError(f"The token `{SECRET}` was rejected by the server.")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    printed = capsys.readouterr().err
    assert "RuntimeError: The token `***` was rejected" in printed
    assert SECRET not in printed


def test_an_exception_in_a_thread_is_printed_without_the_token(
    hooks: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise ValueError(f"https://api.telegram.org/bot{SECRET}/getMe failed")

    thread = threading.Thread(target=fail, name="worker-x")
    thread.start()
    thread.join()
    printed = capsys.readouterr().err
    assert "Exception in thread worker-x" in printed
    assert "bot***/getMe" in printed
    assert SECRET not in printed


def test_a_warning_goes_through_the_scrubbed_log(
    hooks: None, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.WARNING)
    warnings.warn(f"token {SECRET} looks unusual", UserWarning, stacklevel=1)
    (record,) = [r for r in caplog.records if r.name == "py.warnings"]
    assert "token *** looks unusual" in record.getMessage()
    assert SECRET not in caplog.text + capsys.readouterr().err


def test_asyncios_exception_handler_logs_without_the_token(
    hooks: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    loop = asyncio.new_event_loop()
    try:
        try:
            raise ConnectionError(f"lost bot{SECRET}")
        except ConnectionError as error:
            context = {"message": f"Task for {SECRET} failed", "exception": error}
            loop.call_exception_handler(context)
    finally:
        loop.close()
    (record,) = [r for r in caplog.records if r.name == "asyncio"]
    assert "Task for *** failed" in record.getMessage()
    assert record.exc_text is not None and "lost bot***" in record.exc_text
    assert SECRET not in caplog.text
