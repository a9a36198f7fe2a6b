"""Photos and image documents in, risk answers out; heatmaps on demand.

Images live only in memory for the time of one answer: they are downloaded with
`download_as_bytearray`, never written to disk, never logged, and the heatmap
button downloads the photo again by its `file_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answers import invalid_answer, prediction_answer, quality_answer, with_disclaimer
from bot.inference import QueueFullError
from bot.limits import wait_seconds
from bot.services import BotServices, language_of, services, user_tag
from bot.texts import text
from model.assessment import Assessment

logger = logging.getLogger(__name__)

HEATMAP_CALLBACK_PREFIX = "hm:"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff")
CHAT_ACTION_EVERY_S = 4.5
"""Telegram shows a chat action for about 5 s; repeat it while work goes on."""


def image_file(message: Message) -> tuple[str, int | None] | None:
    """Return (file_id, reported size) of the photo or image document, else None."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size
    document = message.document
    if document is None:
        return None
    mime = (document.mime_type or "").lower()
    name = (document.file_name or "").lower()
    if mime.startswith("image/") or name.endswith(IMAGE_EXTENSIONS):
        return document.file_id, document.file_size
    return None


@dataclasses.dataclass(frozen=True)
class PhotoReply:
    """What to answer a photo with, and the analysis to log (None when refused early)."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    analysis: Assessment | None = None


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Analyse a photo or an image document and reply with a risk answer.

    Answers go out in the order the chat sent the photos (`bot.ordering`): the
    "please wait" for the sixth photo of an album comes after the first five answers.
    """
    message = update.effective_message
    if message is None or update.effective_chat is None:
        return
    shared = services(context)
    tag = user_tag(update, context)
    started = time.perf_counter()
    async with shared.reply_order.place(message.chat_id, message.message_id) as my_turn:
        reply = await _photo_reply(message, language_of(update, context), shared, tag, context)
        await my_turn()
        await message.reply_text(reply.text, reply_markup=reply.markup, do_quote=True)
    if reply.analysis is not None:
        await _record(shared, tag, reply.analysis, time.perf_counter() - started)


async def _photo_reply(
    message: Message,
    lang: str,
    shared: BotServices,
    tag: str,
    context: ContextTypes.DEFAULT_TYPE,
) -> PhotoReply:
    found = image_file(message)
    if found is None:
        return PhotoReply(text(lang, "hint_document"))
    file_id, size = found
    if size is not None and size > shared.max_file_bytes:
        logger.info("Refused a %d-byte file before download", size, extra={"user": tag})
        limit_mb = shared.max_file_bytes / 2**20
        answer = text(lang, "too_big", size_mb=size / 2**20, limit_mb=limit_mb)
        return PhotoReply(with_disclaimer(answer, lang))
    refusal = _rate_limited(shared, tag, lang)
    if refusal is not None:
        return PhotoReply(refusal)
    try:
        async with shared.inference.slot(), _chat_action(message, ChatAction.TYPING):
            data = await (await context.bot.get_file(file_id)).download_as_bytearray()
            analysis = await shared.inference.analyse(bytes(data))
            del data
    except QueueFullError:
        logger.warning("Global queue full, refused a photo", extra={"user": tag})
        return PhotoReply(text(lang, "busy"))
    if analysis.invalid is not None:
        return PhotoReply(invalid_answer(analysis.invalid, lang), analysis=analysis)
    if analysis.prediction is None:
        issues = analysis.quality.issues if analysis.quality else ()
        return PhotoReply(quality_answer(issues, lang), analysis=analysis)
    markup = None
    if shared.inference.heatmaps_available:
        key = shared.heatmap_keys.add(file_id)
        button = InlineKeyboardButton(
            text(lang, "heatmap_button"), callback_data=f"{HEATMAP_CALLBACK_PREFIX}{key}"
        )
        markup = InlineKeyboardMarkup([[button]])
    answer = prediction_answer(analysis.prediction, lang, shared.card, kind=analysis.kind)
    return PhotoReply(answer, markup, analysis)


async def heatmap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the Grad-CAM overlay of the photo an answer was about, for the kind it named."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    answer_message = query.message if isinstance(query.message, Message) else None
    if answer_message is None:
        return
    shared = services(context)
    lang = language_of(update, context)
    tag = user_tag(update, context)
    original = answer_message.reply_to_message
    file_id = shared.heatmap_keys.get(query.data.removeprefix(HEATMAP_CALLBACK_PREFIX))
    if file_id is None and original is not None and (found := image_file(original)):
        file_id = found[0]
    if file_id is None:
        await answer_message.reply_text(text(lang, "heatmap_gone"), do_quote=True)
        return
    refusal = _rate_limited(shared, tag, lang)
    if refusal is not None:
        await answer_message.reply_text(refusal, do_quote=True)
        return
    try:
        async with shared.inference.slot(), _chat_action(answer_message, ChatAction.UPLOAD_PHOTO):
            data = await (await context.bot.get_file(file_id)).download_as_bytearray()
            picture = await shared.inference.heatmap(bytes(data))
            del data
    except QueueFullError:
        await answer_message.reply_text(text(lang, "busy"), do_quote=True)
        return
    if picture is None:
        await answer_message.reply_text(text(lang, "heatmap_gone"), do_quote=True)
        return
    logger.info("Sent a heatmap", extra={"user": tag})
    caption = text(lang, "heatmap_caption", kind=text(lang, f"short.{picture.lesion_class}"))
    await answer_message.reply_photo(
        picture.jpeg, caption=with_disclaimer(caption, lang), do_quote=True
    )


def _rate_limited(shared: BotServices, tag: str, lang: str) -> str | None:
    """Apply the per-user rate limit: None when allowed, else the polite refusal."""
    delay = shared.limiter.acquire(tag)
    if delay <= 0:
        return None
    logger.info("Rate limit reached", extra={"user": tag})
    return text(lang, "rate_limited", seconds=wait_seconds(delay))


@contextlib.asynccontextmanager
async def _chat_action(message: Message, action: str) -> AsyncIterator[None]:
    """Show `action` ("typing…") in the chat until the block finishes."""

    async def keep_showing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await message.get_bot().send_chat_action(message.chat_id, action)
            await asyncio.sleep(CHAT_ACTION_EVERY_S)

    task = asyncio.create_task(keep_showing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _record(shared: BotServices, tag: str, analysis: Assessment, latency_s: float) -> None:
    """Log the outcome (and append it to the prediction log): numbers only, no image."""
    prediction = analysis.prediction
    fields: dict[str, object] = {
        "user": tag,
        "outcome": analysis.outcome,
        "photo_kind": analysis.kind.value if analysis.kind else None,
        "model_version": shared.card.model_version,
        "probability": round(prediction.melanoma_probability, 4) if prediction else None,
        "risk_level": prediction.risk_level.value if prediction else None,
        "lesion_class": prediction.lesion_class if prediction else None,
        "quality": [issue.value for issue in analysis.quality.issues] if analysis.quality else [],
        "invalid": analysis.invalid.value if analysis.invalid else None,
        "latency_ms": round(latency_s * 1000, 1),
        "worker_ms": round(analysis.seconds * 1000, 1),
    }
    logger.info("Answered a photo: %s", analysis.outcome, extra=fields)
    if shared.prediction_log is not None:
        await asyncio.to_thread(shared.prediction_log.write, **fields)
