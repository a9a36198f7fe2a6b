"""Commands, the language choice and hints, driven through the fake Bot API."""

from __future__ import annotations

import pytest

from bot.testing.fake_api import FakeBotApi
from bot.texts import text
from tests.bot.conftest import StartBot

USER = 1001


async def test_start_up_registers_command_menu_in_english_and_russian(
    start_bot: StartBot, fake_api: FakeBotApi
) -> None:
    await start_bot()
    calls = fake_api.calls_of("setMyCommands")
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert set(by_language) == {None, "ru"}
    for language, commands in by_language.items():
        names = [command["command"] for command in commands]
        assert names == ["start", "help", "about", "privacy", "language"]
        expected = text(language or "en", "cmd.about")
        assert {command["description"] for command in commands} >= {expected}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("command", ["start", "help", "privacy"])
async def test_text_commands_answer_in_the_users_telegram_language(
    start_bot: StartBot, fake_api: FakeBotApi, command: str, language: str
) -> None:
    await start_bot()
    sent = fake_api.send_message(USER, text=f"/{command}", language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"] == text(language, command)
    assert call.params["reply_parameters"]["message_id"] == sent["message_id"]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_about_shows_the_model_card(
    start_bot: StartBot, fake_api: FakeBotApi, language: str
) -> None:
    await start_bot()
    fake_api.send_message(USER, text="/about", language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    answer = call.params["text"]
    assert "0.0.0-test" in answer
    assert "ROC AUC 0." in answer and "(95%" in answer
    assert "Synthetic (200" in answer  # 25 training images of each of the eight kinds
    assert "Untrained test model." in answer
    assert text(language, "about_metrics") in answer
    assert text(language, "disclaimer") in answer


@pytest.mark.parametrize("code", ["uk", "be", "kk", "de"])
async def test_users_of_other_languages_get_english_until_they_choose(
    start_bot: StartBot, fake_api: FakeBotApi, code: str
) -> None:
    await start_bot()
    fake_api.send_message(USER, text="/start", language_code=code)
    (first,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert first.params["text"] == text("en", "start")
    fake_api.send_message(USER, text="/language ru", language_code=code)
    fake_api.send_message(USER, text="/help", language_code=code)
    calls = await fake_api.wait_for("sendMessage", count=3, chat_id=USER)
    assert {call.params["text"] for call in calls[1:]} == {
        text("ru", "language_set"),
        text("ru", "help"),
    }


async def test_language_command_offers_buttons_and_the_choice_sticks(
    start_bot: StartBot, fake_api: FakeBotApi
) -> None:
    await start_bot()
    fake_api.send_message(USER, text="/language", language_code="en")
    (prompt,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert prompt.params["text"] == text("en", "language_prompt")
    buttons = prompt.params["reply_markup"]["inline_keyboard"][0]
    assert [button["callback_data"] for button in buttons] == ["lang:en", "lang:ru"]

    bot_message = {
        "message_id": 77,
        "date": 0,
        "chat": {"id": USER, "type": "private"},
        "text": prompt.params["text"],
    }
    fake_api.press_button(USER, bot_message, "lang:ru")
    (edit,) = await fake_api.wait_for("editMessageText", chat_id=USER)
    assert edit.params["text"] == text("ru", "language_set")
    await fake_api.wait_for("answerCallbackQuery")

    fake_api.send_message(USER, text="/help", language_code="en")
    calls = await fake_api.wait_for("sendMessage", count=2, chat_id=USER)
    assert calls[-1].params["text"] == text("ru", "help")


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_language_command_with_argument_sets_it_directly(
    start_bot: StartBot, fake_api: FakeBotApi, language: str
) -> None:
    await start_bot()
    other = "ru" if language == "en" else "en"
    fake_api.send_message(USER, text=f"/language {other}", language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"] == text(other, "language_set")
    fake_api.send_message(USER, text="/start", language_code=language)
    calls = await fake_api.wait_for("sendMessage", count=2, chat_id=USER)
    assert calls[-1].params["text"] == text(other, "start")


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"text": "is this mole ok?"}, "hint_other"),
        ({"text": "/unknown"}, "hint_other"),
        ({"kind": "sticker"}, "hint_other"),
        ({"kind": "voice"}, "hint_other"),
        ({"kind": "video"}, "hint_other"),
        (
            {"document": b"%PDF-1.4 ...", "mime_type": "application/pdf", "file_name": "a.pdf"},
            "hint_document",
        ),
    ],
    ids=["text", "unknown-command", "sticker", "voice", "video", "pdf-document"],
)
@pytest.mark.parametrize("language", ["en", "ru"])
async def test_other_messages_get_a_friendly_hint(
    start_bot: StartBot, fake_api: FakeBotApi, kwargs: dict[str, object], key: str, language: str
) -> None:
    await start_bot()
    fake_api.send_message(USER, language_code=language, **kwargs)  # type: ignore[arg-type]
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"] == text(language, key)
    assert not fake_api.calls_of("getFile")
