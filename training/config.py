"""The configuration of a training run: one dataclass, one command-line flag per field."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from model.test_time import check_views
from preprocessing.pipeline import FRAMINGS, Framing
from training import augment
from training.data import CONFIRMATIONS

DESCRIPTION = "Train the melanoma-vs-nevus CNN and export it with its model card."


@dataclasses.dataclass
class TrainConfig:
    """Every knob of a training run (each is also a command-line flag)."""

    data: tuple[Path, ...] = (Path("../shared/data/dermoscopy"),)
    out: Path = Path("runs/latest")
    export: Path | None = None  # where to write the .keras model + card (default: out/)
    layout: str = "auto"
    split_file: Path | None = None  # reuse a split written by an earlier run
    train_sources: tuple[str, ...] = ()  # empty: all sources
    limit: int = 0  # smoke runs: at most this many images per source x class
    backbone: str = "efficientnet_lite0"  # or "small_cnn" (from scratch)
    pretrained: bool = True  # ImageNet weights shipped in model/backbones (no download)
    frozen_blocks: int = 3  # pretrained backbone blocks kept as they are
    image_size: int = 192
    working_size: int = 256
    center_fraction: float = 0.8  # trim the frame's edges (vignettes, rulers, ink)
    framing: Framing = "centre"  # or "lesion": the square around the lesion found (experimental)
    hair_removal: bool = True
    color_constancy: bool = True
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 5e-4
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    ema_epochs: float = 1.0  # ship weights averaged over ~this many epochs (0: off)
    patience: int = 5
    screening_sensitivity: float = 0.90  # validation sensitivity the screening threshold keeps
    # Turns of each image averaged in evaluation and serving: 4 rotations (8: also mirrored).
    test_time_views: int = 4
    saturation: tuple[float, float] = augment.SATURATION  # RandomSaturation (0.5: unchanged)
    hue: float = augment.HUE
    zoom: tuple[float, float] = augment.ZOOM  # RandomZoom range (negative zooms in)
    # Share of training images brought down to lower detail and back, and the fractions
    # of the side drawn from (0.35: an 84 px BCN20000 photo's detail in the 192 px input).
    resolution_loss_share: float = augment.RESOLUTION_LOSS_SHARE
    resolution_loss_scales: tuple[float, ...] = augment.RESOLUTION_LOSS_SCALES
    # Melanomas and moles balanced within each source, not over all: a source's class
    # share (BCN20000: 40 % melanomas, 14 % elsewhere) then marks neither class.
    balance_classes_within_sources: bool = False
    mix_up: float = 0.0  # keras.layers.MixUp alpha: blend pairs of training images (0: off)
    hair_copies: float = 0.16  # extra hairy copies per image of `hair_copies_of` (0 disables)
    # "all": every image alike, so hair (and hair-removal traces) says nothing about the
    # class; "melanoma" (models up to 2.3.0, 1.0 copies): taught that hair means melanoma.
    hair_copies_of: str = "all"
    # Extra copies per image changed as another camera would take them (JPEG, blur,
    # resolution loss, noise, exposure; `training.acquisition`), before preprocess().
    acquisition_copies: float = 0.0
    # Share of training photos recoloured like a random photo of the other camera group
    # (followed-up moles like the rest, the rest like followed-up moles; `training.recolour`):
    # 0.5 makes the follow-up centre's colours independent of the class.
    recolour_share: float = 0.0
    # Share of training photos whose Fourier amplitude spectrum (sharpness, noise,
    # compression, vignetting) is mixed with a random other training photo's, weight drawn
    # from [0, amplitude_max_weight], phase kept (`training.amplitude`).
    amplitude_share: float = 0.0
    amplitude_max_weight: float = 1.0
    # Loss weight of a mole confirmed by histopathology (excised) against other moles,
    # within the nevus class's half of the weight (1: all moles alike).
    excised_nevus_weight: float = 1.0
    # Moles confirmed so (`training.data.CONFIRMATIONS`) are left out of training
    # only; validation and test keep them.
    exclude_nevus_confirmations: tuple[str, ...] = ()
    # Fit the classifier on the frozen ImageNet features before fine-tuning (LP-FT).
    linear_probe: bool = False
    # WiSE-FT: ship (1 - a) * weights before fine-tuning + a * after (1: fine-tuned only).
    wise_ft: float = 1.0
    widths: tuple[int, ...] = (32, 64, 128, 192)
    dropout: float = 0.3
    seed: int = 0
    # Bit-identical reruns on the same machine and TensorFlow version: deterministic
    # kernels (`tf.config.experimental.enable_op_determinism`), about 1.9x slower a step.
    deterministic: bool = False
    workers: int = 0  # preprocessing processes (0: all cores)
    cache_dir: Path | None = Path(".cache/melnev")
    # 2.4.0 was trained before incomplete batches were dropped (2.4.1) and before each
    # batch was sure to get its own augmentation draws (2.5.0); 2.6.0 adds
    # `--acquisition-copies 0.2` (camera changes and skin-marker ink) to the command;
    # 3.0.0 trains on three sources (`docs/model.md`).
    model_version: str = "3.0.0"


def parse_config(argv: Sequence[str] | None) -> TrainConfig:
    """Build a `TrainConfig` from command-line flags named like its fields."""
    parser = argparse.ArgumentParser(prog="melnev train", description=DESCRIPTION)
    for field in dataclasses.fields(TrainConfig):
        default = field.default
        flag = "--" + field.name.replace("_", "-")
        if field.name == "data":  # --data A --data B, or --data A B
            parser.add_argument(flag, nargs="+", action="extend", type=Path, default=None)
        elif isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        elif isinstance(default, tuple):
            kind = type(default[0]) if default else str
            parser.add_argument(flag, nargs="*", type=kind, default=default)
        elif field.name in ("export", "split_file", "cache_dir"):
            parser.add_argument(flag, type=Path, default=default)
        else:
            parser.add_argument(flag, type=type(default), default=default)
    values = vars(parser.parse_args(argv))
    values = {key: tuple(v) if isinstance(v, list) else v for key, v in values.items()}
    values["data"] = values["data"] or TrainConfig.data
    for name in ("saturation", "zoom"):
        if len(values[name]) != 2:
            parser.error(f"--{name} takes two numbers. Received: {values[name]}")
    if values["framing"] not in FRAMINGS:
        parser.error(f"--framing must be 'centre' or 'lesion'. Received: {values['framing']!r}")
    if values["hair_copies_of"] not in ("melanoma", "all"):
        parser.error(
            f"--hair-copies-of must be 'melanoma' or 'all'. Received: {values['hair_copies_of']!r}"
        )
    unknown = set(values["exclude_nevus_confirmations"]) - set(CONFIRMATIONS)
    if unknown:
        parser.error(
            f"--exclude-nevus-confirmations takes {', '.join(CONFIRMATIONS)}. "
            f"Received: {sorted(unknown)}"
        )
    if values["excised_nevus_weight"] <= 0:
        parser.error(
            f"--excised-nevus-weight must be > 0. Received: {values['excised_nevus_weight']}"
        )
    if not all(0.0 < scale < 1.0 for scale in values["resolution_loss_scales"]):
        parser.error(
            "--resolution-loss-scales must be in (0, 1). "
            f"Received: {values['resolution_loss_scales']}"
        )
    shares = ("recolour_share", "amplitude_share", "amplitude_max_weight", "resolution_loss_share")
    for name in shares:
        if not 0.0 <= values[name] <= 1.0:
            flag = "--" + name.replace("_", "-")
            parser.error(f"{flag} must be in [0, 1]. Received: {values[name]}")
    if not 0.0 <= values["wise_ft"] <= 1.0:
        parser.error(f"--wise-ft must be in [0, 1]. Received: {values['wise_ft']}")
    if values["mix_up"] < 0:
        parser.error(f"--mix-up must be >= 0. Received: {values['mix_up']}")
    try:
        check_views(values["test_time_views"])
    except ValueError as error:
        parser.error(f"--test-time-views: {error}")
    return TrainConfig(**values)
