"""Fit the photo-type gate's head and measure it with whole topics held out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from model.photo_gate import KINDS, PhotoGate, PhotoKind, decision
from training.gate_data import GateSample


def fit_head(
    features: np.ndarray, kinds: Sequence[PhotoKind], *, l2: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Standardise and fit a class-balanced softmax head; return mean, scale, W, b."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0) + 1e-6
    labels = np.array([KINDS.index(kind) for kind in kinds])
    head = LogisticRegression(C=l2, max_iter=3000, class_weight="balanced", random_state=seed)
    head.fit((features - mean) / scale, labels)
    weights = np.zeros((features.shape[1], len(KINDS)))
    bias = np.full(len(KINDS), -30.0)  # a kind absent from training is never chosen
    if len(head.classes_) == 2:  # sklearn keeps one row: the second class against the first
        first, second = head.classes_
        weights[:, first], bias[first] = 0.0, 0.0
        weights[:, second], bias[second] = head.coef_[0], head.intercept_[0]
    else:
        for row, label in enumerate(head.classes_):
            weights[:, label], bias[label] = head.coef_[row], head.intercept_[row]
    return mean, scale, weights, bias


def held_out_probabilities(
    features: np.ndarray,
    samples: Sequence[GateSample],
    *,
    folds: int,
    l2: float,
    seed: int,
) -> np.ndarray:
    """Kind probabilities of every sample from a head that never saw its group.

    DermNet photos are grouped by topic, dermoscopy by lesion, so a topic is always
    scored by a head trained on the other topics.
    """
    groups = np.array([sample.group for sample in samples])
    kinds = [sample.kind for sample in samples]
    probabilities = np.zeros((len(samples), len(KINDS)))
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
    for train, test in splitter.split(features, groups=groups):
        mean, scale, weights, bias = fit_head(
            features[train], [kinds[i] for i in train], l2=l2, seed=seed
        )
        gate = PhotoGate(mean, scale, weights, bias, refuse_at={}, card={})
        probabilities[test] = gate.probabilities(features[test])
    return probabilities


def choose_thresholds(
    probabilities: np.ndarray, samples: Sequence[GateSample], *, max_spot_refused: float
) -> dict[str, float]:
    """The lowest refusal thresholds that refuse at most `max_spot_refused` of single spots.

    Single spots are the answered kinds (dermatoscope images and close-ups); the
    widespread threshold is chosen first, then the not-skin one on what it leaves.
    """
    answered = np.array([s.kind in (PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP) for s in samples])
    widespread = probabilities[answered, KINDS.index(PhotoKind.WIDESPREAD)]
    not_skin = probabilities[answered, KINDS.index(PhotoKind.NOT_SKIN)]
    grid = np.linspace(0.05, 0.95, 91)
    chosen_w = next(
        (t for t in grid if (widespread >= t).mean() <= 0.9 * max_spot_refused), grid[-1]
    )
    left = widespread < chosen_w
    chosen_n = next(
        (t for t in grid if (not_skin[left] >= t).mean() <= 0.1 * max_spot_refused), grid[-1]
    )
    return {PhotoKind.WIDESPREAD.value: float(chosen_w), PhotoKind.NOT_SKIN.value: float(chosen_n)}


def refusal_table(
    probabilities: np.ndarray, samples: Sequence[GateSample], refuse_at: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per kind, per source and per label: photos, share refused, share of each decision."""
    decided = [decision(row, refuse_at).kind for row in probabilities]
    groups: dict[str, list[PhotoKind]] = defaultdict(list)
    for sample, kind in zip(samples, decided, strict=True):
        groups[sample.kind.value].append(kind)
        groups[f"{sample.kind.value} / {sample.source}"].append(kind)
        if sample.label in ("melanoma", "nevus"):
            groups[f"{sample.kind.value} / {sample.label}"].append(kind)
    return {name: summarise(kinds) for name, kinds in sorted(groups.items())}


def summarise(decided: Sequence[PhotoKind]) -> dict[str, float]:
    """Photos, share refused and the share of each decided kind."""
    counts = Counter(decided)
    total = max(len(decided), 1)
    refused = sum(counts[k] for k in (PhotoKind.WIDESPREAD, PhotoKind.NOT_SKIN))
    return {
        "n": len(decided),
        "refused": refused / total,
        **{kind.value: counts[kind] / total for kind in KINDS},
    }


def topic_table(
    probabilities: np.ndarray, samples: Sequence[GateSample], refuse_at: dict[str, float]
) -> list[dict[str, object]]:
    """Per DermNet topic (held out): photos, kind in the table, share refused."""
    by_topic: dict[tuple[str, str, str], list[PhotoKind]] = defaultdict(list)
    for row, sample in zip(probabilities, samples, strict=True):
        if sample.topic:
            key = (sample.source, sample.topic, sample.kind.value)
            by_topic[key].append(decision(row, refuse_at).kind)
    return [
        {"source": source, "topic": topic, "kind": kind, **summarise(decided)}
        for (source, topic, kind), decided in sorted(by_topic.items(), key=lambda x: -len(x[1]))
    ]
