"""Turn analyses and the model card into answer texts (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.texts import text
from model.assessment import kind_outcome
from model.card import ModelCard
from model.photo_gate import PhotoKind
from model.predictor import Prediction
from preprocessing import InvalidImageReason, QualityIssue

Shares = dict[str, tuple[float, float]]
"""{"low" | "moderate" | "high": (share of melanomas, share of moles) given that level}."""

LEVELS = ("low", "moderate", "high")


def prediction_answer(
    prediction: Prediction,
    language: str,
    card: ModelCard | None = None,
    *,
    kind: PhotoKind | None = None,
) -> str:
    """Risk level, the kind it looks most like, what that kind is, meaning, advice, disclaimer.

    No probability is shown. The calibrated probabilities reflect the training set's
    class shares, not the user's own prior, and the thresholds sit low (the card's), so
    "HIGH" beside "14 %" read as a contradiction. The level is what the thresholds were
    chosen for; the test split's share of melanomas and moles that got it says honestly
    how much it is worth. The kind is named as what the photo "looks most like", with the
    second most likely one when the two are close (`Prediction.second_class`).

    Args:
        prediction: The model's answer.
        language: Language code of the texts.
        card: The answering model's card; its test figures say what share of melanomas
            and of moles got the same level (left out when the card has none).
        kind: The photo-type gate's kind. A regular close-up (`close_up`) is told so,
            quotes only what was measured on regular photos of the named kind (the card's
            `metrics.close_ups`), and suggests a dermatoscope.

    Returns:
        The answer text, ending with the disclaimer.
    """
    level = prediction.risk_level.value
    close_up = kind == PhotoKind.CLOSE_UP
    parts = [text(language, f"risk.{level}")]
    if close_up:
        parts.append(text(language, "close_up_note"))
    parts.append(_kind_lines(prediction, language))
    parts.append(text(language, f"meaning.{level}"))
    if close_up:
        parts.append(close_up_line(card, prediction.lesion_class, language))
    elif (shares := level_shares(card) if card is not None else None) is not None:
        melanomas, moles = shares[level]
        parts.append(text(language, "level_share", melanomas=100 * melanomas, moles=100 * moles))
    parts.append(text(language, f"advice.{level}"))
    if close_up:
        parts.append(text(language, "dermatoscope_tip"))
    parts.append(text(language, "disclaimer"))
    return "\n\n".join(parts)


def _kind_lines(prediction: Prediction, language: str) -> str:
    """The kind named (with the second kind when close), then one line on what it is."""
    named = text(language, f"kind.{prediction.lesion_class}")
    second = prediction.second_class
    if second is None:
        line = text(language, "kind_line", kind=named)
    else:
        line = text(
            language, "kind_line_second", kind=named, second=text(language, f"kind.{second}")
        )
    return f"{line}\n{text(language, f'kind_about.{prediction.lesion_class}')}"


def level_shares(card: ModelCard) -> Shares | None:
    """Share of the card's test melanomas and moles that got each risk level.

    At the screening threshold many harmless moles are flagged; saying so next to a
    "moderate" answer keeps it from reading as "probably melanoma". The shares are the
    test split's risk levels of its melanomas and moles (`metrics.test.overall.risk_levels`,
    `training.evaluation.lesion_metrics`), so they follow the model that answers.

    Args:
        card: A model card.

    Returns:
        {"low" | "moderate" | "high": (share of melanomas, share of moles)}, or None when
        the card has no such counts (cards before 4.0.0 kept other figures).
    """
    test = card.metrics.get("test")
    overall = test.get("overall") if isinstance(test, Mapping) else None
    levels = overall.get("risk_levels") if isinstance(overall, Mapping) else None
    if not isinstance(levels, Mapping):
        return None
    rows = []
    for name in ("melanoma", "nevus"):
        counts = levels.get(name)
        values = [counts.get(level) for level in LEVELS] if isinstance(counts, Mapping) else []
        numbers = [value for value in values if isinstance(value, int) and value >= 0]
        if len(numbers) != len(LEVELS) or not sum(numbers):
            return None
        rows.append([number / sum(numbers) for number in numbers])
    melanomas, moles = rows
    return {level: (melanomas[i], moles[i]) for i, level in enumerate(LEVELS)}


def close_up_line(card: ModelCard | None, lesion_class: str, language: str) -> str:
    """What was measured on regular close-ups the model named this kind, or that nothing was.

    The figures are the card's `metrics.close_ups.by_answer[lesion_class]` (DermNet photos,
    `benchmarks/clinical_close_ups.py`): how many close-ups the model named that kind, the
    share that truly were, and the share that were melanomas or carcinomas. That is what a
    person told this kind from an ordinary photo needs to know.
    """
    kind = text(language, f"short.{lesion_class}")
    measured = close_up_figures(card, lesion_class) if card is not None else None
    if measured is None:
        return text(language, "close_up_unmeasured", kind=kind)
    n, right, malignant = measured
    return text(
        language, "close_up_measured", kind=kind, n=n, right=100 * right, malignant=100 * malignant
    )


def close_up_figures(card: ModelCard, lesion_class: str) -> tuple[int, float, float] | None:
    """(close-ups named so, share right, share malignant) for `lesion_class`, or None."""
    close_ups = card.metrics.get("close_ups")
    by_answer = close_ups.get("by_answer") if isinstance(close_ups, Mapping) else None
    figures = by_answer.get(lesion_class) if isinstance(by_answer, Mapping) else None
    if not isinstance(figures, Mapping):
        return None
    n, right, malignant = (figures.get(key) for key in ("n", "right", "malignant"))
    if not isinstance(n, int) or n < 1:
        return None
    if not isinstance(right, float | int) or not isinstance(malignant, float | int):
        return None
    if not (0 <= right <= 1 and 0 <= malignant <= 1):
        return None
    return n, float(right), float(malignant)


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
