"""User-facing texts in English and Russian, and the user's language choice.

Usage:
    text("ru", "level_share", melanomas=72.0, moles=23.0)
"""

from __future__ import annotations

from typing import Any

from bot.texts import en, ru

LANGUAGES: dict[str, dict[str, str]] = {"en": en.TEXTS, "ru": ru.TEXTS}
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def text(language: str, key: str, **values: Any) -> str:
    """Return the text `key` in `language` (English when unknown), formatted with `values`."""
    table = LANGUAGES.get(language, LANGUAGES[DEFAULT_LANGUAGE])
    template = table.get(key) or LANGUAGES[DEFAULT_LANGUAGE][key]
    return template.format(**values) if values else template


def pick_language(chosen: str | None, telegram_code: str | None) -> str:
    """Return the user's language: their /language choice, else their Telegram language.

    Any other Telegram language gets English: a Ukrainian, Belarusian or Kazakh
    user is not answered in Russian unless they choose it with /language.

    Args:
        chosen: The language set with /language, if any.
        telegram_code: `User.language_code` (IETF tag such as "ru" or "en-GB").
    """
    if chosen in LANGUAGES:
        return chosen
    base = (telegram_code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE
