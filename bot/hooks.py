"""Scrub secrets from everything Python prints outside the log handlers.

The log-record factory of `bot.logs` covers log records (asyncio's exception handler,
tornado's webhook server and PTB all report through `logging`). Four paths print
without a log record: an uncaught exception (`sys.excepthook`), one in a thread
(`threading.excepthook`), an exception nobody could raise (`sys.unraisablehook`) and
`warnings`. `install_scrubbing_hooks` routes each of them through `bot.logs.scrub`,
so a rejected token in an `InvalidToken` message never reaches stderr.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType
from typing import Any

from bot.logs import scrub

_installed = False


class RejectedTokenFilter(logging.Filter):
    """Keep PTB's "Invalid token" log line but drop its traceback.

    The traceback is scrubbed anyway; `bot.main` says in one line what to do instead.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Strip the traceback of records about a rejected token; keep every record."""
        from telegram.error import InvalidToken

        if record.exc_info and isinstance(record.exc_info[1], InvalidToken):
            record.exc_info, record.exc_text = None, None
        return True


def _print_scrubbed(lines: list[str]) -> None:
    stream = sys.stderr
    if stream is None:  # pythonw or a closed stderr: nowhere to print
        return
    stream.write(scrub("".join(lines)))
    stream.flush()


def scrubbing_excepthook(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """`sys.excepthook` that prints the traceback with every protected secret replaced."""
    _print_scrubbed(traceback.format_exception(kind, error, trace))


def _thread_excepthook(arguments: Any) -> None:
    if arguments.exc_type is SystemExit:
        return
    name = arguments.thread.name if arguments.thread is not None else "?"
    lines = [f"Exception in thread {name}:\n"]
    lines += traceback.format_exception(
        arguments.exc_type, arguments.exc_value, arguments.exc_traceback
    )
    _print_scrubbed(lines)


def _unraisable_hook(unraisable: Any) -> None:
    message = unraisable.err_msg or "Exception ignored in"
    lines = [f"{message}: {unraisable.object!r}\n"]
    if unraisable.exc_type is not None:
        lines += traceback.format_exception(
            unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback
        )
    _print_scrubbed(lines)


def install_scrubbing_hooks() -> None:
    """Install the scrubbing hooks once per process and send `warnings` to logging.

    Call it after `bot.logs.protect_secrets` has been told the secrets (the hooks
    read the protected set when they print, so secrets added later are covered too).
    """
    global _installed
    if _installed:
        return
    sys.excepthook = scrubbing_excepthook
    threading.excepthook = _thread_excepthook
    sys.unraisablehook = _unraisable_hook
    logging.captureWarnings(True)  # `py.warnings` log records pass the scrubbing factory
    _installed = True
