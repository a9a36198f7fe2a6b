"""Fit the photo-type gate's head and measure it with whole topics held out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from model.photo_gate import KINDS, PhotoGate, PhotoKind, decision
from training.gate.data import GateSample


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
    by_photo: bool = False,
) -> np.ndarray:
    """Kind probabilities of every sample from a head that never saw its group.

    DermNet photos are grouped by topic, dermoscopy by lesion, so a topic is always
    scored by a head trained on the other topics. `by_photo` holds out single photos
    instead: what a topic seen in training is worth (flattered by near-duplicates).
    """
    groups = np.array([f"{i}" if by_photo else sample.group for i, sample in enumerate(samples)])
    kinds = [sample.kind for sample in samples]
    probabilities = np.zeros((len(samples), len(KINDS)))
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
    for train, test in splitter.split(features, groups=groups):
        mean, scale, weights, bias = fit_head(
            features[train], [kinds[i] for i in train], l2=l2, seed=seed
        )
        gate = PhotoGate(mean, scale, weights, bias, refuse_at={})
        probabilities[test] = gate.probabilities(features[test])
    return probabilities


def choose_thresholds(
    probabilities: np.ndarray, samples: Sequence[GateSample], *, max_spot_refused: float
) -> dict[str, float]:
    """The lowest refusal thresholds that keep the single spots the bot is for.

    The widespread threshold is the lowest that refuses at most `max_spot_refused` of
    the melanoma and nevus close-ups and at most a tenth of that of the dermatoscope
    images; the not-skin threshold, on what that leaves, refuses at most a tenth of
    either.
    """
    column = {kind: KINDS.index(kind) for kind in KINDS}
    spots = np.array(
        [s.kind == PhotoKind.CLOSE_UP and s.label in ("melanoma", "nevus") for s in samples]
    )
    dermoscopy = np.array([s.kind == PhotoKind.DERMOSCOPY for s in samples])
    limits = [(spots, max_spot_refused), (dermoscopy, 0.1 * max_spot_refused)]
    limits = [(rows, limit) for rows, limit in limits if rows.any()]
    grid = np.round(np.linspace(0.05, 0.99, 95), 3)

    def keeps(scores: np.ndarray, threshold: float, scale: float) -> bool:
        return all((scores[rows] >= threshold).mean() <= scale * limit for rows, limit in limits)

    widespread = probabilities[:, column[PhotoKind.WIDESPREAD]]
    chosen_w = next((t for t in grid if keeps(widespread, t, 1.0)), grid[-1])
    not_skin = np.where(widespread < chosen_w, probabilities[:, column[PhotoKind.NOT_SKIN]], 0.0)
    chosen_n = next((t for t in grid if keeps(not_skin, t, 0.1)), grid[-1])
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
