"""What the handlers share, kept in `application.bot_data` (built once at start-up)."""

from __future__ import annotations

import dataclasses

from telegram import Update
from telegram.ext import ContextTypes

from bot.inference import InferenceService
from bot.limits import HeatmapKeys, RateLimiter
from bot.logs import Pseudonymiser
from bot.ordering import ReplyOrder
from bot.prediction_log import PredictionLog
from bot.texts import pick_language
from model.card import ModelCard

SERVICES_KEY = "melnev"
LANGUAGE_KEY = "language"


@dataclasses.dataclass
class BotServices:
    """The model, limits and logs the handlers use.

    Attributes:
        inference: Bounded worker pool running the model.
        card: The model card (for /about, and the test figures under each answer).
        limiter: Per-user rate limit for photos and heatmaps.
        pseudonymise: User id -> pseudonym for logs.
        max_file_bytes: Files reported larger than this are refused before download.
        heatmap_keys: Short callback keys -> Telegram file ids.
        reply_order: Answers each chat's photos in the order they were sent.
        prediction_log: Optional JSON-lines log of answers.
    """

    inference: InferenceService
    card: ModelCard
    limiter: RateLimiter
    pseudonymise: Pseudonymiser
    max_file_bytes: int
    heatmap_keys: HeatmapKeys = dataclasses.field(default_factory=HeatmapKeys)
    reply_order: ReplyOrder = dataclasses.field(default_factory=ReplyOrder)
    prediction_log: PredictionLog | None = None


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    """Return the shared services of the running application."""
    found = context.bot_data[SERVICES_KEY]
    if not isinstance(found, BotServices):  # pragma: no cover - wiring error
        raise TypeError(f"bot_data[{SERVICES_KEY!r}] is not BotServices")
    return found


def language_of(update: object, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the language to answer in: /language choice, else the Telegram language."""
    chosen = context.user_data.get(LANGUAGE_KEY) if context.user_data is not None else None
    user = update.effective_user if isinstance(update, Update) else None
    return pick_language(chosen, user.language_code if user else None)


def user_tag(update: object, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Return the pseudonym of the update's user, for log lines."""
    user = update.effective_user if isinstance(update, Update) else None
    return services(context).pseudonymise(user.id if user else None)
