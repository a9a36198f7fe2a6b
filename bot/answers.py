"""Turn analyses and the model card into answer texts (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.texts import text
from bot.texts.limitations import translate_limitation
from model.assessment import kind_outcome
from model.card import ModelCard
from model.photo_gate import PhotoKind
from model.predictor import Prediction
from preprocessing import InvalidImageReason, QualityIssue

Shares = dict[str, tuple[float, float]]
"""{"low" | "moderate" | "high": (share of melanomas, share of moles) given that level}."""


def prediction_answer(
    prediction: Prediction,
    language: str,
    card: ModelCard | None = None,
    *,
    kind: PhotoKind | None = None,
    close_up_shares: Shares | None = None,
) -> str:
    """Risk level, meaning, how often the level was given, advice, disclaimer.

    No probability is shown. The calibrated probability reflects the training set's
    melanoma share, not the user's own prior, and the thresholds sit low (the card's),
    so "HIGH" beside "14 %" read as a contradiction. The level is what the thresholds
    were chosen for; the test split's share of melanomas and moles that got it says
    honestly how much it is worth.

    Args:
        prediction: The model's answer.
        language: Language code of the texts.
        card: The answering model's card; its test figures say what share of melanomas
            and of moles got the same level (left out when the card has none).
        kind: The photo-type gate's kind. A regular close-up (`close_up`) is told so,
            quotes the figures measured on regular photos and suggests a dermatoscope.
        close_up_shares: Those figures (`close_up_shares` of the gate's card).

    Returns:
        The answer text, ending with the disclaimer.
    """
    level = prediction.risk_level.value
    close_up = kind == PhotoKind.CLOSE_UP
    parts = [text(language, f"risk.{level}")]
    if close_up:
        parts.append(text(language, "close_up_note"))
    parts.append(text(language, f"meaning.{level}"))
    shares = close_up_shares if close_up else (level_shares(card) if card is not None else None)
    if shares is not None:
        melanomas, moles = shares[level]
        key = "level_share_close_up" if close_up else "level_share"
        parts.append(text(language, key, melanomas=100 * melanomas, moles=100 * moles))
    parts.append(text(language, f"advice.{level}"))
    if close_up:
        parts.append(text(language, "dermatoscope_tip"))
    parts.append(text(language, "disclaimer"))
    return "\n\n".join(parts)


def level_shares(card: ModelCard) -> Shares | None:
    """Share of the card's test melanomas and moles that got each risk level.

    At the screening threshold about half of harmless moles are flagged; saying so next
    to a "moderate" answer keeps it from reading as "probably melanoma". The shares
    come from the test split's sensitivity and specificity at both thresholds
    (`metrics.test.overall`), so they follow the model that answers.

    Args:
        card: A model card.

    Returns:
        {"low" | "moderate" | "high": (share of melanomas, share of moles)}, or None
        when the card has no test sensitivity and specificity at both thresholds.
    """
    test = card.metrics.get("test")
    overall = test.get("overall") if isinstance(test, Mapping) else None
    if not isinstance(overall, Mapping):
        return None
    figures = []
    for threshold in ("screening", "balanced"):
        values = overall.get(threshold)
        if not isinstance(values, Mapping):
            return None
        figures.append((values.get("sensitivity"), values.get("specificity")))
    return shares_at_thresholds(figures)


def close_up_shares(gate_card: Mapping[str, Any]) -> Shares | None:
    """The same shares on regular close-ups, from the photo gate's card.

    They were measured on DermNet's melanoma and nevus close-ups that the gate (with
    their topic held out) let through (`metrics.close_up_classifier.answered`).
    """
    metrics = gate_card.get("metrics")
    figures = metrics.get("close_up_classifier") if isinstance(metrics, Mapping) else None
    answered = figures.get("answered") if isinstance(figures, Mapping) else None
    if not isinstance(answered, Mapping):
        return None
    return shares_at_thresholds(
        [
            (answered.get(f"{name}_sensitivity"), answered.get(f"{name}_specificity"))
            for name in ("screening", "balanced")
        ]
    )


def shares_at_thresholds(figures: Iterable[tuple[object, object]]) -> Shares | None:
    """Per level (melanomas, moles) from (sensitivity, specificity) at both thresholds."""
    pairs = []
    for sensitivity, specificity in figures:
        if not isinstance(sensitivity, float | int) or not isinstance(specificity, float | int):
            return None
        pairs.append((float(sensitivity), float(specificity)))
    if len(pairs) != 2:
        return None
    # `risk_level` puts "low" below the lower threshold, whichever of the two it is.
    (low_sens, low_spec), (high_sens, high_spec) = sorted(pairs, reverse=True)
    shares = {
        "low": (1 - low_sens, low_spec),
        "moderate": (low_sens - high_sens, high_spec - low_spec),
        "high": (high_sens, 1 - high_spec),
    }
    if any(share < 0 for pair in shares.values() for share in pair):
        return None  # figures that contradict each other
    return shares


def quality_answer(issues: Iterable[QualityIssue], language: str) -> str:
    """Why the photo cannot be analysed and how to retake it, then the disclaimer.

    A photo the photo-type gate gave no risk level is told why rather than how to retake
    it: several spots (send one close-up per spot), a rash or area, a nail, mouth, eye or
    slide (what the bot can assess), a picture that is not skin.
    """
    issues = tuple(issues)
    outcome = kind_outcome(issues)
    if outcome is not None:  # the text is named like the outcome
        return with_disclaimer(text(language, outcome), language)
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
    sections.append(
        _section(text(language, "about_training"), _data_lines(card, language) or [none])
    )
    sections.append(
        _section(text(language, "about_metrics"), _metric_lines(card, language) or [none])
    )
    limitations = [translate_limitation(line, language) for line in card.limitations]
    sections.append(_section(text(language, "about_limitations"), limitations or [none]))
    sections.append(text(language, "about_footer"))
    sections.append(text(language, "disclaimer"))
    return "\n\n".join(sections)


def _section(title: str, lines: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {line}" for line in lines)


def _data_lines(card: ModelCard, language: str) -> list[str]:
    """One line per training source, from the card's `training.data.counts`."""
    data = card.training.get("data")
    counts = data.get("counts") if isinstance(data, Mapping) else None
    if not isinstance(counts, Mapping):
        return []
    return [
        text(language, "about_data_line", source=source, **per_label)
        for source, per_label in counts.items()
        if isinstance(per_label, Mapping) and {"melanoma", "nevus"} <= set(per_label)
    ]


def _metric_lines(card: ModelCard, language: str) -> list[str]:
    """One line per test group (all sources, then each source) from `metrics.test`."""
    test = card.metrics.get("test")
    if not isinstance(test, Mapping):
        return []
    lines = []
    for group, values in test.items():
        screening = values.get("screening") if isinstance(values, Mapping) else None
        if not isinstance(screening, Mapping) or values.get("roc_auc") is None:
            continue
        name = text(language, "about_all_sources") if group == "overall" else group
        lines.append(
            text(
                language,
                "about_metric_line",
                group=name,
                n=values.get("n", 0),
                auc=values["roc_auc"],
                low=values.get("roc_auc_ci_low") or values["roc_auc"],
                high=values.get("roc_auc_ci_high") or values["roc_auc"],
                sensitivity=100 * (screening.get("sensitivity") or 0.0),
                specificity=100 * (screening.get("specificity") or 0.0),
            )
        )
    return lines
