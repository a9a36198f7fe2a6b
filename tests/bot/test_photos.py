"""Photos and image documents through the real bot: answers, refusals and bad input."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from bot.answers import invalid_answer, level_shares, quality_answer
from bot.testing.fake_api import Call, FakeBotApi
from bot.texts import text
from model.lesions import LESION_CLASSES
from preprocessing import HEIF_SUPPORTED, InvalidImageReason, QualityIssue
from tests.bot.conftest import StartBot, encode
from tests.support.pictures import synthetic_lesion

USER = 2002
RISK_LINES = {
    text(lang, f"risk.{level}") for lang in ("en", "ru") for level in ("low", "moderate", "high")
}


@pytest.fixture(scope="session")
def tiny_card_shares(tiny_model_path: Path) -> dict[str, tuple[float, float]]:
    """Percent of the tiny card's test melanomas and moles per level."""
    from model.card import load_card

    shares = level_shares(load_card(tiny_model_path))
    assert shares is not None
    return {level: (100 * mel, 100 * moles) for level, (mel, moles) in shares.items()}


def assert_risk_answer(
    call: Call, language: str, shares: Mapping[str, tuple[float, float]] | None
) -> None:
    """The answer has a risk level, the kind it looks most like with a line on that kind,
    the level's meaning, how often the level is given (`shares`, percent of melanomas and
    moles; None: a card without them), the level's advice, the disclaimer and a heatmap
    button, and no probability that could contradict the level."""
    answer = call.params["text"]
    first_line = answer.split("\n")[0]
    assert first_line in RISK_LINES
    level = next(
        lv for lv in ("low", "moderate", "high") if first_line == text(language, f"risk.{lv}")
    )
    assert text(language, f"advice.{level}") in answer
    paragraphs = answer.split("\n\n")
    assert paragraphs[0] == first_line and paragraphs[2] == text(language, f"meaning.{level}")
    kind_line, about_kind = paragraphs[1].split("\n")
    kind = next(k for k in LESION_CLASSES if about_kind == text(language, f"kind_about.{k}"))
    assert kind_line.startswith(
        text(language, "kind_line", kind=text(language, f"kind.{kind}"))[:-1]
    )
    if shares is not None:
        melanomas, moles = shares[level]
        assert text(language, "level_share", melanomas=melanomas, moles=moles) in answer
    assert answer.rstrip().endswith(text(language, "disclaimer"))
    other_levels = {"low", "moderate", "high"} - {level}
    assert not any(text(language, f"advice.{other}") in answer for other in other_levels)
    percents = re.findall(r"(\d+)\s?%", answer)
    assert len(percents) == (2 if shares else 0), percents  # the level's shares, no probability
    (button,) = call.params["reply_markup"]["inline_keyboard"][0]
    assert button["text"] == text(language, "heatmap_button")
    assert button["callback_data"].startswith("hm:")
    assert len(button["callback_data"].encode()) <= 64


async def test_photo_gets_a_risk_answer_replying_to_it(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    lesion_jpeg: bytes,
    tiny_card_shares: dict[str, tuple[float, float]],
) -> None:
    await start_bot()
    sent = fake_api.send_message(USER, photo=lesion_jpeg)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert_risk_answer(call, "en", tiny_card_shares)
    assert call.params["reply_parameters"]["message_id"] == sent["message_id"]
    assert fake_api.calls_of("sendChatAction", USER)[0].params["action"] == "typing"
    (get_file,) = fake_api.calls_of("getFile")
    assert get_file.params["file_id"] == sent["photo"][-1]["file_id"]  # the largest size


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_real_lesion_photos_get_risk_answers(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    lesion_jpeg_bytes: list[bytes],
    language: str,
    tiny_card_shares: dict[str, tuple[float, float]],
) -> None:
    await start_bot()
    photos = lesion_jpeg_bytes[::2]
    for index, data in enumerate(photos):
        fake_api.send_message(USER + index, photo=data, language_code=language)
    for index in range(len(photos)):
        (call,) = await fake_api.wait_for("sendMessage", chat_id=USER + index)
        assert_risk_answer(call, language, tiny_card_shares)


@pytest.mark.parametrize(
    ("fmt", "mime", "name"),
    [
        ("PNG", "image/png", "mole.png"),
        ("WEBP", "image/webp", "mole.webp"),
        ("JPEG", "application/octet-stream", "mole.jpg"),
        pytest.param(
            "HEIF",
            "image/heic",
            "mole.heic",
            marks=pytest.mark.skipif(not HEIF_SUPPORTED, reason="pillow-heif not installed"),
        ),
    ],
)
async def test_image_documents_get_risk_answers(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    fmt: str,
    mime: str,
    name: str,
    tiny_card_shares: dict[str, tuple[float, float]],
) -> None:
    await start_bot()
    data = encode(synthetic_lesion(384, seed=2), fmt)
    fake_api.send_message(USER, document=data, mime_type=mime, file_name=name)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert_risk_answer(call, "en", tiny_card_shares)


@pytest.mark.parametrize("as_document", [False, True])
async def test_file_over_20_mb_is_refused_before_download(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg: bytes, as_document: bool
) -> None:
    await start_bot()
    size = 25 * 1024 * 1024
    if as_document:
        fake_api.send_message(USER, document=lesion_jpeg, reported_size=size)
    else:
        fake_api.send_message(USER, photo=lesion_jpeg, reported_size=size)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"].startswith(text("en", "too_big", size_mb=25, limit_mb=20))
    assert text("en", "disclaimer") in call.params["text"]
    assert not fake_api.calls_of("getFile")
    assert not fake_api.calls_of("downloadFile")


def _truncated_jpeg() -> bytes:
    data = encode(synthetic_lesion(384, seed=3))
    return data[: len(data) // 3]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", InvalidImageReason.EMPTY),
        (np.random.default_rng(0).bytes(5000), InvalidImageReason.NOT_AN_IMAGE),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, InvalidImageReason.NOT_AN_IMAGE),
        (_truncated_jpeg(), InvalidImageReason.TRUNCATED),
        (encode(np.zeros((10, 10, 3), np.uint8), "PNG"), InvalidImageReason.TOO_SMALL),
    ],
    ids=["empty", "random-bytes", "jpeg-header-only", "truncated-jpeg", "10px-image"],
)
@pytest.mark.parametrize("language", ["en", "ru"])
async def test_unusable_bytes_get_the_reason_not_a_prediction(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    data: bytes,
    reason: InvalidImageReason,
    language: str,
) -> None:
    await start_bot()
    fake_api.send_message(USER, document=data, language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert call.params["text"] == invalid_answer(reason, language)
    assert "reply_markup" not in call.params


@pytest.mark.parametrize(
    ("image", "issue"),
    [
        (np.full((300, 300, 3), 12, np.uint8), QualityIssue.TOO_DARK),
        (np.full((300, 300, 3), 252, np.uint8), QualityIssue.OVEREXPOSED),
    ],
    ids=["dark", "overexposed"],
)
async def test_poor_or_non_lesion_photo_gets_retake_advice(
    start_bot: StartBot, fake_api: FakeBotApi, image: np.ndarray, issue: QualityIssue
) -> None:
    await start_bot()
    fake_api.send_message(USER, photo=encode(image, "PNG"))
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    assert text("en", f"quality.{issue.value}") in call.params["text"]
    assert call.params["text"].startswith(text("en", "quality_intro"))
    assert call.params["text"].endswith(text("en", "disclaimer"))
    assert "reply_markup" not in call.params
    assert call.params["text"] == quality_answer(_issues_of(image), "en")


def _issues_of(image: np.ndarray) -> tuple[QualityIssue, ...]:
    from preprocessing import assess_quality

    return assess_quality(image).issues


def text_page(background: tuple[int, int, int], ink: tuple[int, int, int]) -> np.ndarray:
    """A screenshot of a text page (what users send by mistake, or to test the bot)."""
    import cv2

    page = np.empty((900, 700, 3), np.uint8)
    page[:] = background
    for line in range(16):
        cv2.putText(
            page,
            "Lorem ipsum dolor sit amet, consectetur",
            (30, 60 + 50 * line),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8,
            ink,
            2,
        )
    return page


@pytest.mark.parametrize(
    "image",
    [
        text_page((255, 255, 255), (20, 20, 20)),
        text_page((16, 16, 20), (235, 235, 235)),
        np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8),
    ],
    ids=["white-text-page", "dark-mode-text-page", "noise"],
)
@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_picture_that_is_not_skin_is_told_so(
    start_bot: StartBot, fake_api: FakeBotApi, image: np.ndarray, language: str
) -> None:
    await start_bot()
    fake_api.send_message(USER, photo=encode(image, quality=90), language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    answer = call.params["text"]
    assert answer == f"{text(language, 'not_skin')}\n\n{text(language, 'disclaimer')}"
    assert text(language, "quality.overexposed") not in answer
    assert "reply_markup" not in call.params
