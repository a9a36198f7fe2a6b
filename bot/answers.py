"""Turn analyses and the model card into answer texts (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.texts import text
from model.card import ModelCard
from model.predictor import Prediction
from preprocessing import InvalidImageReason, QualityIssue

_METRIC_ORDER = ("roc_auc", "sensitivity", "specificity", "balanced_accuracy", "accuracy")


def prediction_answer(prediction: Prediction, language: str) -> str:
    """Risk level, probability, meaning, advice and the disclaimer."""
    level = prediction.risk_level.value
    return "\n\n".join(
        (
            text(language, f"risk.{level}"),
            text(language, "probability", percent=100 * prediction.melanoma_probability),
            text(language, f"meaning.{level}"),
            text(language, f"advice.{level}"),
            text(language, "disclaimer"),
        )
    )


def quality_answer(issues: Iterable[QualityIssue], language: str) -> str:
    """Why the photo cannot be analysed and how to retake it, then the disclaimer."""
    reasons = "\n".join(f"• {text(language, f'quality.{issue.value}')}" for issue in issues)
    return "\n\n".join(
        (
            f"{text(language, 'quality_intro')}\n{reasons}",
            text(language, "quality_outro"),
            text(language, "disclaimer"),
        )
    )


def invalid_answer(reason: InvalidImageReason, language: str) -> str:
    """The reason an upload is not a usable image, then the disclaimer."""
    return f"{text(language, f'invalid.{reason.value}')}\n\n{text(language, 'disclaimer')}"


def with_disclaimer(body: str, language: str) -> str:
    """Append the disclaimer to any answer about a photo."""
    return f"{body}\n\n{text(language, 'disclaimer')}"


def about_answer(card: ModelCard, language: str) -> str:
    """The model card in plain words: version, training data, test metrics, limitations."""
    none = text(language, "about_none")
    sections = [text(language, "about_header", version=card.model_version)]
    training = _flatten(card.training)
    sections.append(_section(text(language, "about_training"), training or [none]))
    test_metrics = card.metrics.get("test", card.metrics)
    metrics = _metric_lines(test_metrics) if isinstance(test_metrics, Mapping) else []
    sections.append(_section(text(language, "about_metrics"), metrics or [none]))
    sections.append(_section(text(language, "about_limitations"), card.limitations or [none]))
    sections.append(text(language, "about_footer"))
    sections.append(text(language, "disclaimer"))
    return "\n\n".join(sections)


def _section(title: str, lines: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {line}" for line in lines)


def _metric_lines(metrics: Mapping[str, Any]) -> list[str]:
    names = sorted(metrics, key=lambda name: (name not in _METRIC_ORDER, _order(name), name))
    return [
        f"{name.replace('_', ' ')}: {_number(metrics[name])}"
        for name in names
        if isinstance(metrics[name], int | float | str) and not isinstance(metrics[name], bool)
    ][:12]


def _order(name: str) -> int:
    return _METRIC_ORDER.index(name) if name in _METRIC_ORDER else len(_METRIC_ORDER)


def _flatten(values: Mapping[str, Any], prefix: str = "") -> list[str]:
    lines: list[str] = []
    for key, value in values.items():
        label = f"{prefix}{key.replace('_', ' ')}"
        if isinstance(value, Mapping):
            lines.extend(_flatten(value, prefix=f"{label} / "))
        elif isinstance(value, list | tuple):
            lines.append(f"{label}: {', '.join(str(item) for item in value[:8])}")
        else:
            lines.append(f"{label}: {_number(value)}")
    return lines[:12]


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
