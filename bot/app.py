"""Build the Telegram `Application`: every handler, limit and hook is registered here."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import commands, fallback, photos
from bot.inference import InferenceService
from bot.limits import FloodLimiter, RateLimiter
from bot.logs import Pseudonymiser, protect_secrets
from bot.prediction_log import PredictionLog
from bot.services import SERVICES_KEY, BotServices
from bot.settings import Settings
from model.photo_gate import load_served_gate
from model.predictor import Predictor

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
"""The only update types the bot asks Telegram for."""


def build_services(settings: Settings, predictor: Predictor) -> BotServices:
    """Create the photo gate, worker pool, limits and logs shared by the handlers.

    Raises:
        PhotoGateError: When `settings.photo_gate` names an unusable gate file.
    """
    gate = load_served_gate(settings.photo_gate) if settings.photo_gate else None
    return BotServices(
        inference=InferenceService(
            predictor, workers=settings.workers, queue_size=settings.queue_size, gate=gate
        ),
        card=predictor.card,
        limiter=RateLimiter(settings.rate_limit, settings.rate_window_s),
        pseudonymise=Pseudonymiser.from_secrets(
            settings.pseudonym_key.get_secret_value(), settings.bot_token.get_secret_value()
        ),
        max_file_bytes=settings.max_file_bytes,
        prediction_log=PredictionLog(settings.prediction_log) if settings.prediction_log else None,
    )


def build_application(settings: Settings, predictor: Predictor) -> Application:
    """Build the bot: concurrent updates, flood limits, handlers, start-up and shutdown hooks.

    Args:
        settings: The bot's settings (token, limits, optional self-hosted server).
        predictor: The loaded model; the bot never loads a model per message.

    Returns:
        An `Application` ready for `run_polling`, `run_webhook` or manual start.
    """
    protect_secrets(
        settings.bot_token.get_secret_value(),
        settings.webhook_secret.get_secret_value() if settings.webhook_secret else "",
    )
    builder = (
        Application.builder()
        .token(settings.bot_token.get_secret_value())
        .concurrent_updates(settings.concurrent_updates)
        .rate_limiter(FloodLimiter(max_retries=3))
        .connect_timeout(10)
        .read_timeout(30)
        .write_timeout(30)
        .pool_timeout(10)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.base_url:
        root = settings.base_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    if settings.local_mode:
        builder = builder.local_mode(True)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = build_services(settings, predictor)
    register_handlers(application)
    return application


def register_handlers(application: Application) -> None:
    """Register every handler and the single error handler."""
    new_messages = filters.UpdateType.MESSAGE
    application.add_handlers(
        [
            CommandHandler("start", commands.start, filters=new_messages),
            CommandHandler("help", commands.help_command, filters=new_messages),
            CommandHandler("about", commands.about, filters=new_messages),
            CommandHandler("privacy", commands.privacy, filters=new_messages),
            CommandHandler("language", commands.language, filters=new_messages),
            CallbackQueryHandler(
                commands.language_chosen, pattern=f"^{commands.LANGUAGE_CALLBACK_PREFIX}"
            ),
            CallbackQueryHandler(photos.heatmap, pattern=f"^{photos.HEATMAP_CALLBACK_PREFIX}"),
            MessageHandler(new_messages & (filters.PHOTO | filters.Document.ALL), photos.photo),
            MessageHandler(new_messages, fallback.other_message),
        ]
    )
    application.add_error_handler(fallback.on_error)


async def _post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await commands.register_commands(application)
    logger.info("Bot @%s is up; command menu registered (en, ru)", application.bot.username)


async def _post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    shared = application.bot_data.get(SERVICES_KEY)
    if isinstance(shared, BotServices):
        shared.inference.shutdown()
    logger.info("Bot stopped")
