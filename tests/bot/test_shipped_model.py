"""The bot end to end with the shipped model: real photos, real answers, real heatmaps."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot.testing.fake_api import FakeBotApi
from bot.testing.updates import sent_message
from model.loader import default_model_path
from tests.bot.conftest import StartBot
from tests.bot.test_photos import assert_risk_answer

pytestmark = pytest.mark.skipif(
    not default_model_path().is_file(), reason="shipped model not trained yet"
)
USER = 7007


@pytest.fixture(scope="module")
def predictor() -> Any:
    """Overrides the tiny test model: a `Predictor` on the shipped model."""
    from model.loader import load_model
    from model.predictor import Predictor

    return Predictor(load_model())


async def test_real_photos_get_the_shipped_models_risk_level(
    start_bot: StartBot, fake_api: FakeBotApi, predictor: Any, lesion_jpeg_bytes: list[bytes]
) -> None:
    from bot.answers import level_shares
    from bot.texts import text
    from preprocessing import assess_quality, decode_image

    found = level_shares(predictor.card)
    # An eight-class card has its test melanomas' and moles' risk levels (a 3.0.0 card not).
    assert found is not None or len(predictor.card.classes) == 2
    shares = found and {level: (100 * mel, 100 * moles) for level, (mel, moles) in found.items()}
    await start_bot(model_path=default_model_path())
    for index, data in enumerate(lesion_jpeg_bytes):
        fake_api.send_message(USER + index, photo=data)
    answered = 0
    for index, data in enumerate(lesion_jpeg_bytes):
        (call,) = await fake_api.wait_for("sendMessage", chat_id=USER + index)
        image = decode_image(data)
        if not assess_quality(image).ok:  # the gate's rare false rejections (about 2 %)
            refusals = (text("en", "quality_intro"), text("en", "not_skin"))
            assert call.params["text"].startswith(refusals)
            continue
        answered += 1
        assert_risk_answer(call, "en", shares)
        expected = predictor.predict([image])[0]
        assert call.params["text"].startswith(f"Risk: {expected.risk_level.value.upper()}")
        named = text("en", "kind_line", kind=text("en", f"kind.{expected.lesion_class}"))
        assert named[:-1] in call.params["text"]
    assert answered >= len(lesion_jpeg_bytes) - 2


async def test_heatmap_of_the_shipped_model(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg_bytes: list[bytes]
) -> None:
    from preprocessing import assess_quality, decode_image

    photo = next(data for data in lesion_jpeg_bytes if assess_quality(decode_image(data)).ok)
    await start_bot(model_path=default_model_path())
    fake_api.send_message(USER, photo=photo)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake_api.press_button(USER, sent_message(fake_api, call.params, reply_to=True), data)
    (sent,) = await fake_api.wait_for("sendPhoto", chat_id=USER)
    overlay = Image.open(io.BytesIO(sent.params["_bytes_photo"]))
    assert overlay.format == "JPEG" and overlay.size == (512, 512)


async def test_russian_about_gives_the_shipped_cards_limitations_in_russian(
    start_bot: StartBot, fake_api: FakeBotApi, predictor: Any
) -> None:
    from bot.texts.limitations import TRANSLATIONS

    await start_bot(model_path=default_model_path())
    fake_api.send_message(USER, text="/about", language_code="ru")
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    answer = call.params["text"]
    assert predictor.card.limitations
    for sentence in predictor.card.limitations:
        assert sentence not in answer
        assert f"• {TRANSLATIONS['ru'][sentence]}" in answer
