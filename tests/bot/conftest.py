"""Fixtures driving the real bot against the fake Bot API server."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot.testing.fake_api import FakeBotApi
from tests.support.pictures import synthetic_lesion

TOKEN = "123456789:AAF-SECRET-test-token-do-not-log-xyz"

StartBot = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def predictor(tiny_model_path: Path) -> Any:
    """A `Predictor` on the tiny real test model, loaded once per session."""
    from model.loader import load_model
    from model.predictor import Predictor

    return Predictor(load_model(tiny_model_path))


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    """A fresh fake Bot API server on 127.0.0.1."""
    api = FakeBotApi(TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
async def start_bot(
    fake_api: FakeBotApi, predictor: Any, tiny_model_path: Path
) -> AsyncIterator[StartBot]:
    """Start the real `Application` (long polling the fake server); settings as overrides.

    Calls the same start-up (`post_init`) and shutdown hooks as `run_polling`.
    """
    from bot.app import ALLOWED_UPDATES, build_application
    from bot.settings import Settings

    started: list[Any] = []

    async def start(**overrides: Any) -> Any:
        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "base_url": fake_api.url,
            "model_path": tiny_model_path,
            "workers": 2,
            "photo_gate": None,  # the shipped gate where a test asks for it
        }
        values.update(overrides)
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        application = build_application(settings, predictor)
        await application.initialize()
        assert application.post_init is not None
        await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        await application.start()
        started.append(application)
        return application

    yield start
    for application in started:
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.post_shutdown(application)
        await application.shutdown()


def encode(image: np.ndarray, fmt: str = "JPEG", **options: Any) -> bytes:
    """Encode an RGB array as image bytes in `fmt`."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def lesion_jpeg() -> bytes:
    """A synthetic lesion photo as JPEG bytes (always available, passes the quality gate)."""
    return encode(synthetic_lesion(384, seed=1), quality=92)
