"""Melanomas against each kind of mole, on constructed scores with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model.card import Thresholds
from training.classifier.confirmation import (
    metrics_by_nevus_confirmation,
    without_nevus_confirmations,
)
from training.datasets import MELANOMA, NEVUS, Record

THRESHOLDS = Thresholds(screening=0.5, balanced=0.7)


def test_each_kind_of_mole_is_ranked_against_its_own_sources_melanomas() -> None:
    # HAM10000: 2 melanomas at 0.9; followed-up moles all lower; excised moles half above.
    # ISIC 2017: no confirmation recorded, so no row of its own.
    rows = [
        (1, 0.9, "HAM10000", "histo"),
        (1, 0.9, "HAM10000", "histo"),
        (0, 0.1, "HAM10000", "follow_up"),
        (0, 0.2, "HAM10000", "follow_up"),
        (0, 0.95, "HAM10000", "histo"),
        (0, 0.05, "HAM10000", "histo"),
        (1, 0.3, "ISIC2017", ""),
        (0, 0.8, "ISIC2017", ""),
    ]
    labels, probabilities, sources, confirmations = map(list, zip(*rows, strict=True))

    report = metrics_by_nevus_confirmation(
        np.array(labels), np.array(probabilities), sources, confirmations, THRESHOLDS
    )

    assert set(report) == {"HAM10000/follow_up", "HAM10000/histo"}
    followed, excised = report["HAM10000/follow_up"], report["HAM10000/histo"]
    assert (followed["n_nevi"], followed["n_melanoma"]) == (2, 2)
    assert followed["roc_auc"] == pytest.approx(1.0)
    assert excised["roc_auc"] == pytest.approx(0.5)  # one mole above both melanomas, one below
    assert followed["screening_false_alarm_rate"] == 0.0
    assert excised["screening_false_alarm_rate"] == 0.5
    assert excised["roc_auc_ci_low"] <= excised["roc_auc"] <= excised["roc_auc_ci_high"]


def test_a_source_without_melanomas_reports_false_alarms_but_no_auc() -> None:
    report = metrics_by_nevus_confirmation(
        np.array([0, 0]), np.array([0.6, 0.1]), ["A", "A"], ["histo", "histo"], THRESHOLDS
    )
    assert report["A/histo"]["roc_auc"] is None
    assert report["A/histo"]["screening_false_alarm_rate"] == 0.5


def test_confirmations_must_match_the_labels() -> None:
    with pytest.raises(ValueError, match="one entry per label"):
        metrics_by_nevus_confirmation(
            np.array([1, 0]), np.array([0.6, 0.1]), ["A", "A"], ["histo"], THRESHOLDS
        )


def test_only_the_moles_of_the_named_confirmations_leave_training() -> None:
    kinds = [
        (MELANOMA, "histo"),
        (NEVUS, "follow_up"),
        (NEVUS, "histo"),
        (MELANOMA, ""),
        (NEVUS, "follow_up"),
        (NEVUS, ""),
        (NEVUS, "consensus"),
    ]
    records = [
        Record(Path(f"/x/{i}.jpg"), label, "S", f"img{i}", f"lesion{i}", confirmation=kind)
        for i, (label, kind) in enumerate(kinds)
    ]

    kept = without_nevus_confirmations(records, ["follow_up"])

    assert [r.image_id for r in kept] == ["img0", "img2", "img3", "img5", "img6"]
    assert without_nevus_confirmations(records, []) == records
    # A melanoma confirmed by histopathology stays even when excised moles leave.
    without_excised = without_nevus_confirmations(records, ["histo"])
    assert [r.image_id for r in without_excised] == ["img0", "img1", "img3", "img4", "img5", "img6"]
