"""Fit the photo-type gate's head and measure it with whole topics held out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from model.photo_gate import (
    ANSWERED_KINDS,
    KINDS,
    REFUSED_KEY,
    REFUSED_KINDS,
    PhotoGate,
    PhotoKind,
    decision,
)
from training.gate.data import FRAMING_KINDS, GateSample

FRAMINGS = tuple(FRAMING_KINDS)


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

    DermNet photos are grouped by topic, dermoscopy by lesion, real non-skin photos by
    ImageNet class, so a topic is always scored by a head trained on the other topics.
    `by_photo` holds out single photos instead: what a topic seen in training is worth
    (flattered by near-duplicates). Photos marked `train=False` are only scored.
    """
    groups = np.array([f"{i}" if by_photo else sample.group for i, sample in enumerate(samples)])
    kinds = [sample.kind for sample in samples]
    probabilities = np.zeros((len(samples), len(KINDS)))
    splitter = GroupKFold(n_splits=min(folds, len(set(groups))))
    for fold, test in splitter.split(features, groups=groups):
        train = np.array([i for i in fold if samples[i].train])
        mean, scale, weights, bias = fit_head(
            features[train], [kinds[i] for i in train], l2=l2, seed=seed
        )
        gate = PhotoGate(mean, scale, weights, bias, refuse_at={})
        probabilities[test] = gate.probabilities(features[test])
    return probabilities


def spot_rows(samples: Sequence[GateSample]) -> np.ndarray:
    """The photos the bot is for: framed `one_lesion` (regular close-ups of one spot).

    Without framing labels (a tiny run), the close-ups of melanoma and nevus topics.
    """
    framed = np.array([s.framing == "one_lesion" for s in samples], bool)
    if framed.any():
        return framed
    return np.array(
        [s.kind == PhotoKind.CLOSE_UP and s.label in ("melanoma", "nevus") for s in samples], bool
    )


def refused_probability(probabilities: np.ndarray) -> np.ndarray:
    """(N, K) kind probabilities -> (N,) summed probability of the refused kinds."""
    return np.asarray(probabilities[:, [KINDS.index(k) for k in REFUSED_KINDS]].sum(axis=1))


def choose_thresholds(
    probabilities: np.ndarray, samples: Sequence[GateSample], *, max_spot_refused: float
) -> dict[str, float]:
    """The lowest refusal thresholds that keep the single spots the bot is for.

    First the lowest `refused` threshold on a grid that refuses at most
    `max_spot_refused` of the one-lesion close-ups (`spot_rows`) and at most a tenth of
    that of the dermatoscope images; then the lowest `not_skin` threshold of its own
    that, with it, still keeps both limits (a mushroom at 0.6 "not skin" is refused),
    never below 0.5 (lower, it would spend the limits on whatever the held-out photos
    happen to allow, with no margin for dermatoscope images from other clinics).
    """
    dermoscopy = np.array([s.kind == PhotoKind.DERMOSCOPY for s in samples], bool)
    limits = [(spot_rows(samples), max_spot_refused), (dermoscopy, 0.1 * max_spot_refused)]
    limits = [(rows, limit) for rows, limit in limits if rows.any()]
    grid = np.round(np.linspace(0.05, 0.99, 95), 3)

    def keeps(refused: np.ndarray) -> bool:
        return all(refused[rows].mean() <= limit for rows, limit in limits)

    scores = refused_probability(probabilities)
    chosen = next((t for t in grid if keeps(scores >= t)), grid[-1])
    not_skin = probabilities[:, KINDS.index(PhotoKind.NOT_SKIN)]
    alone = next((t for t in grid[grid >= 0.5] if keeps((scores >= chosen) | (not_skin >= t))), 1.0)
    return {REFUSED_KEY: float(chosen), PhotoKind.NOT_SKIN.value: float(alone)}


def trade_off(
    probabilities: np.ndarray,
    samples: Sequence[GateSample],
    thresholds: Sequence[float],
    refuse_at: dict[str, float],
) -> list[dict[str, float]]:
    """Per `refused` threshold (the others as in `refuse_at`): share refused of each
    framing and of each kind's unframed photos, and the share of the framed
    several-lesion photos told "several spots"."""
    rows = {
        **{f"framing {f}": np.array([s.framing == f for s in samples]) for f in FRAMINGS},
        **{k.value: np.array([s.kind == k and not s.framing for s in samples]) for k in KINDS},
    }
    curve = []
    for threshold in thresholds:
        at = {**refuse_at, REFUSED_KEY: float(threshold)}
        kinds = [decision(row, at).kind for row in probabilities]
        refused = np.array([kind not in ANSWERED_KINDS for kind in kinds])
        several = np.array([kind == PhotoKind.SEVERAL for kind in kinds])
        point: dict[str, float] = {"threshold": float(threshold)}
        for name, chosen in rows.items():
            if chosen.any():
                point[name] = float(refused[chosen].mean())
        framed = rows["framing several_lesions"]
        if framed.any():
            point["several answered as several"] = float(several[framed].mean())
        curve.append(point)
    return curve


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
        if sample.framing:
            groups[f"framing {sample.framing}"].append(kind)
    return {name: summarise(kinds) for name, kinds in sorted(groups.items())}


def summarise(decided: Sequence[PhotoKind]) -> dict[str, float]:
    """Photos, share refused and the share of each decided kind."""
    counts = Counter(decided)
    total = max(len(decided), 1)
    refused = sum(n for kind, n in counts.items() if kind not in ANSWERED_KINDS)
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
