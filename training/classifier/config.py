"""The configuration of a training run: the shipped recipe as defaults, a few flags.

`melnev train --out DIR` with no other flag trains the recipe of the shipped model on the
shared folders; the card records every field. Flags cover what someone retraining on their
own data changes: data folders, layout, split, sources, size, schedule, seed, output, cache.
The recipe's own fields (copies, augmentation, loss weights) are fields, not flags: change
them in a copy of this dataclass and the card will say so.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from model.views import check_views
from training.classifier import augment
from training.datasets import CONFIRMATIONS, FOLLOW_UP, LAYOUTS
from training.datasets.split import SPLIT_3_0_0

DESCRIPTION = "Train the lesion classifier (eight classes) and export it with its model card."
SHARED_DATA = Path("../shared/data")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A training run; the defaults are the shipped model's recipe.

    Attributes are grouped: where data and results live (flags), the network and its input
    (partly flags), the schedule (flags), and the recipe (fields only).
    """

    # ---- data and output (flags) ---------------------------------------------------------
    data: tuple[Path, ...] = (
        SHARED_DATA / "dermoscopy",
        SHARED_DATA / "bcn20000",
        SHARED_DATA / "lesions",
    )
    out: Path = Path("runs/latest")
    export: Path | None = None  # where to write the .keras model + card (default: out/)
    layout: str = "auto"
    split_file: Path | None = None  # reuse a split written by an earlier run
    train_sources: tuple[str, ...] = ()  # empty: all; else the others are held out whole
    limit: int = 0  # smoke runs: at most this many images per source x class
    cache_dir: Path | None = Path(".cache/melnev")
    workers: int = 0  # preprocessing processes (0: all cores)
    model_version: str = "4.0.0"
    # ---- network and input -------------------------------------------------------------
    backbone: str = "efficientnet_lite0"  # or "small_cnn" (from scratch)
    pretrained: bool = True  # ImageNet weights shipped in model/backbones (no download)
    image_size: int = 192
    working_size: int = 256
    frozen_blocks: int = 3  # pretrained backbone blocks kept as they are
    widths: tuple[int, ...] = (32, 64, 128, 192)  # small_cnn only
    dropout: float = 0.3
    center_fraction: float = 0.8  # trim the frame's edges (vignettes, rulers, ink)
    hair_removal: bool = True
    color_constancy: bool = True
    # ---- schedule ------------------------------------------------------------------------
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 5e-4
    seed: int = 0
    # Bit-identical reruns on the same machine and TensorFlow version: deterministic
    # kernels (`tf.config.experimental.enable_op_determinism`), about 1.9x slower a step.
    deterministic: bool = False
    weight_decay: float = 1e-4
    label_smoothing: float = 0.05
    ema_epochs: float = 1.0  # ship weights averaged over ~this many epochs (0: off)
    patience: int = 5
    # ---- recipe ----------------------------------------------------------------------------
    screening_sensitivity: float = 0.90  # validation melanomas the screening threshold flags
    carcinoma_sensitivity: float = 0.95  # validation BCCs and SCCs it flags, each
    keratosis_high_share: float = 0.10  # validation benign keratoses "high" at most
    # A fresh split keeps these lesions where they were (model 3.0.0's melanomas and moles)
    # and assigns only the others: both models are then tested on the same photos.
    extends_split: Path | None = SPLIT_3_0_0
    test_time_views: int = 4  # rotations averaged in evaluation and serving (8: also mirrored)
    saturation: tuple[float, float] = augment.SATURATION
    hue: float = augment.HUE
    zoom: tuple[float, float] = augment.ZOOM
    # Share of training images brought down to lower detail and back, and the fractions of
    # the side drawn from (0.35: an 84 px BCN20000 photo's detail in the 192 px input).
    resolution_loss_share: float = augment.RESOLUTION_LOSS_SHARE
    resolution_loss_scales: tuple[float, ...] = augment.RESOLUTION_LOSS_SCALES
    # Classes balanced within each source: a source's class mix (BCN20000: 40 % melanomas
    # and 23 % BCCs, HAM10000 11 % and 5 %) then marks no class.
    balance_classes_within_sources: bool = True
    hair_copies: float = 0.16  # extra hairy copies per image, of every class alike
    # Extra copies per image changed as another camera would take them (JPEG, blur,
    # resolution loss, noise, exposure, skin-marker ink; `training.classifier.acquisition`).
    acquisition_copies: float = 0.2
    # Moles confirmed so are left out of training only (validation and test keep them):
    # HAM10000's followed-up moles come from one centre's camera, a shortcut.
    exclude_nevus_confirmations: tuple[str, ...] = (FOLLOW_UP,)


FLAGS = (
    "data", "out", "export", "layout", "split_file", "train_sources", "limit", "cache_dir",
    "workers", "model_version", "backbone", "pretrained", "image_size", "working_size",
    "epochs", "batch_size", "learning_rate", "seed", "deterministic",
)  # fmt: skip
"""The fields that are command-line flags (`--split-file` for `split_file`)."""

_HELP = {
    "data": "labelled data folders; the default is the shipped model's three",
    "out": "folder for the run's split, figures, metrics and model",
    "export": "where to write the .keras model and its card (default: in --out)",
    "layout": f"layout of every folder: {', '.join(LAYOUTS)}",
    "split_file": "reuse the split of an earlier run (its split.csv)",
    "train_sources": "train on these sources only; the others are tested whole",
    "limit": "at most this many images per source and class (smoke runs)",
    "cache_dir": "preprocessed-image cache ('' disables)",
    "workers": "preprocessing processes (0: all cores)",
    "backbone": "efficientnet_lite0 (ImageNet weights in model/backbones) or small_cnn",
    "model_version": "version written into the card",
    "pretrained": "start from the ImageNet weights (efficientnet_lite0)",
    "image_size": "side of the square model input, in pixels",
    "working_size": "side at which hair removal and colour constancy run",
    "epochs": "training epochs (early stopping on validation ROC AUC may end sooner)",
    "batch_size": "images per training step",
    "learning_rate": "peak AdamW learning rate, reached after a short warm-up",
    "seed": "seed of the split, the copies, augmentation and initialisation",
    "deterministic": "bit-identical reruns, about 1.9x slower a step",
}


def parse_config(argv: Sequence[str] | None) -> TrainConfig:
    """Build a `TrainConfig` from the command-line flags in `FLAGS`; the rest stay default."""
    parser = argparse.ArgumentParser(prog="melnev train", description=DESCRIPTION)
    defaults = TrainConfig()
    for name in FLAGS:
        default = getattr(defaults, name)
        flag = "--" + name.replace("_", "-")
        help_text = _HELP.get(name, "")
        if name != "export":
            help_text += f" (default: {_shown(default)})"
        if name == "data":  # --data A --data B, or --data A B
            parser.add_argument(flag, nargs="+", action="extend", type=Path, help=help_text)
        elif isinstance(default, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=help_text
            )
        elif isinstance(default, tuple):
            parser.add_argument(flag, nargs="*", default=default, help=help_text)
        elif name in ("export", "split_file", "cache_dir"):
            parser.add_argument(flag, type=Path, default=default, help=help_text)
        else:
            parser.add_argument(flag, type=type(default), default=default, help=help_text)
    values = vars(parser.parse_args(argv))
    values = {key: tuple(v) if isinstance(v, list) else v for key, v in values.items()}
    values["data"] = values["data"] or defaults.data
    if values["layout"] not in LAYOUTS:
        parser.error(
            f"--layout must be one of {', '.join(LAYOUTS)}. Received: {values['layout']!r}"
        )
    return check_config(dataclasses.replace(defaults, **values), parser)


def check_config(config: TrainConfig, parser: argparse.ArgumentParser) -> TrainConfig:
    """Return `config`, or exit through `parser.error` naming the first bad recipe field."""
    unknown = set(config.exclude_nevus_confirmations) - set(CONFIRMATIONS)
    if unknown:
        parser.error(
            f"exclude_nevus_confirmations takes {', '.join(CONFIRMATIONS)}. "
            f"Received: {sorted(unknown)}"
        )
    if not all(0.0 < scale < 1.0 for scale in config.resolution_loss_scales):
        parser.error(
            f"resolution_loss_scales must be in (0, 1). Received: {config.resolution_loss_scales}"
        )
    if not 0.0 <= config.resolution_loss_share <= 1.0:
        parser.error(
            f"resolution_loss_share must be in [0, 1]. Received: {config.resolution_loss_share}"
        )
    try:
        check_views(config.test_time_views)
    except ValueError as error:
        parser.error(f"test_time_views: {error}")
    return config


def _shown(default: object) -> str:
    if isinstance(default, tuple):
        return " ".join(map(str, default)) or "none"
    return str(default)
