"""Logging for the bot: text or JSON lines, pseudonymised users, secrets scrubbed.

User ids are replaced by a keyed hash (`pseudonymise`), so logs can follow one
user's session without naming them; images are never logged; the bot token is
scrubbed from every record by a log-record factory (httpx logs request URLs,
which contain the token, so its INFO logs are silenced too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

PSEUDONYM_LENGTH = 12
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})))


class Pseudonymiser:
    """Map Telegram user ids to stable, non-reversible pseudonyms (HMAC-SHA256).

    Args:
        key: Secret key; without it the pseudonyms could be reversed by brute force.
    """

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("`key` must not be empty. Received: key=b''")
        self._key = key

    @classmethod
    def from_secrets(cls, pseudonym_key: str, token: str) -> Pseudonymiser:
        """Use `pseudonym_key`, or derive a key from the token when it is empty."""
        if pseudonym_key:
            return cls(pseudonym_key.encode())
        return cls(hmac.new(token.encode(), b"melnev-pseudonym", hashlib.sha256).digest())

    def __call__(self, user_id: int | None) -> str:
        """Return the pseudonym of `user_id` ("u-anon" when there is no user)."""
        if user_id is None:
            return "u-anon"
        digest = hmac.new(self._key, str(user_id).encode(), hashlib.sha256).hexdigest()
        return "u-" + digest[:PSEUDONYM_LENGTH]


_secrets: set[str] = set()
_factory_installed = False


def protect_secrets(*secrets: str) -> None:
    """Scrub `secrets` from every log record of this process, whatever handler prints it.

    Installs (once) a log-record factory that replaces secrets in the message and
    renders the traceback early, scrubbed, into `exc_text` (handlers print that
    instead of formatting the traceback again). Also silences the INFO logs of
    httpx, which print request URLs (they contain the bot token).
    """
    global _factory_installed
    _secrets.update(secret for secret in secrets if secret)
    quiet_http_loggers()
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            _scrub(record)
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _factory_installed = True


def scrub(value: str) -> str:
    """Return `value` with every protected secret replaced by '***'."""
    for secret in _secrets:
        value = value.replace(secret, "***")
    return value


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # malformed %-args: leave it to the handler
        return
    scrubbed = scrub(message)
    if scrubbed != message:
        record.msg, record.args = scrubbed, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_FIELDS and name not in {"message", "asctime"}:
                entry[name] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str, secrets: Iterable[str]) -> logging.Handler:
    """Send logs to stderr in `fmt` ("text" or "json"), scrubbing `secrets`.

    Returns:
        The installed handler (tests remove it again).
    """
    protect_secrets(*secrets)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def quiet_http_loggers() -> None:
    """Silence INFO logs that print request URLs (which contain the bot token)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
