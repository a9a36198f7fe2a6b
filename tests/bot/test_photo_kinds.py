"""The bot's answer for each kind of photo, with the shipped model and photo gate.

Real DermNet and dermoscopy photos from `../shared` (skipped without it) go through
the real bot and the fake Bot API; each answer must be the one its kind calls for.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.answers import close_up_line
from bot.testing.fake_api import FakeBotApi
from bot.texts import text
from model.loader import default_model_path
from model.photo_gate import (
    SHIPPED_GATE_PATH,
    PhotoKind,
    ServedGate,
    load_served_gate,
    photo_verdict,
)
from preprocessing import assess_quality, decode_image
from tests.bot.conftest import StartBot, encode
from tests.bot.test_photos import text_page
from tests.support.shared_data import SHARED_DATA

CLINICAL = SHARED_DATA.parent / "clinical"
pytestmark = pytest.mark.skipif(
    not (CLINICAL / "labels.csv").is_file() or not SHIPPED_GATE_PATH.is_file(),
    reason="needs ../shared/data/clinical and the shipped photo gate",
)
USER = 8008


@pytest.fixture(scope="module")
def predictor() -> Any:
    """Overrides the tiny test model: a `Predictor` on the shipped model."""
    from model.loader import load_model
    from model.predictor import Predictor

    return Predictor(load_model())


def framed_photos(framing: str, count: int) -> list[bytes]:
    """The first `count` DermNet photos labelled `framing` in `framing.csv`."""
    with (CLINICAL / "framing.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["framing"] == framing]
    return [(CLINICAL / row["image"]).read_bytes() for row in rows[:count]]


def with_disclaimer(key: str) -> str:
    return f"{text('en', key)}\n\n{text('en', 'disclaimer')}"


KIND_TEXTS = {
    PhotoKind.SEVERAL: "several_lesions",
    PhotoKind.WIDESPREAD: "widespread",
    PhotoKind.UNUSABLE: "not_usable",
    PhotoKind.NOT_SKIN: "not_skin",
}


def topic_photos(topic: str, count: int) -> list[bytes]:
    """The first `count` DermNet photos of `topic`, as JPEG bytes."""
    with (CLINICAL / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["topic"] == topic]
    return [(CLINICAL / row["image"]).read_bytes() for row in rows[:count]]


@functools.cache
def shipped_gate() -> ServedGate:
    """The shipped photo gate, loaded once for the module."""
    return load_served_gate()


def expected_kind(data: bytes) -> tuple[PhotoKind | None, bool]:
    """What the shipped gates decide for these bytes: (kind, answered)."""
    image = decode_image(data)
    verdict = photo_verdict(assess_quality(image), shipped_gate().decide([image])[0])
    return verdict.kind, verdict.answered


async def answers_to(start_bot: StartBot, fake_api: FakeBotApi, photos: list[bytes]) -> list[str]:
    await start_bot(model_path=default_model_path(), photo_gate=SHIPPED_GATE_PATH)
    for index, photo in enumerate(photos):
        fake_api.send_message(USER + index, photo=photo)
    return [
        (await fake_api.wait_for("sendMessage", chat_id=USER + index, timeout=120))[0].params[
            "text"
        ]
        for index in range(len(photos))
    ]


async def test_rash_photos_get_no_risk_level(start_bot: StartBot, fake_api: FakeBotApi) -> None:
    photos = topic_photos("Eczema Hand", 4) + topic_photos("Psoriasis", 4)
    answers = await answers_to(start_bot, fake_api, photos)
    widespread = f"{text('en', 'widespread')}\n\n{text('en', 'disclaimer')}"
    for photo, answer in zip(photos, answers, strict=True):
        kind, answered = expected_kind(photo)
        assert (answer == widespread) == (kind == PhotoKind.WIDESPREAD)
        assert answer.startswith("Risk:") == answered
    assert sum(answer == widespread for answer in answers) >= 6


async def test_several_spots_nails_and_mouths_get_their_own_answer(
    start_bot: StartBot, fake_api: FakeBotApi
) -> None:
    several = framed_photos("several_lesions", 6)
    unusable = topic_photos("Psoriasis Nails", 3) + topic_photos("Geographic tongue", 3)
    answers = await answers_to(start_bot, fake_api, several + unusable)
    for photo, answer in zip(several + unusable, answers, strict=True):
        kind, answered = expected_kind(photo)
        assert answer.startswith("Risk:") == answered
        if not answered and kind in KIND_TEXTS:
            assert answer == with_disclaimer(KIND_TEXTS[kind])
    told_several = sum(answer == with_disclaimer("several_lesions") for answer in answers[:6])
    assert told_several >= 3
    assert "one photo per spot" in text("en", "several_lesions")
    assert sum(answer == with_disclaimer("not_usable") for answer in answers[6:]) >= 4


async def test_close_ups_of_one_spot_get_a_risk_answer_that_says_so(
    start_bot: StartBot, fake_api: FakeBotApi, predictor: Any
) -> None:
    photos = topic_photos("Melanoma in situ", 4) + topic_photos("Blue nevus", 4)
    answers = await answers_to(start_bot, fake_api, photos)
    close_ups = 0
    for photo, answer in zip(photos, answers, strict=True):
        kind, answered = expected_kind(photo)
        assert answer.startswith("Risk:") == answered
        if kind == PhotoKind.CLOSE_UP and answered:
            close_ups += 1
            assert text("en", "close_up_note") in answer
            assert text("en", "dermatoscope_tip") in answer
            named = predictor.predict([decode_image(photo)])[0].lesion_class
            assert close_up_line(predictor.card, named, "en") in answer  # only what was measured
            assert text("en", "level_share", melanomas=0, moles=0)[:30] not in answer
        assert answer.rstrip().endswith(text("en", "disclaimer"))
    assert close_ups >= 5


async def test_dermatoscope_photos_and_pictures_that_are_not_skin(
    start_bot: StartBot, fake_api: FakeBotApi, lesion_jpeg_bytes: list[bytes]
) -> None:
    page = encode(text_page((255, 255, 255), (20, 20, 20)))
    noise = encode(np.random.default_rng(3).integers(0, 256, (400, 400, 3), dtype=np.uint8))
    photos = [*lesion_jpeg_bytes[:6], page, noise]
    answers = await answers_to(start_bot, fake_api, photos)
    for photo, answer in zip(photos[:6], answers[:6], strict=True):
        kind, answered = expected_kind(photo)
        assert answer.startswith("Risk:") == answered
        assert text("en", "close_up_note") not in answer or kind == PhotoKind.CLOSE_UP
    assert sum(answer.startswith("Risk:") for answer in answers[:6]) >= 5
    not_skin = f"{text('en', 'not_skin')}\n\n{text('en', 'disclaimer')}"
    assert answers[6:] == [not_skin, not_skin]


def test_melnev_predict_json_reports_the_kind(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    rash = tmp_path / "rash.jpg"
    rash.write_bytes(topic_photos("Eczema Hand", 1)[0])
    page = tmp_path / "page.png"
    page.write_bytes(encode(text_page((255, 255, 255), (20, 20, 20)), "PNG"))
    done = subprocess.run(
        [sys.executable, "-m", "melnev", "predict", "--json", str(rash), str(page)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = {Path(str(r["image"])).name: r for r in json.loads(done.stdout)}
    kind, answered = expected_kind(rash.read_bytes())
    assert results["rash.jpg"]["photo_kind"] == (kind.value if kind else None)
    assert ("widespread" in results["rash.jpg"]["quality_issues"]) == (not answered)
    if not answered:
        assert results["rash.jpg"]["risk_level"] is None
        assert results["rash.jpg"]["no_risk_reason"] == "widespread"
    assert results["page.png"]["quality_issues"] == ["not_a_lesion"]


async def test_the_prediction_log_tells_a_rash_from_a_dark_photo(
    start_bot: StartBot, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    import asyncio
    import json

    rash = next(p for p in topic_photos("Eczema Hand", 8) if not expected_kind(p)[1])
    dark = encode(np.full((400, 400, 3), 12, np.uint8))
    log_path = tmp_path / "predictions.jsonl"
    await start_bot(
        model_path=default_model_path(), photo_gate=SHIPPED_GATE_PATH, prediction_log=log_path
    )
    for index, photo in enumerate((rash, dark)):
        fake_api.send_message(USER + index, photo=photo)
        await fake_api.wait_for("sendMessage", chat_id=USER + index, timeout=120)
    for _ in range(100):  # the log line is written just after the answer
        if log_path.exists() and len(log_path.read_text().splitlines()) == 2:
            break
        await asyncio.sleep(0.02)
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    kind = expected_kind(rash)[0]
    assert kind is not None
    by_outcome = {record["outcome"]: record for record in records}
    assert set(by_outcome) == {KIND_TEXTS[kind], "poor_quality"}
    refused = by_outcome[KIND_TEXTS[kind]]
    assert refused["risk_level"] is None and refused["photo_kind"] == kind.value
    assert "too_dark" in by_outcome["poor_quality"]["quality"]
