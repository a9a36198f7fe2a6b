"""Hints for messages the bot cannot use, and the single error handler."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.services import SERVICES_KEY, language_of, user_tag
from bot.texts import text

logger = logging.getLogger(__name__)


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer text, stickers, voice, video and the like with a short hint."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            text(language_of(update, context), "hint_other"), do_quote=True
        )


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback, then apologise to the user in their language."""
    tag = user_tag(update, context) if SERVICES_KEY in context.bot_data else "u-anon"
    logger.error(
        "Handling an update failed: %s",
        type(context.error).__name__,
        exc_info=context.error,
        extra={"user": tag},
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    with contextlib.suppress(TelegramError):
        await context.bot.send_message(
            update.effective_chat.id, text(language_of(update, context), "error")
        )
