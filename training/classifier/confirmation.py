"""Metrics per kind of mole: each source's melanomas against each way its moles were confirmed.

HAM10000 records how every nevus was confirmed (`Record.confirmation`): by follow-up
(moles that looked harmless enough to watch), by histopathology (moles a doctor found
suspicious enough to excise) or by expert consensus. Excised moles are the hard
negatives and the ones a second opinion is about; a model can score well overall while
it mostly separates melanomas from the easy, followed-up moles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from model.card import Thresholds
from training.classifier.calibration import check_probabilities
from training.datasets import NEVUS, Record
from training.evaluation.metrics import bootstrap_auc


def metrics_by_nevus_confirmation(
    labels: object,
    probabilities: object,
    sources: Sequence[str],
    confirmations: Sequence[str],
    thresholds: Thresholds,
    *,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Return ROC AUC of each source's melanomas against each kind of its moles.

    Args:
        labels: 0/1 labels (1: melanoma).
        probabilities: Calibrated melanoma probabilities.
        sources: Source of each image.
        confirmations: `Record.confirmation` of each image ("" when not recorded).
        thresholds: The card's thresholds; the false-alarm rate is at the screening one.
        n_bootstrap: Resamples of the ROC AUC interval.
        seed: Seed of the resampling.

    Returns:
        {"<source>/<confirmation>": {"n_nevi", "n_melanoma", "roc_auc", "roc_auc_ci_low",
        "roc_auc_ci_high", "screening_false_alarm_rate"}}, for each source with melanomas
        and each recorded confirmation of its moles; empty when none is recorded.

    Raises:
        ValueError: When `sources` or `confirmations` do not have one entry per label.
    """
    label_array, probability_array = check_probabilities(labels, probabilities)
    source_array = np.asarray([str(s) for s in sources])
    confirmation_array = np.asarray([str(c) for c in confirmations])
    if not source_array.size == confirmation_array.size == label_array.size:
        raise ValueError(
            "`sources` and `confirmations` need one entry per label. Received: "
            f"{source_array.size} sources, {confirmation_array.size} confirmations, "
            f"{label_array.size} labels"
        )
    melanoma = label_array == 1
    alarms = probability_array >= thresholds.screening
    report: dict[str, dict[str, Any]] = {}
    for source in sorted(set(source_array.tolist())):
        positives = melanoma & (source_array == source)
        moles = ~melanoma & (source_array == source)
        for kind in sorted(set(confirmation_array[moles].tolist()) - {""}):
            nevi = moles & (confirmation_array == kind)
            entry: dict[str, Any] = {"n_nevi": int(nevi.sum()), "n_melanoma": int(positives.sum())}
            auc = low = high = None
            if positives.any():
                chosen = positives | nevi
                auc, low, high = bootstrap_auc(
                    label_array[chosen], probability_array[chosen], n_bootstrap, seed
                )
            entry.update(roc_auc=auc, roc_auc_ci_low=low, roc_auc_ci_high=high)
            entry["screening_false_alarm_rate"] = float(alarms[nevi].mean())
            report[f"{source}/{kind}"] = entry
    return report


def without_nevus_confirmations(
    records: Sequence[Record], confirmations: Sequence[str]
) -> list[Record]:
    """Return the records minus the moles confirmed in one of the given ways.

    HAM10000's followed-up moles (`"follow_up"`) come from one centre's digital
    follow-up, whose photos can be told from the excised moles' by the corners of the
    frame alone (docs/experiments.md, acquisition_shortcut); training without them removes
    that shortcut. Melanomas and moles without a recorded confirmation are kept.

    Args:
        records: Records, in any order (kept).
        confirmations: `Record.confirmation` values to leave out ("follow_up", "histo",
            "consensus"); empty keeps everything.

    Returns:
        The records kept, in their original order.
    """
    excluded = set(confirmations)
    return [r for r in records if not (r.label == NEVUS and r.confirmation in excluded)]
