"""`melnev train`: the shipped recipe is the default, and a short list of flags changes it."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

from tests.support.shared_data import REPO_ROOT
from training.classifier.config import FLAGS, TrainConfig, check_config, parse_config
from training.classifier.summary import plain_value

SHIPPED_CARD = REPO_ROOT / "model" / "shipped" / "melnev.card.json"
# Where data and results go, and how fast: not part of what the model learns.
NOT_RECIPE = {"data", "out", "export", "split_file", "cache_dir", "workers"}
# Options measured and retired (docs/experiments.md), and the value that turned them off.
RETIRED_OFF = {
    "mix_up": 0.0,
    "recolour_share": 0.0,
    "amplitude_share": 0.0,
    "amplitude_max_weight": 1.0,
    "linear_probe": False,
    "wise_ft": 1.0,
    "excised_nevus_weight": 1.0,
    "framing": "centre",
    "hair_copies_of": "all",
}


def shipped_config() -> dict[str, object]:
    return json.loads(SHIPPED_CARD.read_text())["training"]["config"]


def test_no_flags_is_the_dataclass_defaults() -> None:
    assert parse_config([]) == TrainConfig()


def test_the_defaults_are_the_recipe_the_shipped_card_records() -> None:
    recorded = shipped_config()
    defaults = dataclasses.asdict(TrainConfig())

    for name, value in defaults.items():
        if name in NOT_RECIPE:
            continue
        expected = recorded[name]
        shown = plain_value(value)
        shown = list(shown) if isinstance(shown, tuple) else shown
        assert shown == expected, f"{name}: default {value!r}, shipped {expected!r}"
    assert [str(folder) for folder in TrainConfig().data] == recorded["data"]


def test_every_recorded_option_is_a_field_or_a_retired_option_that_was_off() -> None:
    recorded = shipped_config()
    fields = {field.name for field in dataclasses.fields(TrainConfig)}

    for name, value in recorded.items():
        if name not in fields:
            assert name in RETIRED_OFF, f"{name} is neither a field nor retired"
            assert value == RETIRED_OFF[name], f"the shipped model used retired {name}={value}"


def test_help_lists_no_retired_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--help"])
    shown = capsys.readouterr().out

    assert all(f"--{name.replace('_', '-')}" in shown for name in FLAGS)
    for name in RETIRED_OFF:
        assert f"--{name.replace('_', '-')}" not in shown
    assert "--acquisition-copies" not in shown  # recipe fields are not flags


@pytest.mark.parametrize("retired", ["--mix-up", "--recolour-share", "--wise-ft", "--framing"])
def test_a_retired_flag_is_an_error(retired: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config([retired, "0"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_several_data_folders_are_given_as_repeated_or_listed_flags() -> None:
    repeated = parse_config(["--data", "a", "--data", "b"])
    assert repeated.data == (Path("a"), Path("b"))
    assert parse_config(["--data", "a", "b"]).data == repeated.data
    assert parse_config(["--data", "a"]).data == (Path("a"),)


def test_flags_of_every_kind_are_parsed() -> None:
    config = parse_config(
        [
            "--epochs", "3",
            "--learning-rate", "0.001",
            "--no-pretrained",
            "--train-sources", "HAM10000", "BCN20000",
            "--split-file", "runs/x/split.csv",
            "--image-size", "64",
            "--cache-dir", "",
        ]
    )  # fmt: skip

    assert config.epochs == 3
    assert config.learning_rate == pytest.approx(0.001)
    assert config.pretrained is False
    assert config.train_sources == ("HAM10000", "BCN20000")
    assert config.split_file == Path("runs/x/split.csv")
    assert config.image_size == 64
    assert str(config.cache_dir) == "."  # '' disables the cache (train.py)


def test_an_unknown_layout_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config(["--layout", "kaggle"])
    assert "--layout must be one of auto, folders, ham10000, isic" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exclude_nevus_confirmations": ("followup",)}, "Received: ['followup']"),
        ({"resolution_loss_scales": (1.5,)}, "resolution_loss_scales must be in (0, 1)"),
        ({"resolution_loss_share": 1.2}, "resolution_loss_share must be in [0, 1]"),
        ({"test_time_views": 2}, "test_time_views"),
    ],
)
def test_a_bad_recipe_field_is_named(
    change: dict[str, object], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="melnev train")
    assert check_config(TrainConfig(), parser) == TrainConfig()
    with pytest.raises(SystemExit):
        check_config(dataclasses.replace(TrainConfig(), **change), parser)  # type: ignore[arg-type]
    assert message in capsys.readouterr().err
