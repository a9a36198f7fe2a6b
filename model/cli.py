"""The `melnev` command line: predict, train, evaluate, bot.

Usage:
    melnev predict photo.jpg [more.jpg ...] [--json] [--model path/to/model.keras]
    melnev train --help
    melnev evaluate --help
    melnev bot
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

DISCLAIMER = (
    "Not a diagnosis: this is a statistical estimate from a photo. "
    "See a doctor or dermatologist about any lesion that worries you or changes."
)


def _predict(args: argparse.Namespace) -> int:
    from model.card import ModelCardError
    from model.loader import ModelLoadError, load_model
    from model.photo_gate import PhotoGateError, load_served_gate, needs_model, photo_verdict
    from model.predictor import Predictor
    from preprocessing import InvalidImageError, assess_quality, decode_image

    try:
        predictor = Predictor(load_model(args.model))
    except (ModelLoadError, ModelCardError) as error:
        print(f"melnev: cannot load model: {error}", file=sys.stderr)
        return 1
    try:
        gate = None if args.no_gate else load_served_gate(args.gate)
    except PhotoGateError as error:
        print(f"melnev: cannot load the photo gate: {error} (--no-gate skips it)", file=sys.stderr)
        return 1
    results: list[dict[str, object]] = []
    for path in args.images:
        result: dict[str, object] = {"image": str(path)}
        try:
            image = decode_image(Path(path).read_bytes())
        except OSError as error:
            result["error"] = f"cannot read file: {error.strerror}"
        except InvalidImageError as error:
            result["error"] = f"invalid image ({error.reason.value})"
        else:
            report = assess_quality(image)
            decision = gate.decide([image])[0] if gate and needs_model(report) else None
            verdict = photo_verdict(report, decision)
            result["quality_issues"] = [issue.value for issue in verdict.issues]
            result["photo_kind"] = verdict.kind.value if verdict.kind else None
            result.update(predictor.predict([image])[0].to_dict())
        results.append(result)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for result in results:
            print(_format(result))
        print(DISCLAIMER)
    return 1 if any("error" in result for result in results) else 0


def _format(result: dict[str, object]) -> str:
    if "error" in result:
        return f"{result['image']}: ERROR {result['error']}"
    issues = result["quality_issues"]
    kind = result.get("photo_kind")
    answer = (
        f"melanoma probability {result['melanoma_probability']:.3f}, risk {result['risk_level']}"
    )
    if issues:
        return (
            f"{result['image']}: no risk level ({', '.join(issues)}"  # type: ignore[arg-type]
            f"{f'; photo kind {kind}' if kind else ''}). "
            f"Model {result['model_version']} alone: {answer}"
        )
    about = f"model {result['model_version']}" + (f", {kind}" if kind else "")
    return f"{result['image']}: {answer} ({about})"


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one sub-parser per command."""
    parser = argparse.ArgumentParser(prog="melnev", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="estimate melanoma risk for image files")
    predict.add_argument("images", nargs="+", type=Path, help="image files (JPEG, PNG, ...)")
    predict.add_argument("--model", type=Path, default=None, help="model file (default: shipped)")
    predict.add_argument("--json", action="store_true", help="print JSON instead of text")
    predict.add_argument("--gate", type=Path, default=None, help="photo gate (default: shipped)")
    predict.add_argument("--no-gate", action="store_true", help="skip the photo-type gate")
    predict.set_defaults(handler=_predict)

    for name, (_, help_text) in DELEGATED.items():
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


# Commands with parsers of their own: `melnev train ...` == `training.train.main([...])`.
DELEGATED = {
    "train": ("training.train", "train a model (see melnev train --help)"),
    "evaluate": ("training.evaluate", "evaluate a model on a labelled set"),
    "bot": ("bot.main", "run the Telegram bot (see melnev bot --help)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `melnev` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # Training and evaluation import Keras anyway; `predict` and `bot` serve from LiteRT
    # and load Keras (quietly too, `model.loader`) only for a model without a LiteRT file.
    if arguments and arguments[0] in DELEGATED:
        import importlib

        try:
            if arguments[0] in ("train", "evaluate"):
                from model.quiet_start import start_backend_quietly

                start_backend_quietly()
            module = importlib.import_module(DELEGATED[arguments[0]][0])
        except ImportError as error:  # a serving-only install has no TensorFlow
            print(
                f"melnev {arguments[0]}: {error}. Training and evaluation need "
                "TensorFlow: pip install 'melnev[train]'",
                file=sys.stderr,
            )
            return 2
        return int(module.main(arguments[1:]) or 0)
    args = build_parser().parse_args(arguments)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
