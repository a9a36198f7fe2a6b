"""The `melnev` command line: predict, evaluate, train, bot.

Usage:
    melnev predict photo.jpg [more.jpg ...] [--json] [--model path/to/model.keras]
    melnev evaluate --help
    melnev train --help
    melnev bot --help

`predict` and `bot` serve from LiteRT; `train` and `evaluate` need TensorFlow
(`pip install 'melnev[train]'`), imported only when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from melnev.predict import DISCLAIMER, format_result, predict_files

__all__ = ["DISCLAIMER", "build_parser", "main"]


def _train(argv: list[str]) -> int:
    from training.classifier.train import main as train

    return train(argv)


def _evaluate(argv: list[str]) -> int:
    from training.evaluation.evaluate import main as evaluate

    return evaluate(argv)


def _bot(argv: list[str]) -> int:
    from bot.main import main as bot

    return bot(argv)


# Commands with parsers of their own, and whether they need TensorFlow.
COMMANDS: dict[str, tuple[Callable[[list[str]], int], str, bool]] = {
    "evaluate": (_evaluate, "evaluate a model on a labelled set", True),
    "train": (_train, "train a model (the shipped recipe by default)", True),
    "bot": (_bot, "run the Telegram bot (see melnev bot --help)", False),
}


TRAIN_EXTRA = frozenset({"tensorflow", "keras", "sklearn", "pandas", "matplotlib", "tqdm"})
"""Modules of the `train` extra: missing, they mean a serving-only install."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser: `predict` here, the other commands parse their own flags."""
    parser = argparse.ArgumentParser(prog="melnev", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="estimate melanoma risk for image files")
    predict.add_argument("images", nargs="+", type=Path, help="image files (JPEG, PNG, ...)")
    predict.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    predict.add_argument("--json", action="store_true", help="print JSON instead of text")
    predict.add_argument("--gate", type=Path, default=None, help="photo gate (default: shipped)")
    predict.add_argument("--no-gate", action="store_true", help="skip the photo-type gate")
    for name, (_, help_text, _) in COMMANDS.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `melnev` console script; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in COMMANDS:
        run, _, needs_tensorflow = COMMANDS[arguments[0]]
        try:
            if needs_tensorflow:
                from model.quiet_start import start_backend_quietly

                start_backend_quietly()
            return int(run(arguments[1:]) or 0)
        except ModuleNotFoundError as error:  # a serving-only install has no TensorFlow
            missing = (error.name or "").split(".")[0]
            if not needs_tensorflow or missing not in TRAIN_EXTRA:
                raise
            print(
                f"melnev {arguments[0]}: {error}. Training and evaluation need "
                "TensorFlow: pip install 'melnev[train]'",
                file=sys.stderr,
            )
            return 2
    args = build_parser().parse_args(arguments)
    results = predict_files(args.images, model=args.model, gate=args.gate, no_gate=args.no_gate)
    if results is None:  # the model or the gate could not be loaded (said on stderr)
        return 1
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(format_result(result))
        print(DISCLAIMER)
    return 1 if any("error" in result for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
