"""Handlers of /start, /help, /about, /privacy and /language, and the command menu."""

from __future__ import annotations

import logging

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes

from bot.about import about_answer
from bot.services import LANGUAGE_KEY, language_of, services, user_tag
from bot.texts import LANGUAGE_NAMES, LANGUAGES, text

logger = logging.getLogger(__name__)

COMMANDS = ("start", "help", "about", "privacy", "language")
LANGUAGE_CALLBACK_PREFIX = "lang:"


async def reply(update: Update, message: str) -> None:
    """Answer the update's message, quoting it."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(message, do_quote=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain what the bot does and how to take a good photo."""
    logger.info("Command /start", extra={"user": user_tag(update, context)})
    await reply(update, text(language_of(update, context), "start"))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to use the bot."""
    await reply(update, text(language_of(update, context), "help"))


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Describe the model from its card: version, data, test metrics, limitations."""
    await reply(update, about_answer(services(context).card, language_of(update, context)))


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say what is kept (no images, ever)."""
    await reply(update, text(language_of(update, context), "privacy"))


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the language from `/language ru`, or offer buttons to choose it."""
    wanted = (context.args or [""])[0].lower()[:2]
    if wanted in LANGUAGES and context.user_data is not None:
        context.user_data[LANGUAGE_KEY] = wanted
        await reply(update, text(wanted, "language_set"))
        return
    buttons = [
        InlineKeyboardButton(name, callback_data=f"{LANGUAGE_CALLBACK_PREFIX}{code}")
        for code, name in LANGUAGE_NAMES.items()
    ]
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            text(language_of(update, context), "language_prompt"),
            reply_markup=InlineKeyboardMarkup([buttons]),
            do_quote=True,
        )


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the language picked with a /language button."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    code = query.data.removeprefix(LANGUAGE_CALLBACK_PREFIX)
    if code not in LANGUAGES:
        await query.answer()
        return
    if context.user_data is not None:
        context.user_data[LANGUAGE_KEY] = code
    await query.answer()
    await query.edit_message_text(text(code, "language_set"))


def menu(language_code: str) -> list[BotCommand]:
    """The command menu in one language."""
    return [BotCommand(name, text(language_code, f"cmd.{name}")) for name in COMMANDS]


async def register_commands(application: Application) -> None:
    """Register the command menu with Telegram: English by default, Russian for ru users."""
    await application.bot.set_my_commands(menu("en"))
    await application.bot.set_my_commands(menu("ru"), language_code="ru")
