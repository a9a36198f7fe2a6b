"""Settings, limits, texts, answers and logging helpers, without Telegram."""

from __future__ import annotations

import json
import logging
import string
from pathlib import Path
from typing import Any

import pytest

from bot.answers import about_answer, level_shares, prediction_answer
from bot.limits import HeatmapKeys, RateLimiter, wait_seconds
from bot.logs import JsonFormatter, Pseudonymiser, protect_secrets, scrub
from bot.settings import Settings, SettingsError, load_settings
from bot.texts import LANGUAGES, pick_language, text
from model.card import Thresholds
from model.predictor import Prediction, RiskLevel


def test_english_and_russian_have_the_same_keys_and_placeholders() -> None:
    english, russian = LANGUAGES["en"], LANGUAGES["ru"]
    assert set(english) == set(russian)
    for key in english:
        fields = {name for _, name, _, _ in string.Formatter().parse(english[key]) if name}
        assert fields == {
            name for _, name, _, _ in string.Formatter().parse(russian[key]) if name
        }, key


@pytest.mark.parametrize(
    ("chosen", "code", "expected"),
    [
        (None, "ru", "ru"),
        (None, "en-GB", "en"),
        (None, "uk", "en"),
        (None, "be", "en"),
        (None, "kk", "en"),
        (None, "ru-RU", "ru"),
        ("ru", "uk", "ru"),
        (None, "de", "en"),
        (None, None, "en"),
        ("en", "ru", "en"),
        ("ru", "en", "ru"),
        ("xx", "ru", "ru"),
    ],
)
def test_language_follows_choice_then_telegram(
    chosen: str | None, code: str | None, expected: str
) -> None:
    assert pick_language(chosen, code) == expected


def test_every_limitation_training_writes_into_a_card_is_translated() -> None:
    from bot.texts.limitations import TRANSLATIONS, translate_limitation
    from training.classifier.summary import LIMITATIONS

    for language in set(LANGUAGES) - {"en"}:
        for sentence in LIMITATIONS:
            assert sentence in TRANSLATIONS[language], (language, sentence)
            assert translate_limitation(sentence, language) != sentence
    assert translate_limitation(LIMITATIONS[0], "en") == LIMITATIONS[0]


def test_rate_limiter_allows_limit_per_window_per_key() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.acquire("a") == 0 and limiter.acquire("a") == 0
    assert limiter.acquire("a") == pytest.approx(60)
    assert limiter.acquire("b") == 0
    now[0] = 30
    assert limiter.acquire("a") == pytest.approx(30)
    now[0] = 60.5
    assert limiter.acquire("a") == 0
    assert wait_seconds(0.2) == 1 and wait_seconds(29.1) == 30


def test_rate_limiter_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimiter(0, 60)


def test_heatmap_keys_fit_callback_data_and_expire_oldest() -> None:
    keys = HeatmapKeys(capacity=2)
    first, second, third = (keys.add(f"file-{n}") for n in range(3))
    assert len(f"hm:{first}".encode()) <= 64
    assert keys.get(first) is None
    assert keys.get(second) == "file-1" and keys.get(third) == "file-2"


def test_pseudonyms_are_stable_keyed_and_not_the_id() -> None:
    one, other = Pseudonymiser(b"key-1"), Pseudonymiser(b"key-2")
    assert one(12345) == one(12345) != one(12346)
    assert one(12345) != other(12345)
    assert "12345" not in one(12345)
    assert one(None) == "u-anon"
    derived = Pseudonymiser.from_secrets("", "123:token")
    assert derived(1) == Pseudonymiser.from_secrets("", "123:token")(1)


def test_secrets_are_scrubbed_from_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    protect_secrets("s3cr3t-value")
    assert scrub("url/bots3cr3t-value/getMe") == "url/bot***/getMe"
    try:
        raise RuntimeError("failed for s3cr3t-value")
    except RuntimeError:
        logging.getLogger("test").exception("call %s", "s3cr3t-value")
    assert "s3cr3t-value" not in caplog.text
    assert "***" in caplog.text


def test_json_formatter_writes_one_object_with_extras() -> None:
    record = logging.makeLogRecord(
        {
            "name": "bot",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "hi %s",
            "args": ("x",),
            "user": "u-abc",
        }
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hi x" and entry["user"] == "u-abc" and entry["level"] == "INFO"


def test_settings_read_the_environment_and_hide_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "42:very-secret")
    monkeypatch.setenv("MELNEV_WORKERS", "3")
    monkeypatch.setenv("MELNEV_LOG_LEVEL", "debug")
    monkeypatch.setenv("MELNEV_WEBHOOK_URL", "")
    settings = load_settings()
    assert settings.workers == 3 and settings.log_level == "DEBUG"
    assert settings.webhook_url is None
    assert settings.model_path.name == "melnev.keras"
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings)
    assert settings.max_file_bytes == 20 * 1024 * 1024


def test_missing_token_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("MELNEV_BOT_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="BOT_TOKEN is not set") as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_invalid_setting_is_reported_without_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "42:very-secret")
    monkeypatch.setenv("MELNEV_WORKERS", "zero")
    with pytest.raises(SettingsError, match="workers") as caught:
        load_settings()
    assert "very-secret" not in str(caught.value)


@pytest.mark.parametrize("level", list(RiskLevel))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_prediction_answer_advises_a_doctor_and_disclaims(
    level: RiskLevel, language: str
) -> None:
    prediction = Prediction(0.42, level, Thresholds(0.3, 0.6), "1.0", 0.0)
    answer = prediction_answer(prediction, language)
    assert "42" not in answer  # no probability beside the level
    assert text(language, f"advice.{level.value}") in answer
    assert answer.endswith(text(language, "disclaimer"))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_high_level_is_never_shown_beside_a_small_probability(
    tiny_model_path: Path, language: str
) -> None:
    from model.card import load_card

    card = load_card(tiny_model_path)
    # 2.6.0's thresholds: 14 % is above the balanced threshold, so the level is high.
    high = Prediction(0.14, RiskLevel.HIGH, Thresholds(0.059, 0.116), "2.6.0", -1.8)
    answer = prediction_answer(high, language, card)
    assert "14" not in answer
    assert answer.startswith(text(language, "risk.high"))
    assert text(language, "advice.high") in answer
    assert text(language, "level_share", melanomas=60, moles=30) in answer


def test_level_shares_come_from_the_cards_test_sensitivity_and_specificity(
    tiny_model_path: Path,
) -> None:
    import dataclasses

    from model.card import load_card

    card = load_card(tiny_model_path)  # screening 0.9 / 0.2, balanced 0.6 / 0.7
    shares = level_shares(card)
    assert shares is not None
    expected = {"low": (0.1, 0.2), "moderate": (0.3, 0.5), "high": (0.6, 0.3)}
    for level, (melanomas, moles) in expected.items():
        assert shares[level] == pytest.approx((melanomas, moles))
    prediction = Prediction(0.42, RiskLevel.MODERATE, card.thresholds, "1.0", 0.0)
    answer = prediction_answer(prediction, "en", card)
    assert text("en", "level_share", melanomas=30, moles=50) in answer
    assert "30% of melanomas and 50% of harmless moles" in answer
    # Thresholds in the other order: "low" is still below the lower one (`risk_level`).
    swapped = dict(card.metrics["test"]["overall"])
    swapped["screening"], swapped["balanced"] = swapped["balanced"], swapped["screening"]
    reversed_card = dataclasses.replace(card, metrics={"test": {"overall": swapped}})
    assert level_shares(reversed_card) == shares
    assert answer.endswith(text("en", "disclaimer"))


def test_answer_leaves_out_level_shares_when_the_card_has_no_test_figures(
    tiny_model_path: Path,
) -> None:
    import dataclasses

    from model.card import load_card

    card = load_card(tiny_model_path)
    without_balanced = {"test": {"overall": {"screening": {"sensitivity": 0.9}}}}
    contradictory = {  # one threshold both catches more melanomas and clears more moles
        "test": {
            "overall": {
                "screening": {"sensitivity": 0.5, "specificity": 0.2},
                "balanced": {"sensitivity": 0.6, "specificity": 0.3},
            }
        }
    }
    for metrics in ({}, {"test": {}}, without_balanced, contradictory):
        bare = dataclasses.replace(card, metrics=metrics)
        assert level_shares(bare) is None
        low = Prediction(0.1, RiskLevel.LOW, card.thresholds, "1", 0.0)
        assert prediction_answer(low, "ru", bare) == prediction_answer(low, "ru")
        assert "%" not in prediction_answer(low, "ru", bare)


def test_about_handles_an_empty_card(tiny_model_path: Path) -> None:
    import dataclasses

    from model.card import load_card

    card = dataclasses.replace(load_card(tiny_model_path), training={}, metrics={}, limitations=[])
    answer = about_answer(card, "ru")
    assert answer.count(text("ru", "about_none")) == 3


def test_settings_field_defaults_are_sane() -> None:
    settings = Settings(_env_file=None, bot_token="1:x")  # type: ignore[call-arg]
    assert settings.rate_limit == 5 and settings.rate_window_s == 60
    assert settings.webhook_url is None and settings.base_url is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_about_lists_training_sources_and_test_metrics_per_source(
    tiny_model_path: Path, language: str
) -> None:
    import dataclasses

    from model.card import load_card

    group = {"n": 100, "roc_auc": 0.81, "roc_auc_ci_low": 0.74, "roc_auc_ci_high": 0.88}
    screening = {"screening": {"sensitivity": 0.9, "specificity": 0.55}}
    card = dataclasses.replace(
        load_card(tiny_model_path),
        training={"data": {"counts": {"SiteA": {"melanoma": 12, "nevus": 34}}}},
        metrics={"test": {"overall": group | screening, "SiteA": group | screening}},
    )
    answer = about_answer(card, language)
    assert "SiteA: 12" in answer and "34" in answer
    assert answer.count("ROC AUC 0.81") == 2
    assert "0.74–0.88" in answer and "90%" in answer and "55%" in answer
    assert text(language, "about_all_sources") in answer
    assert text(language, "about_none") not in answer


async def test_reply_order_waits_for_earlier_photos_of_the_same_chat_only() -> None:
    import asyncio

    from bot.ordering import ReplyOrder

    order = ReplyOrder(max_wait_s=0.2)
    replies: list[str] = []

    async def answer(chat: int, message: int, work_s: float) -> None:
        async with order.place(chat, message) as my_turn:
            await asyncio.sleep(work_s)
            await my_turn()
            replies.append(f"{chat}/{message}")

    await asyncio.gather(answer(1, 10, 0.05), answer(1, 11, 0.0), answer(2, 5, 0.0))
    assert replies == ["2/5", "1/10", "1/11"]
    assert order.pending(1) == order.pending(2) == 0

    replies.clear()
    stuck = asyncio.Event()

    async def never_answered() -> None:
        async with order.place(1, 20):
            await stuck.wait()

    blocker = asyncio.create_task(never_answered())
    await asyncio.sleep(0)
    await answer(1, 21, 0.0)  # gives up waiting after max_wait_s
    assert replies == ["1/21"] and order.pending(1) == 1
    stuck.set()
    await blocker
    assert order.pending(1) == 0
    with pytest.raises(ValueError, match="max_wait_s=0"):
        ReplyOrder(max_wait_s=0)


def test_close_up_figures_are_quoted_only_for_the_model_they_were_measured_on(
    predictor: Any, tiny_model_path: Path
) -> None:
    from bot.app import build_services
    from bot.settings import Settings
    from model.photo_gate import SHIPPED_GATE_PATH

    if not SHIPPED_GATE_PATH.is_file():
        pytest.skip("no shipped photo gate")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token="1:x", model_path=tiny_model_path, photo_gate=SHIPPED_GATE_PATH
    )
    services = build_services(settings, predictor)
    assert services.inference.gate is not None
    assert services.close_up_shares is None  # the gate's figures are 2.6.0's, not the tiny model's
    services.inference.shutdown()
