"""Many users at once: every photo is answered and /help stays fast during the burst.

The thresholds here are generous for a loaded CI machine; `benchmarks/bot_burst.py`
takes the precise measurement.
"""

from __future__ import annotations

import time

import pytest

from bot.testing.fake_api import FakeBotApi
from bot.texts import text
from tests.bot.conftest import StartBot, encode
from tests.support.pictures import synthetic_lesion

USERS = 30
HELP_USER = 99_999
HELP_BOUND_S = 2.0
"""The issue asks for 0.5 s; CI machines are shared, so the test allows four times that."""


@pytest.mark.slow
async def test_thirty_users_at_once_all_get_answers_and_help_stays_responsive(
    start_bot: StartBot, fake_api: FakeBotApi
) -> None:
    await start_bot(workers=2)
    photos = [encode(synthetic_lesion(384, seed=seed)) for seed in range(USERS)]
    started = time.monotonic()
    for index, photo in enumerate(photos):
        fake_api.send_message(10_000 + index, photo=photo)
    await fake_api.wait_for("sendChatAction", count=3)  # the burst is being worked on

    help_sent = time.monotonic()
    fake_api.send_message(HELP_USER, text="/help")
    (help_answer,) = await fake_api.wait_for("sendMessage", chat_id=HELP_USER)
    help_latency = help_answer.at - help_sent

    answers = [
        (await fake_api.wait_for("sendMessage", chat_id=10_000 + index, timeout=120))[0]
        for index in range(USERS)
    ]
    finished = max(answer.at for answer in answers)
    assert help_answer.params["text"] == text("en", "help")
    assert all(answer.params["text"].startswith("Risk:") for answer in answers)
    assert help_answer.at < finished, "help was not answered during the burst"
    assert help_latency < HELP_BOUND_S
    print(
        f"burst: {USERS} answers in {finished - started:.2f}s, /help {help_latency * 1000:.0f} ms"
    )


async def test_stopping_finishes_the_photos_in_progress(
    start_bot: StartBot, fake_api: FakeBotApi
) -> None:
    application = await start_bot(workers=1)
    users = [20_000 + index for index in range(4)]
    for seed, user in enumerate(users):
        fake_api.send_message(user, photo=encode(synthetic_lesion(384, seed=seed)))
    await fake_api.wait_for("sendChatAction", count=1)
    await application.updater.stop()  # what SIGTERM does in run_polling
    await application.stop()
    assert all(fake_api.calls_of("sendMessage", chat_id=user) for user in users)
