"""Settings, limits, texts, answers and logging helpers, without Telegram."""

from __future__ import annotations

import json
import logging
import string
from pathlib import Path
from typing import Any

import pytest

from bot.about import about_answer
from bot.answers import close_up_figures, level_shares, prediction_answer
from bot.limits import HeatmapKeys, RateLimiter, wait_seconds
from bot.logs import JsonFormatter, Pseudonymiser, protect_secrets, scrub
from bot.settings import Settings, SettingsError, load_settings
from bot.texts import LANGUAGES, pick_language, text
from model.card import ModelCard, Thresholds
from model.lesions import BINARY_CLASSES, LESION_CLASSES
from model.predictor import Prediction, RiskLevel


def prediction(
    level: RiskLevel,
    lesion_class: str = "nevus",
    melanoma: float = 0.42,
    classes: tuple[str, ...] = LESION_CLASSES,
) -> Prediction:
    """A `Prediction` naming `lesion_class` (most of the probability), with `level`."""
    probabilities = dict.fromkeys(classes, 0.2 / (len(classes) - 1))
    probabilities[lesion_class] = 0.8
    return Prediction(
        melanoma, level, Thresholds(0.3, 0.6), "1.0", lesion_class, probabilities, 0.5
    )


def tiny_card(tiny_model_path: Path, **changes: Any) -> ModelCard:
    import dataclasses

    from model.card import load_card

    return dataclasses.replace(load_card(tiny_model_path), **changes)


def test_every_kind_has_a_name_a_short_name_and_a_line_in_both_languages() -> None:
    for table in LANGUAGES.values():
        for kind in LESION_CLASSES:
            assert {f"kind.{kind}", f"short.{kind}", f"kind_about.{kind}"} <= set(table)
    for language in LANGUAGES:
        for key in ("start", "help"):
            named = text(language, key).lower()
            assert all(text(language, f"short.{kind}") in named for kind in LESION_CLASSES)


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
    answer = prediction_answer(prediction(level, "bkl"), language)
    assert "42" not in answer and "80" not in answer  # no probability beside the level
    assert text(language, f"advice.{level.value}") in answer
    assert text(language, "kind_line", kind=text(language, "kind.bkl")) in answer
    assert answer.endswith(text(language, "disclaimer"))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_high_level_is_never_shown_beside_a_small_probability(
    tiny_model_path: Path, language: str
) -> None:
    card = tiny_card(tiny_model_path)
    high = prediction(RiskLevel.HIGH, "melanoma", melanoma=0.14)
    answer = prediction_answer(high, language, card)
    assert "14" not in answer
    assert answer.startswith(text(language, "risk.high"))
    assert text(language, "advice.high") in answer
    shares = level_shares(card)
    assert shares is not None
    melanomas, moles = shares["high"]
    assert text(language, "level_share", melanomas=100 * melanomas, moles=100 * moles) in answer


def test_a_one_logit_models_answer_names_mole_or_melanoma(tiny_model_path: Path) -> None:
    old = tiny_card(tiny_model_path, classes=BINARY_CLASSES, metrics={})
    for kind in BINARY_CLASSES:
        low = prediction(RiskLevel.LOW, kind, classes=BINARY_CLASSES)
        answer = prediction_answer(low, "en", old)
        assert text("en", "kind_line", kind=text("en", f"kind.{kind}")) in answer
        assert text("en", f"kind_about.{kind}") in answer


def test_level_shares_come_from_the_cards_test_risk_levels(tiny_model_path: Path) -> None:
    card = tiny_card(tiny_model_path)
    rows = {
        "melanoma": {"low": 2, "moderate": 3, "high": 5},
        "nevus": {"low": 12, "moderate": 6, "high": 2},
        "bcc": {"low": 0, "moderate": 4, "high": 0},
    }
    test = {"overall": {"risk_levels": rows}, "by_source": {}}
    shares = level_shares(tiny_card(tiny_model_path, metrics={"test": test}))
    expected = {"low": (0.2, 0.6), "moderate": (0.3, 0.3), "high": (0.5, 0.1)}
    assert shares is not None and set(shares) == set(expected)
    for level, pair in expected.items():
        assert shares[level] == pytest.approx(pair)
    answer = prediction_answer(prediction(RiskLevel.MODERATE), "en", tiny_card(
        tiny_model_path, metrics={"test": test}))  # fmt: skip
    assert "30% of melanomas and 30% of harmless moles" in answer
    assert level_shares(card) is not None  # the tiny card's own, made by lesion_metrics


def test_answer_leaves_out_level_shares_when_the_card_has_none_of_the_right_shape(
    tiny_model_path: Path,
) -> None:
    old_shape = {  # cards before 4.0.0: sensitivity and specificity at both thresholds
        "test": {
            "overall": {
                "screening": {"sensitivity": 0.9, "specificity": 0.2},
                "balanced": {"sensitivity": 0.6, "specificity": 0.7},
            }
        }
    }
    no_nevus = {"test": {"overall": {"risk_levels": {"melanoma": {"low": 1, "moderate": 1,
                                                                  "high": 1}}}}}  # fmt: skip
    zero = {"low": 0, "moderate": 0, "high": 0}
    empty_rows = {"test": {"overall": {"risk_levels": {"melanoma": zero, "nevus": zero}}}}
    negative = {"low": -1, "moderate": 2, "high": 1}
    bad_counts = {"test": {"overall": {"risk_levels": {"melanoma": negative, "nevus": negative}}}}
    for metrics in ({}, {"test": {}}, {"test": []}, old_shape, no_nevus, empty_rows, bad_counts):
        bare = tiny_card(tiny_model_path, metrics=metrics)
        assert level_shares(bare) is None
        low = prediction(RiskLevel.LOW)
        assert prediction_answer(low, "ru", bare) == prediction_answer(low, "ru")
        assert "%" not in prediction_answer(low, "ru", bare)


def test_close_up_figures_are_read_only_when_they_fit(tiny_model_path: Path) -> None:
    good = {"n": 50, "right": 0.5, "malignant": 1}
    close_ups = {
        "by_answer": {
            "bcc": good,
            "scc": {"n": 0, "right": 0.5, "malignant": 0.5},
            "df": {"n": 10, "right": 1.5, "malignant": 0.5},
            "vasc": {"n": 10, "right": None, "malignant": 0.5},
            "bkl": "n/a",
        },
        "by_kind": {"melanoma": {"n": 10, "named": 0.5, "flagged": 0.5}},
    }
    card = tiny_card(tiny_model_path, metrics={"close_ups": close_ups})
    assert close_up_figures(card, "bcc") == (50, 0.5, 1.0)
    for kind in ("scc", "df", "vasc", "bkl", "melanoma"):
        assert close_up_figures(card, kind) is None
    assert close_up_figures(tiny_card(tiny_model_path, metrics={"close_ups": []}), "bcc") is None


def test_about_handles_an_empty_card(tiny_model_path: Path) -> None:
    card = tiny_card(tiny_model_path, training={}, metrics={}, limitations=[])
    answer = about_answer(card, "ru")
    assert answer.count(text("ru", "about_none")) == 3


def test_about_handles_a_card_from_before_eight_kinds(tiny_model_path: Path) -> None:
    group = {"n": 100, "roc_auc": 0.81, "screening": {"sensitivity": 0.9, "specificity": 0.5}}
    card = tiny_card(
        tiny_model_path,
        classes=BINARY_CLASSES,
        training={"data": {"counts": {"SiteA": {"melanoma": 12, "nevus": 34}, "Bad": 3}}},
        metrics={"test": {"overall": group, "SiteA": group}},
    )
    answer = about_answer(card, "en")
    assert "SiteA (46 images): mole 34, melanoma 12" in answer
    assert answer.count(text("en", "about_none")) == 1  # the figures: not in today's shape
    assert answer.endswith(text("en", "disclaimer"))


def test_settings_field_defaults_are_sane() -> None:
    settings = Settings(_env_file=None, bot_token="1:x")  # type: ignore[call-arg]
    assert settings.rate_limit == 5 and settings.rate_window_s == 60
    assert settings.webhook_url is None and settings.base_url is None


@pytest.mark.parametrize("language", ["en", "ru"])
def test_about_fits_one_message_with_three_sources_and_every_limitation(
    tiny_model_path: Path, language: str
) -> None:
    from training.classifier.summary import LIMITATIONS

    card = tiny_card(tiny_model_path)
    test = card.metrics["test"]
    sources = ("BCN20000", "HAM10000", "ISIC2017")
    by_source = dict.fromkeys(sources, test["overall"])
    counts = dict.fromkeys(LESION_CLASSES, 12345)
    long_card = tiny_card(
        tiny_model_path,
        metrics={"test": {**test, "by_source": by_source}},
        training={"data": {"counts": dict.fromkeys(sources, counts)}},
        limitations=list(LIMITATIONS),
    )
    answer = about_answer(long_card, language)
    assert all(f"• {source} (" in answer for source in sources)
    assert len(answer) <= 4096  # Telegram's limit for one message


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
