"""`melnev predict`: the shipped model (or another) on image files, as text or JSON."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from model.lesions import PLAIN_NAMES

DISCLAIMER = (
    "Not a diagnosis: this is a statistical estimate from a photo. "
    "See a doctor or dermatologist about any lesion that worries you or changes."
)


def predict_files(
    paths: Sequence[Path], *, model: Path | None, gate: Path | None, no_gate: bool
) -> list[dict[str, Any]] | None:
    """Assess each file through `model.assessment.assess_photo`; one result dict per file.

    Args:
        paths: Image files.
        model: A model file, or None for the shipped one.
        gate: A photo-gate file, or None for the shipped one.
        no_gate: Skip the photo-type gate (the quality gate still runs).

    Returns:
        Per file: `image`, `model_version` and the assessment's fields, or `error` for an
        unreadable file or image. None when the model or the gate cannot be loaded (said on stderr).
    """
    from model.assessment import assess_photo
    from model.card import ModelCardError
    from model.loader import ModelLoadError, load_model
    from model.photo_gate import PhotoGateError, load_served_gate
    from model.predictor import Predictor

    try:
        predictor = Predictor(load_model(model))
    except (ModelLoadError, ModelCardError) as error:
        print(f"melnev: cannot load model: {error}", file=sys.stderr)
        return None
    try:
        served_gate = None if no_gate else load_served_gate(gate)
    except PhotoGateError as error:
        print(f"melnev: cannot load the photo gate: {error} (--no-gate skips it)", file=sys.stderr)
        return None
    results: list[dict[str, Any]] = []
    for path in paths:
        result: dict[str, Any] = {"image": str(path)}
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            result["error"] = f"cannot read file: {error.strerror}"
            results.append(result)
            continue
        assessment = assess_photo(data, predictor, served_gate)
        if assessment.invalid is not None:
            result["error"] = f"invalid image ({assessment.invalid.value})"
        else:
            result["model_version"] = predictor.card.model_version  # refused photos too
            result.update(assessment.to_dict())
        results.append(result)
    return results


def format_result(result: dict[str, Any]) -> str:
    """One human-readable line for one file's result."""
    image = result["image"]
    if "error" in result:
        return f"{image}: ERROR {result['error']}"
    kind = result.get("photo_kind")
    if result["risk_level"] is None:
        issues = ", ".join(result["quality_issues"]) or result["no_risk_reason"]
        advice = (
            "the photo-type gate refused it; --no-gate shows the model alone"
            if kind
            else "retake it: close up, in focus, in good light"
        )
        return (
            f"{image}: no risk level ({issues}{f'; photo kind {kind}' if kind else ''}): {advice}."
        )
    about = f"model {result['model_version']}" + (f", {kind}" if kind else "")
    probabilities = result["class_probabilities"]
    named = [result["lesion_class"]] + ([result["second_class"]] if result["second_class"] else [])
    likely = " or ".join(f"{PLAIN_NAMES[name]} {probabilities[name]:.2f}" for name in named)
    return (
        f"{image}: most likely {likely}; melanoma probability "
        f"{result['melanoma_probability']:.3f}, risk {result['risk_level']} ({about})"
    )
