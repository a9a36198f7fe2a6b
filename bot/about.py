"""The /about answer: the model card in plain words (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.texts import text
from bot.texts.limitations import translate_limitation
from model.card import ModelCard
from model.lesions import LESION_CLASSES


def about_answer(card: ModelCard, language: str) -> str:
    """Version, training data per source, test figures per kind and source, limitations.

    The figures are the card's `metrics.test` as `training.evaluation.lesion_metrics`
    writes it: per kind the share of its test photos the model named first (recall) with
    its 95 % interval; balanced accuracy; malignant-vs-benign and melanoma-vs-mole ROC AUC;
    balanced accuracy per source. A card of another shape shows "not recorded".

    Args:
        card: The answering model's card.
        language: Language code of the texts.

    Returns:
        The answer text, ending with the disclaimer.
    """
    none = text(language, "about_none")
    limitations = [translate_limitation(line, language) for line in card.limitations]
    sections = [
        text(language, "about_header", version=card.model_version),
        _section(text(language, "about_training"), data_lines(card, language) or [none]),
        _section(text(language, "about_metrics"), metric_lines(card, language) or [none]),
        _section(text(language, "about_limitations"), limitations or [none]),
        text(language, "about_footer"),
        text(language, "disclaimer"),
    ]
    return "\n\n".join(sections)


def _section(title: str, lines: Iterable[str]) -> str:
    return title + "\n" + "\n".join(f"• {line}" for line in lines)


def _short(language: str, name: str) -> str:
    return text(language, f"short.{name}")


def data_lines(card: ModelCard, language: str) -> list[str]:
    """One line per training source with its images per kind (`training.data.counts`)."""
    data = card.training.get("data")
    counts = data.get("counts") if isinstance(data, Mapping) else None
    if not isinstance(counts, Mapping):
        return []
    lines = []
    for source, per_kind in counts.items():
        if not isinstance(per_kind, Mapping):
            continue
        known = [
            (name, count)
            for name in LESION_CLASSES
            if isinstance(count := per_kind.get(name), int) and count > 0
        ]
        if known:
            listed = ", ".join(f"{_short(language, name)} {count}" for name, count in known)
            total = sum(count for _, count in known)
            lines.append(text(language, "about_data_line", source=source, n=total, counts=listed))
    return lines


def metric_lines(card: ModelCard, language: str) -> list[str]:
    """Per kind, then overall, then per source, from `metrics.test` (8-class shape)."""
    test = card.metrics.get("test")
    overall = test.get("overall") if isinstance(test, Mapping) else None
    recall = overall.get("recall") if isinstance(overall, Mapping) else None
    if not isinstance(overall, Mapping) or not isinstance(recall, Mapping):
        return []
    lines = []
    for name in card.classes:
        share = _share(recall.get(name))
        if share is not None:
            value, low, high, n = share
            kind = _short(language, name)
            lines.append(
                text(
                    language,
                    "about_class_line",
                    kind=kind[:1].upper() + kind[1:],
                    share=100 * value,
                    low=100 * low,
                    high=100 * high,
                    n=n,
                )
            )
    balanced = _balanced(overall)
    if balanced is not None:
        lines.append(text(language, "about_balanced", **balanced))
    for key, pair in (("about_malignant_auc", "malignant_vs_benign"),
                      ("about_melanoma_auc", "melanoma_vs_nevus")):  # fmt: skip
        auc = _auc(overall.get(pair))
        if auc is not None:
            lines.append(text(language, key, **auc))
    by_source = test.get("by_source") if isinstance(test, Mapping) else None
    for source, values in by_source.items() if isinstance(by_source, Mapping) else ():
        figures = _balanced(values) if isinstance(values, Mapping) else None
        if figures is not None:
            lines.append(text(language, "about_source_line", source=source, **figures))
    return lines


def _interval(values: object) -> tuple[float, float] | None:
    """A [low, high] pair of numbers, else None."""
    if not isinstance(values, list | tuple) or len(values) != 2:
        return None
    low, high = values
    if not isinstance(low, float | int) or not isinstance(high, float | int):
        return None
    return float(low), float(high)


def _share(values: object) -> tuple[float, float, float, int] | None:
    """(share, low, high, n) of a `{"share", "ci95", "n"}` block, else None."""
    if not isinstance(values, Mapping):
        return None
    share, n, interval = values.get("share"), values.get("n"), _interval(values.get("ci95"))
    if not isinstance(share, float | int) or not isinstance(n, int) or interval is None:
        return None
    return float(share), *interval, n


def _balanced(values: Mapping[str, Any]) -> dict[str, float] | None:
    """Balanced accuracy in percent with its interval and n, else None."""
    value, n = values.get("balanced_accuracy"), values.get("n")
    interval = _interval(values.get("balanced_accuracy_ci95"))
    if not isinstance(value, float | int) or not isinstance(n, int) or interval is None:
        return None
    return {"value": 100 * value, "low": 100 * interval[0], "high": 100 * interval[1], "n": n}


def _auc(values: object) -> dict[str, float] | None:
    """ROC AUC with its interval from an `{"auc", "ci95"}` block, else None."""
    if not isinstance(values, Mapping):
        return None
    auc, interval = values.get("auc"), _interval(values.get("ci95"))
    if not isinstance(auc, float | int) or interval is None:
        return None
    return {"auc": float(auc), "low": interval[0], "high": interval[1]}
