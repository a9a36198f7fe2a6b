"""`melnev train` flags map one to one onto `TrainConfig` fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import TrainConfig, parse_config


def test_defaults_are_the_dataclass_defaults() -> None:
    assert parse_config([]) == TrainConfig()


def test_several_data_folders_are_given_as_repeated_or_listed_flags() -> None:
    assert TrainConfig().data == (Path("../shared/data/dermoscopy"),)
    repeated = parse_config(["--data", "a", "--data", "b"])
    assert repeated.data == (Path("a"), Path("b"))
    assert parse_config(["--data", "a", "b"]).data == repeated.data
    assert parse_config(["--data", "a"]).data == (Path("a"),)


def test_flags_of_every_kind_are_parsed() -> None:
    config = parse_config(
        [
            "--epochs", "3",
            "--learning-rate", "0.001",
            "--no-hair-removal",
            "--widths", "8", "16",
            "--saturation", "0.3", "0.7",
            "--train-sources", "HAM10000",
            "--split-file", "runs/x/split.csv",
            "--center-fraction", "0.9",
            "--zoom", "-0.5", "0.2",
        ]
    )  # fmt: skip

    assert config.epochs == 3
    assert config.learning_rate == pytest.approx(0.001)
    assert config.hair_removal is False
    assert config.widths == (8, 16)
    assert config.saturation == (0.3, 0.7)
    assert config.train_sources == ("HAM10000",)
    assert config.split_file == Path("runs/x/split.csv")
    assert config.center_fraction == pytest.approx(0.9)
    assert config.zoom == (-0.5, 0.2)


@pytest.mark.parametrize("flag", ["--saturation", "--zoom"])
def test_ranges_need_two_numbers(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_config([flag, "0.3"])

    assert f"{flag} takes two numbers" in capsys.readouterr().err


@pytest.mark.parametrize("views", ["0", "2", "9"])
def test_test_time_views_must_be_a_whole_set_of_turns(
    views: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parse_config(["--test-time-views", "8"]).test_time_views == 8
    with pytest.raises(SystemExit):
        parse_config(["--test-time-views", views])

    assert "--test-time-views" in capsys.readouterr().err


def test_hair_copies_of_takes_only_known_groups(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_config(["--hair-copies-of", "melanoma"]).hair_copies_of == "melanoma"
    with pytest.raises(SystemExit):
        parse_config(["--hair-copies-of", "nevus"])
    assert "--hair-copies-of must be 'melanoma' or 'all'" in capsys.readouterr().err


def test_framing_takes_only_known_framings(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_config(["--framing", "centre"]).framing == "centre"
    with pytest.raises(SystemExit):
        parse_config(["--framing", "side"])
    assert "--framing must be 'centre' or 'lesion'" in capsys.readouterr().err


def test_mix_up_is_off_by_default_and_not_negative(capsys: pytest.CaptureFixture[str]) -> None:
    assert TrainConfig().mix_up == 0.0
    assert parse_config(["--mix-up", "0.2"]).mix_up == pytest.approx(0.2)
    with pytest.raises(SystemExit):
        parse_config(["--mix-up", "-1"])
    assert "--mix-up must be >= 0" in capsys.readouterr().err


def test_moles_left_out_of_training_must_name_known_confirmations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert TrainConfig().exclude_nevus_confirmations == ()
    parsed = parse_config(["--exclude-nevus-confirmations", "follow_up", "consensus"])
    assert parsed.exclude_nevus_confirmations == ("follow_up", "consensus")
    with pytest.raises(SystemExit):
        parse_config(["--exclude-nevus-confirmations", "followup"])
    assert "Received: ['followup']" in capsys.readouterr().err


def test_recolour_share_is_off_by_default_and_a_probability(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert TrainConfig().recolour_share == 0.0
    assert parse_config(["--recolour-share", "0.5"]).recolour_share == pytest.approx(0.5)
    for share in ("-0.1", "1.2"):
        with pytest.raises(SystemExit):
            parse_config(["--recolour-share", share])
        assert "--recolour-share must be in [0, 1]" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--amplitude-share", "--amplitude-max-weight"])
def test_amplitude_mixing_is_off_by_default_and_takes_probabilities(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert TrainConfig().amplitude_share == 0.0
    name = flag[2:].replace("-", "_")
    assert getattr(parse_config([flag, "0.25"]), name) == pytest.approx(0.25)
    for value in ("-0.1", "1.2"):
        with pytest.raises(SystemExit):
            parse_config([flag, value])
        assert f"{flag} must be in [0, 1]" in capsys.readouterr().err


def test_resolution_loss_and_source_balance_flags(capsys: pytest.CaptureFixture[str]) -> None:
    default = TrainConfig()
    assert (default.resolution_loss_share, default.resolution_loss_scales) == (0.3, (0.5,))
    assert default.balance_classes_within_sources is False

    flags = ["--resolution-loss-share", "0.4", "--resolution-loss-scales", "0.35", "0.5"]
    config = parse_config([*flags, "--balance-classes-within-sources"])

    assert config.resolution_loss_share == pytest.approx(0.4)
    assert config.resolution_loss_scales == (0.35, 0.5)
    assert config.balance_classes_within_sources is True
    for flags, message in (
        (["--resolution-loss-scales", "1.5"], "--resolution-loss-scales must be in (0, 1)"),
        (["--resolution-loss-share", "1.2"], "--resolution-loss-share must be in [0, 1]"),
    ):
        with pytest.raises(SystemExit):
            parse_config(flags)
        assert message in capsys.readouterr().err
