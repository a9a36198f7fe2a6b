"""load_model: cached per process, reloaded when files change, one load across threads."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from model.loader import LoadedModel, ModelLoadError, clear_cache, load_model
from tests.model.test_export_card import export_tiny


@pytest.fixture(autouse=True)
def fresh_loader_cache() -> None:
    clear_cache()


def test_second_call_returns_the_cached_object(tiny_model_path: Path) -> None:
    first = load_model(tiny_model_path)

    assert load_model(tiny_model_path) is first
    assert load_model(str(tiny_model_path)) is first  # str and Path name the same file


def test_a_replaced_model_file_is_loaded_again(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    export_tiny(path, seed=0)
    first = load_model(path, keras_now=True)  # else Keras loads lazily, from the new file
    images = np.full((1, 64, 64, 3), 120, np.float32)

    export_tiny(path, seed=1)  # new weights and a new card at the same path
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_model(path)

    assert second is not first
    assert second.card.model_version == "0.0.1"
    assert not np.allclose(first.model(images), second.model(images))


def test_a_changed_card_is_picked_up(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    export_tiny(path)
    first = load_model(path)
    card_file = tmp_path / "model.card.json"
    card = json.loads(card_file.read_text())
    card["thresholds"] = {"screening": 0.2, "balanced": 0.7}
    card_file.write_text(json.dumps(card))
    stat = card_file.stat()
    os.utime(card_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    second = load_model(path)

    assert first.card.thresholds.screening == 0.3
    assert second.card.thresholds.screening == 0.2


def test_concurrent_first_loads_share_one_object(tiny_model_path: Path) -> None:
    start = threading.Barrier(8)

    def load() -> LoadedModel:
        start.wait()
        return load_model(tiny_model_path)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: load(), range(8)))

    assert len({id(result) for result in results}) == 1


def test_missing_or_unreadable_model_files_raise_model_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(tmp_path / "absent.keras")

    export_tiny(tmp_path / "model.keras")
    (tmp_path / "model.keras").write_bytes(b"not a keras archive")
    card_file = tmp_path / "model.card.json"
    card = json.loads(card_file.read_text())
    from model.card import file_sha256

    card["model_sha256"] = file_sha256(tmp_path / "model.keras")  # the card agrees
    card_file.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="could not load"):
        load_model(tmp_path / "model.keras", keras_now=True)  # served from LiteRT otherwise
