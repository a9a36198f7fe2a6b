"""The bot's settings: one pydantic-settings class read from the environment or `.env`.

Every field is read from `MELNEV_<FIELD>` (for example `MELNEV_WORKERS=2`); the token
is also accepted as plain `BOT_TOKEN`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import model

SHIPPED_MODEL_PATH = Path(str(model.__file__)).resolve().parent / "shipped" / "melnev.keras"
"""Same as `model.loader.SHIPPED_MODEL_PATH`, without importing TensorFlow to read settings."""
SHIPPED_GATE_PATH = SHIPPED_MODEL_PATH.with_name("photo_gate.tflite")
"""Same as `model.photo_gate.SHIPPED_GATE_PATH`."""
TELEGRAM_DOWNLOAD_LIMIT_MB = 20
"""Files above this size cannot be downloaded through the public Bot API."""


class SettingsError(ValueError):
    """Raised with a one-line, token-free explanation when the settings are unusable."""


class Settings(BaseSettings):
    """Configuration of `melnev bot`.

    Attributes:
        bot_token: Token from @BotFather (`BOT_TOKEN` or `MELNEV_BOT_TOKEN`). Never logged.
        model_path: The `.keras` model (its card must sit next to it).
        photo_gate: The photo-type gate (`.tflite` with its card); empty to run without
            one (every photo that passes the quality gate then gets a risk level).
        workers: Threads running decoding, preprocessing and the model.
        queue_size: Photos admitted at once (running + waiting); more get a "busy" answer.
        rate_limit: Photos (and heatmaps) one user may send per `rate_window_s`.
        rate_window_s: Length of the per-user rate-limit window, in seconds.
        concurrent_updates: Updates processed at the same time by the application.
        max_file_mb: Refuse files Telegram reports as larger than this, before downloading.
        log_level: Logging level name.
        log_format: "text" or "json" (one JSON object per line).
        pseudonym_key: Key for hashing user ids in logs; derived from the token when empty.
        prediction_log: Optional JSON-lines file of predictions (never any image data).
        webhook_url: Public HTTPS URL; webhook mode when set, long polling otherwise.
        webhook_listen: Address the webhook server binds to.
        webhook_port: Port the webhook server listens on.
        webhook_secret: Secret token Telegram sends with each webhook request.
        base_url: Bot API server root for a self-hosted server (for example
            "http://localhost:8081"); api.telegram.org when empty.
        local_mode: The self-hosted server runs with `--local` (files are served as paths).
    """

    model_config = SettingsConfigDict(
        env_prefix="MELNEV_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    bot_token: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("BOT_TOKEN", "MELNEV_BOT_TOKEN")
    )
    model_path: Path = SHIPPED_MODEL_PATH
    photo_gate: Path | None = SHIPPED_GATE_PATH
    workers: int = Field(default=2, ge=1, le=64)
    queue_size: int = Field(default=64, ge=1)
    rate_limit: int = Field(default=5, ge=1)
    rate_window_s: float = Field(default=60.0, gt=0)
    concurrent_updates: int = Field(default=256, ge=1)
    max_file_mb: float = Field(default=TELEGRAM_DOWNLOAD_LIMIT_MB, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    pseudonym_key: SecretStr = SecretStr("")
    prediction_log: Path | None = None
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    base_url: str | None = None
    local_mode: bool = False

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("webhook_url", "base_url", "prediction_log", "photo_gate", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def max_file_bytes(self) -> int:
        """`max_file_mb` in bytes."""
        return int(self.max_file_mb * 1024 * 1024)


def load_settings(**overrides: object) -> Settings:
    """Build `Settings` from the environment, `.env` and `overrides`.

    Raises:
        SettingsError: With a one-line message (no secret values) when a value is
            invalid or the token is missing.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'settings'}: {item['msg']}"
            for item in error.errors(include_input=False)
        )
        raise SettingsError(f"Invalid bot settings: {problems}") from None
    if not settings.bot_token.get_secret_value().strip():
        raise SettingsError(
            "BOT_TOKEN is not set: export BOT_TOKEN=<token from @BotFather> "
            "(or put it in .env) and run `melnev bot` again."
        )
    return settings
