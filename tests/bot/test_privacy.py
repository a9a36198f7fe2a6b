"""What the bot keeps and logs: no token, no raw user ids, no images, no files."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.fake_api import FakeBotApi
from bot.texts import text
from model.lesions import LESION_CLASSES
from tests.bot.conftest import TOKEN, StartBot

USER = 987654321

_writes: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _writes is None or event not in {"open", "tempfile.mkstemp", "tempfile.mkdtemp"}:
        return
    if event != "open":
        _writes.append(f"{event}:{args[0]}")
        return
    path, mode, flags = args
    writing = isinstance(mode, str) and any(flag in mode for flag in "wax+")
    if isinstance(flags, int):
        writing = writing or bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
    if writing:
        _writes.append(str(path))


@pytest.fixture
def file_writes() -> Iterator[list[str]]:
    """Every file opened for writing by this process (any thread) while the fixture is live."""
    global _writes
    if not getattr(sys, "_melnev_audit_installed", False):
        sys.addaudithook(_audit)
        sys._melnev_audit_installed = True  # type: ignore[attr-defined]
    _writes = []
    yield _writes
    _writes = None


async def test_no_file_is_written_while_answering_and_drawing_a_heatmap(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes, file_writes: list[str]
) -> None:
    await start_bot()
    fake_api.send_message(USER, photo=lesion_jpeg)
    (answer,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert answer.params["text"].startswith("Risk:")
    from bot.testing.updates import bot_message

    data = answer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    fake_api.press_button(USER, bot_message(fake_api, "sendMessage", answer.params), data)
    await fake_api.wait_for("sendPhoto", chat_id=USER)
    assert file_writes == []


async def test_logs_never_contain_the_token_or_the_raw_user(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await start_bot()
    fake_api.send_message(USER, text="/start")
    fake_api.send_message(USER, photo=lesion_jpeg)
    await fake_api.wait_for("sendMessage", count=2, chat_id=USER)
    fake_api.fail_methods["getFile"] = (500, f"Internal error for bot{TOKEN}")
    fake_api.send_message(USER, photo=lesion_jpeg)
    await fake_api.wait_for("sendMessage", count=3, chat_id=USER)

    everything = caplog.text
    assert TOKEN not in everything
    assert TOKEN.split(":")[1] not in everything
    info_and_above = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert str(USER) not in info_and_above
    assert f"Alice{USER}" not in info_and_above
    users = {getattr(r, "user", None) for r in caplog.records} - {None}
    assert users and all(str(tag).startswith("u-") for tag in users)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_failing_update_is_logged_with_traceback_and_the_user_gets_an_apology(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    lesion_jpeg: bytes,
    caplog: pytest.LogCaptureFixture,
    language: str,
) -> None:
    await start_bot()
    fake_api.fail_methods["getFile"] = (500, "Internal Server Error")
    fake_api.send_message(USER, photo=lesion_jpeg, language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"] == text(language, "error")
    (record,) = [r for r in caplog.records if r.name == "bot.handlers.fallback"]
    assert record.exc_info is not None
    assert record.levelno == logging.ERROR


async def test_prediction_log_has_numbers_and_pseudonyms_only(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes, tmp_path: Path
) -> None:
    log_path = tmp_path / "logs" / "predictions.jsonl"
    await start_bot(prediction_log=log_path)
    fake_api.send_message(USER, photo=lesion_jpeg)
    fake_api.send_message(USER + 1, document=b"garbage", mime_type="image/png", file_name="x.png")
    await fake_api.wait_for("sendMessage", chat_id=USER)
    await fake_api.wait_for("sendMessage", chat_id=USER + 1)
    for _ in range(100):  # the log line is written just after the answer
        if log_path.exists() and len(log_path.read_text().splitlines()) == 2:
            break
        await __import__("asyncio").sleep(0.02)
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    by_outcome = {record["outcome"]: record for record in records}
    assert set(by_outcome) == {"prediction", "invalid"}
    prediction = by_outcome["prediction"]
    assert prediction["model_version"] == "0.0.0-test"
    assert 0.0 <= prediction["probability"] <= 1.0
    assert prediction["risk_level"] in {"low", "moderate", "high"}
    assert prediction["lesion_class"] in LESION_CLASSES
    assert by_outcome["invalid"]["lesion_class"] is None
    assert prediction["quality"] == []
    assert prediction["latency_ms"] > 0
    assert by_outcome["invalid"]["invalid"] == "not_an_image"
    raw = log_path.read_text()
    assert str(USER) not in raw
    assert all(record["user"].startswith("u-") for record in records)
    assert len(raw) < 1000  # no image data
