"""The eight kinds of lesion through the real bot: the answer, /about and the heatmap.

The tiny real model is steered to name each kind (`tests.bot.steering`); the Application,
its handlers, the HTTP to the fake Bot API and the texts are the real ones.
"""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot.answers import close_up_line
from bot.inference import overlay_jpeg
from bot.services import SERVICES_KEY
from bot.testing.fake_api import FakeBotApi
from bot.testing.updates import sent_message
from bot.texts import text
from model.heatmap import LazyHeatmap
from model.lesions import LESION_CLASSES
from model.photo_gate import KINDS, GateDecision, PhotoKind
from preprocessing import decode_image
from tests.bot.conftest import StartBot
from tests.bot.steering import SteeredPredictor

USER = 4004
LANGUAGES = ("en", "ru")
EXPECTED_LEVEL = {  # P(kind) ≈ 0.89; the tiny card's thresholds are 0.3 and 0.6
    "nevus": "low",
    "melanoma": "high",
    "bcc": "moderate",
    "bkl": "low",
    "akiec": "moderate",
    "scc": "high",
    "df": "low",
    "vasc": "low",
}


@pytest.fixture
def predictor(predictor: Any) -> SteeredPredictor:
    """Overrides the tiny test model's predictor with a steerable one on the same model."""
    return SteeredPredictor(predictor.loaded)


def paragraphs(answer: str) -> list[str]:
    return answer.split("\n\n")


def level_share_line(card: Any, level: str, language: str) -> str:
    """The level's shares, straight from the card's test counts of melanomas and moles."""
    rows = card.metrics["test"]["overall"]["risk_levels"]
    shares = [100 * rows[name][level] / sum(rows[name].values()) for name in ("melanoma", "nevus")]
    return text(language, "level_share", melanomas=shares[0], moles=shares[1])


async def answer_to(fake_api: FakeBotApi, photo: bytes, language: str, user: int = USER) -> Any:
    fake_api.send_message(user, photo=photo, language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=user)
    return call


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", LESION_CLASSES)
async def test_the_answer_names_each_kind_in_plain_words(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    predictor: SteeredPredictor,
    lesion_jpeg: bytes,
    kind: str,
    language: str,
) -> None:
    predictor.steer(kind)
    await start_bot()
    answer = (await answer_to(fake_api, lesion_jpeg, language)).params["text"]
    level = EXPECTED_LEVEL[kind]
    named = text(language, "kind_line", kind=text(language, f"kind.{kind}"))
    assert paragraphs(answer)[:3] == [
        text(language, f"risk.{level}"),
        f"{named}\n{text(language, f'kind_about.{kind}')}",
        text(language, f"meaning.{level}"),
    ]
    others = set(LESION_CLASSES) - {kind}
    assert not any(text(language, f"kind_about.{other}") in answer for other in others)
    assert level_share_line(predictor.card, level, language) in answer
    assert text(language, f"advice.{level}") in answer
    assert answer.endswith(text(language, "disclaimer"))
    assert len(re.findall(r"\d+\s?%", answer)) == 2  # the level's shares, no probability


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_second_kind_is_named_only_when_it_is_close(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    predictor: SteeredPredictor,
    lesion_jpeg: bytes,
    language: str,
) -> None:
    await start_bot()
    first, second = text(language, "kind.bcc"), text(language, "kind.akiec")
    predictor.steer("bcc", "akiec", close=True)
    close = (await answer_to(fake_api, lesion_jpeg, language)).params["text"]
    predictor.steer("bcc", "akiec", close=False)
    far = (await answer_to(fake_api, lesion_jpeg, language, USER + 1)).params["text"]
    assert text(language, "kind_line_second", kind=first, second=second) in close
    assert paragraphs(far)[1].split("\n")[0] == text(language, "kind_line", kind=first)
    assert second not in far
    for answer in (close, far):
        assert answer.startswith(text(language, "risk.moderate"))
        assert text(language, "kind_about.bcc") in answer
        assert text(language, "kind_about.akiec") not in answer
        assert answer.endswith(text(language, "disclaimer"))


def balanced_figures(group: dict[str, Any]) -> dict[str, float]:
    low, high = group["balanced_accuracy_ci95"]
    value = group["balanced_accuracy"]
    return {"value": 100 * value, "low": 100 * low, "high": 100 * high, "n": group["n"]}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_about_lists_every_kind_with_its_test_figures(
    start_bot: StartBot, fake_api: FakeBotApi, predictor: SteeredPredictor, language: str
) -> None:
    await start_bot()
    fake_api.send_message(USER, text="/about", language_code=language)
    (call,) = await fake_api.wait_for("sendMessage", chat_id=USER)
    answer = call.params["text"]
    overall = predictor.card.metrics["test"]["overall"]
    for kind in LESION_CLASSES:
        recall = overall["recall"][kind]
        name = text(language, f"short.{kind}")
        line = text(
            language,
            "about_class_line",
            kind=name[:1].upper() + name[1:],
            share=100 * recall["share"],
            low=100 * recall["ci95"][0],
            high=100 * recall["ci95"][1],
            n=recall["n"],
        )
        assert f"• {line}\n" in answer
        assert f"{name} 25" in answer  # the training images of each kind
    assert text(language, "about_balanced", **balanced_figures(overall)) in answer
    source = predictor.card.metrics["test"]["by_source"]["Synthetic"]
    line = text(language, "about_source_line", source="Synthetic", **balanced_figures(source))
    assert line in answer
    for key, pair in (("about_malignant_auc", "malignant_vs_benign"),
                      ("about_melanoma_auc", "melanoma_vs_nevus")):  # fmt: skip
        figures = overall[pair]
        auc = {"auc": figures["auc"], "low": figures["ci95"][0], "high": figures["ci95"][1]}
        assert text(language, key, **auc) in answer
    assert text(language, "about_none") not in answer
    assert answer.endswith(text(language, "disclaimer"))
    assert len(answer) <= 4096  # one Telegram message


async def test_the_heatmap_explains_the_kind_the_answer_named(
    start_bot: StartBot, fake_api: FakeBotApi, predictor: SteeredPredictor, lesion_jpeg: bytes
) -> None:
    image = decode_image(lesion_jpeg)
    heatmap = LazyHeatmap(predictor.loaded, runtime=predictor.runtime).get()
    assert heatmap is not None
    overlays = [
        np.asarray(Image.open(io.BytesIO(overlay_jpeg(heatmap, predictor, image, index) or b"")))
        for index in range(len(LESION_CLASSES))
    ]
    await start_bot()
    for number, (kind, language) in enumerate((("melanoma", "en"), ("df", "ru"), ("bcc", "en"))):
        predictor.steer(kind)
        user = USER + number
        answer = await answer_to(fake_api, lesion_jpeg, language, user)
        assert text(language, f"kind.{kind}") in answer.params["text"]
        data = answer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        pressed = sent_message(fake_api, answer.params, reply_to=True) | {"_language": language}
        fake_api.press_button(user, pressed, data)
        (sent,) = await fake_api.wait_for("sendPhoto", chat_id=user)
        picture = np.asarray(Image.open(io.BytesIO(sent.params["_bytes_photo"]))).astype(float)
        distances = [np.abs(picture - overlay).mean() for overlay in overlays]
        assert int(np.argmin(distances)) == LESION_CLASSES.index(kind)
        assert sorted(distances)[1] > 5 * (distances[LESION_CLASSES.index(kind)] + 1)
        caption = text(language, "heatmap_caption", kind=text(language, f"short.{kind}"))
        assert sent.params["caption"] == f"{caption}\n\n{text(language, 'disclaimer')}"


class CloseUpGate:
    """A photo-type gate that calls every photo a regular close-up of one spot."""

    def decide(self, photos: list[np.ndarray]) -> list[GateDecision]:
        named = {kind.value: float(kind == PhotoKind.CLOSE_UP) for kind in KINDS}
        return [GateDecision(PhotoKind.CLOSE_UP, named) for _ in photos]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_close_up_answers_quote_only_what_was_measured_for_the_named_kind(
    start_bot: StartBot,
    fake_api: FakeBotApi,
    predictor: SteeredPredictor,
    lesion_jpeg: bytes,
    language: str,
) -> None:
    application = await start_bot()
    shared = application.bot_data[SERVICES_KEY]
    shared.inference.gate = CloseUpGate()
    close_ups = {"by_answer": {"bcc": {"n": 120, "right": 0.41, "malignant": 0.83}}}
    shared.card = dataclasses.replace(
        predictor.card, metrics={**predictor.card.metrics, "close_ups": close_ups}
    )
    predictor.steer("bcc")
    measured = (await answer_to(fake_api, lesion_jpeg, language)).params["text"]
    predictor.steer("melanoma")
    unmeasured = (await answer_to(fake_api, lesion_jpeg, language, USER + 1)).params["text"]
    predictor.steer("df")  # benign and sure: "low" on a dermatoscope image, not here
    benign = (await answer_to(fake_api, lesion_jpeg, language, USER + 2)).params["text"]
    assert paragraphs(benign)[0] == text(language, "risk.moderate")

    bcc = text(language, "short.bcc")
    figures = text(language, "close_up_measured", kind=bcc, n=120, right=41, malignant=83)
    assert figures in measured and close_up_line(shared.card, "bcc", language) == figures
    assert re.findall(r"\d+\s?%", measured) == ["41%", "83%"]  # no dermoscopy shares
    melanoma = text(language, "short.melanoma")
    assert text(language, "close_up_unmeasured", kind=melanoma) in unmeasured
    assert "%" not in unmeasured
    for answer, kind in ((measured, "bcc"), (unmeasured, "melanoma")):
        assert paragraphs(answer)[1] == text(language, "close_up_note")
        # An ordinary photo is never told "low", whatever the model says.
        assert paragraphs(answer)[0] != text(language, "risk.low")
        assert text(language, f"kind_about.{kind}") in answer
        assert text(language, "dermatoscope_tip") in answer
        assert answer.endswith(text(language, "disclaimer"))
