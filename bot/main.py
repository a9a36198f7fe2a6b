"""Run the MelNev Telegram bot.

Usage:
    BOT_TOKEN=123:abc melnev bot
    BOT_TOKEN=123:abc melnev bot --model path/to/model.keras
    MELNEV_WEBHOOK_URL=https://bot.example.org/melnev BOT_TOKEN=... melnev bot

Settings come from the environment or `.env` (see `bot.settings.Settings`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import Settings, SettingsError, load_settings

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Command-line flags; they override the environment."""
    parser = argparse.ArgumentParser(prog="melnev bot", description="Run the Telegram bot.")
    parser.add_argument("--model", type=Path, default=None, help="model file (.keras)")
    parser.add_argument("--workers", type=int, default=None, help="model worker threads")
    parser.add_argument("--log-format", choices=("text", "json"), default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Build settings, logging, the model and the `Application`, then serve until stopped.

    Returns:
        2 when the settings, the model or the token are unusable, 1 when serving
        failed; after a clean shutdown the process exits with 0 without tearing
        down the interpreter (`exit_without_teardown`).
    """
    args = build_parser().parse_args(argv)
    overrides = {
        name: value
        for name, value in (
            ("model_path", args.model),
            ("workers", args.workers),
            ("log_format", args.log_format),
        )
        if value is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        print(f"melnev bot: {error}", file=sys.stderr)
        return 2

    from bot.hooks import RejectedTokenFilter, install_scrubbing_hooks
    from bot.logs import configure_logging

    secrets = [settings.bot_token.get_secret_value()]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    configure_logging(settings.log_level, settings.log_format, secrets).addFilter(
        RejectedTokenFilter()
    )
    install_scrubbing_hooks()

    from model.card import ModelCardError
    from model.loader import ModelLoadError, load_model
    from model.predictor import Predictor

    try:
        predictor = Predictor(load_model(settings.model_path))
    except (ModelLoadError, ModelCardError) as error:
        logger.error("Cannot start: %s", error)
        print(f"melnev bot: {error} (set MELNEV_MODEL_PATH or --model)", file=sys.stderr)
        return 2
    logger.info("Model %s loaded (%d workers)", predictor.card.model_version, settings.workers)

    from telegram.error import InvalidToken

    from bot.app import build_application
    from bot.logs import scrub
    from model.photo_gate import PhotoGateError

    try:
        application = build_application(settings, predictor)
    except PhotoGateError as error:
        print(f"melnev bot: {error} (set MELNEV_PHOTO_GATE= to run without it)", file=sys.stderr)
        return 2
    try:
        serve(application, settings)
    except InvalidToken:
        logger.error("Telegram rejected the token")
        print("melnev bot: Telegram rejected the token; check BOT_TOKEN", file=sys.stderr)
        return 2
    except Exception as error:  # one scrubbed line, not a traceback that may hold the token
        logger.exception("The bot stopped on an error")
        print(f"melnev bot: stopped on an error: {scrub(str(error))}", file=sys.stderr)
        return 1
    exit_without_teardown(0)
    return 0  # pragma: no cover - exit_without_teardown does not return


def exit_without_teardown(code: int) -> None:
    """Flush the logs and leave at once, once every answer has been sent.

    Tearing down the interpreter with TensorFlow loaded took about 6.5 s after
    "Bot stopped" on a loaded machine, and Docker kills a container 10 s after
    SIGTERM. Nothing is left to clean up by then: the updates are finished, the
    worker pool is shut down and the prediction log closes each line it writes.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(code)


def serve(application: object, settings: Settings) -> None:
    """Run with long polling, or as a webhook server when `webhook_url` is set.

    Both stop on SIGINT/SIGTERM after finishing the updates in progress.
    """
    from telegram.ext import Application

    from bot.app import ALLOWED_UPDATES

    if not isinstance(application, Application):
        raise TypeError(f"`application` must be a telegram Application. Received: {application!r}")
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
        )
    else:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    sys.exit(main())
