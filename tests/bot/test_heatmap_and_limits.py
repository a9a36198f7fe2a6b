"""The heatmap button, the per-user rate limit and the bounded global queue."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot.testing.fake_api import FakeBotApi
from bot.testing.updates import sent_message
from bot.texts import text
from tests.bot.conftest import StartBot, encode
from tests.support.pictures import synthetic_lesion

USER = 3003


async def _answer_with_button(fake_api: FakeBotApi, photo: bytes) -> dict[str, Any]:
    fake_api.send_message(USER, photo=photo)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    return call.params


async def test_heatmap_button_sends_an_overlay_downloading_the_photo_again(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes, predictor: Any
) -> None:
    from preprocessing import decode_image

    await start_bot()
    answer = await _answer_with_button(fake_api, lesion_jpeg)
    assert len(fake_api.calls_of("downloadFile")) == 1
    data = answer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    fake_api.press_button(USER, sent_message(fake_api, answer, reply_to=True), data)
    (sent,) = await fake_api.wait_for("sendPhoto", chat_id=USER)
    assert fake_api.calls_of("answerCallbackQuery")
    assert len(fake_api.calls_of("downloadFile")) == 2  # fetched again, not kept
    assert any(
        call.params["action"] == "upload_photo" for call in fake_api.calls_of("sendChatAction")
    )
    overlay = Image.open(io.BytesIO(sent.params["_bytes_photo"]))
    assert overlay.format == "JPEG"
    assert overlay.size == (512, 512)
    named = predictor.predict([decode_image(lesion_jpeg)])[0].lesion_class
    assert text("en", f"kind.{named}") in answer["text"]
    caption = text("en", "heatmap_caption", kind=text("en", f"short.{named}"))
    assert sent.params["caption"] == f"{caption}\n\n{text('en', 'disclaimer')}"


async def test_heatmap_with_unknown_key_uses_the_replied_photo(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes
) -> None:
    await start_bot()
    answer = await _answer_with_button(fake_api, lesion_jpeg)
    fake_api.press_button(USER, sent_message(fake_api, answer, reply_to=True), "hm:expired")
    await fake_api.wait_for("sendPhoto", chat_id=USER)


async def test_heatmap_without_any_photo_says_it_is_gone(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes
) -> None:
    await start_bot()
    answer = await _answer_with_button(fake_api, lesion_jpeg)
    fake_api.press_button(USER, sent_message(fake_api, answer, reply_to=False), "hm:expired")
    calls = await fake_api.wait_for("sendMessage", count=2, chat_id=USER)
    assert calls[-1].params["text"] == text("en", "heatmap_gone")
    assert not fake_api.calls_of("sendPhoto")


async def test_rate_limit_answers_politely_and_skips_the_download(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes
) -> None:
    await start_bot(rate_limit=2, rate_window_s=600)
    for _ in range(3):
        fake_api.send_message(USER, photo=lesion_jpeg, language_code="ru")
    calls = await fake_api.wait_for("sendMessage", count=3, chat_id=USER)
    refusal = text("ru", "rate_limited", seconds=600)
    limited = [call for call in calls if call.params["text"].startswith(refusal[:30])]
    assert len(limited) == 1
    assert text("ru", "rate_limited", seconds=600)[:40] in limited[0].params["text"]
    assert len(fake_api.calls_of("getFile")) == 2
    fake_api.send_message(USER + 1, photo=lesion_jpeg)  # other users are not affected
    (other,) = await fake_api.wait_for("sendMessage", chat_id=USER + 1)
    assert other.params["text"].startswith("Risk:")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_an_album_past_the_rate_limit_is_answered_in_the_order_it_was_sent(
    start_bot: StartBot, fake_api: FakeBotApi, language: str
) -> None:
    await start_bot(rate_limit=5, rate_window_s=600, workers=1)
    photos = [encode(synthetic_lesion(640, seed=seed)) for seed in range(7)]
    sent = [
        fake_api.send_message(USER, photo=photo, media_group_id="album-1", language_code=language)
        for photo in photos
    ]
    calls = await fake_api.wait_for("sendMessage", count=7, chat_id=USER, timeout=120)
    replied_to = [call.params["reply_parameters"]["message_id"] for call in calls]
    assert replied_to == [message["message_id"] for message in sent]
    texts = [call.params["text"] for call in calls]
    assert all(answer.startswith(text(language, "risk.low")[:4]) for answer in texts[:5])
    refusal = text(language, "rate_limited", seconds=600)
    assert all(answer.startswith(refusal[:30]) for answer in texts[5:])
    assert len(fake_api.calls_of("getFile")) == 5


async def test_full_global_queue_answers_busy(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes
) -> None:
    await start_bot(queue_size=1, workers=1)
    users = [USER + index for index in range(6)]
    for user in users:
        fake_api.send_message(user, photo=lesion_jpeg)
    answers = [(await fake_api.wait_for("sendMessage", chat_id=user))[0] for user in users]
    texts = [call.params["text"] for call in answers]
    assert texts.count(text("en", "busy")) >= 1
    assert any(answer.startswith("Risk:") for answer in texts)
