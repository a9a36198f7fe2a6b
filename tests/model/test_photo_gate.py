"""The photo-type gate: thresholds, files, and how it combines with the quality gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.photo_gate import (
    GATE_INPUT_SIZE,
    KINDS,
    TRUST_ANSWERED_AT,
    GateDecision,
    PhotoGate,
    PhotoGateError,
    PhotoKind,
    decision,
    gate_card_path,
    gate_input,
    load_served_gate,
    photo_verdict,
)
from preprocessing import QualityIssue, QualityReport

REFUSE_AT = {"refused": 0.6}


def probabilities(**named: float) -> np.ndarray:
    return np.array([named.get(kind.value, 0.0) for kind in KINDS])


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        ({"dermoscopy": 0.5, "close_up": 0.1, "widespread": 0.4}, PhotoKind.DERMOSCOPY),
        ({"dermoscopy": 0.1, "close_up": 0.31, "widespread": 0.59}, PhotoKind.CLOSE_UP),
        ({"dermoscopy": 0.1, "close_up": 0.3, "widespread": 0.6}, PhotoKind.WIDESPREAD),
        ({"close_up": 0.45, "several_lesions": 0.3, "widespread": 0.25}, PhotoKind.CLOSE_UP),
        ({"close_up": 0.4, "several_lesions": 0.35, "widespread": 0.25}, PhotoKind.SEVERAL),
        ({"close_up": 0.2, "not_usable": 0.8}, PhotoKind.UNUSABLE),
        ({"close_up": 0.35, "not_skin": 0.65}, PhotoKind.NOT_SKIN),
    ],
)
def test_a_photo_is_refused_when_the_refused_kinds_together_reach_the_threshold(
    named: dict[str, float], expected: PhotoKind
) -> None:
    found = decision(probabilities(**named), REFUSE_AT)
    assert found.kind == expected
    assert found.answered == (expected in (PhotoKind.DERMOSCOPY, PhotoKind.CLOSE_UP))


def test_the_head_gives_a_distribution_and_checks_the_feature_count() -> None:
    rng = np.random.default_rng(0)
    head = PhotoGate(
        mean=rng.normal(size=8),
        scale=rng.uniform(0.5, 2.0, 8),
        weights=rng.normal(size=(8, len(KINDS))),
        bias=rng.normal(size=len(KINDS)),
        refuse_at=REFUSE_AT,
    )
    found = head.probabilities(rng.normal(size=(5, 8)))
    assert found.shape == (5, len(KINDS)) and found.sum(axis=1) == pytest.approx(np.ones(5))
    assert len(head.decide(rng.normal(size=(3, 8)))) == 3
    with pytest.raises(ValueError, match="Expected 8 features"):
        head.probabilities(np.zeros((1, 7)))


def test_a_gate_file_that_does_not_match_its_card_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photo_gate.tflite"
    path.write_bytes(b"not the file the card describes")
    card = {"gate_sha256": "0" * 64, "refuse_at": REFUSE_AT}
    gate_card_path(path).write_text(json.dumps(card))
    with pytest.raises(PhotoGateError, match="does not match its card"):
        load_served_gate(path)
    with pytest.raises(PhotoGateError, match="Cannot read"):
        load_served_gate(tmp_path / "absent.tflite")


def test_the_gate_sees_the_whole_photo_squashed() -> None:
    photo = np.zeros((300, 600, 3), np.uint8)
    photo[:, :300] = 255  # left half white: squashing keeps it, a centre crop would not
    squashed = gate_input(photo)
    assert squashed.shape == (GATE_INPUT_SIZE, GATE_INPUT_SIZE, 3)
    assert squashed[:, : GATE_INPUT_SIZE // 2 - 2].min() == 255
    assert squashed[:, GATE_INPUT_SIZE // 2 + 2 :].max() == 0


def report(*issues: QualityIssue) -> QualityReport:
    return QualityReport(issues=issues, measures={})


def gate_says(kind: PhotoKind, dermoscopy: float = 0.0) -> GateDecision:
    named = {k.value: 0.0 for k in KINDS}
    named[PhotoKind.DERMOSCOPY.value] = dermoscopy
    return GateDecision(kind=kind, probabilities=named)


def test_the_verdict_keeps_retake_reasons_and_lets_the_gate_decide_the_rest() -> None:
    blurry = photo_verdict(report(QualityIssue.BLURRY), gate_says(PhotoKind.DERMOSCOPY, 1.0))
    assert blurry.issues == (QualityIssue.BLURRY,) and blurry.kind is None
    rash = photo_verdict(report(), gate_says(PhotoKind.WIDESPREAD))
    assert rash.issues == (QualityIssue.WIDESPREAD,) and not rash.answered
    not_skin = photo_verdict(report(), gate_says(PhotoKind.NOT_SKIN))
    assert not_skin.issues == (QualityIssue.NOT_A_LESION,)
    several = photo_verdict(report(), gate_says(PhotoKind.SEVERAL))
    assert several.issues == (QualityIssue.SEVERAL_LESIONS,) and not several.answered
    nail = photo_verdict(report(), gate_says(PhotoKind.UNUSABLE))
    assert nail.issues == (QualityIssue.NOT_USABLE,) and nail.kind == PhotoKind.UNUSABLE
    close_up = photo_verdict(report(), gate_says(PhotoKind.CLOSE_UP))
    assert close_up.answered and close_up.kind == PhotoKind.CLOSE_UP
    assert photo_verdict(report(), None).kind is None


def test_colour_rules_are_overruled_only_by_a_sure_single_spot_verdict() -> None:
    refused = report(QualityIssue.NOT_A_LESION)
    sure = photo_verdict(refused, gate_says(PhotoKind.DERMOSCOPY, TRUST_ANSWERED_AT))
    assert sure.answered and sure.kind == PhotoKind.DERMOSCOPY
    unsure = photo_verdict(refused, gate_says(PhotoKind.DERMOSCOPY, TRUST_ANSWERED_AT - 0.01))
    assert unsure.issues == (QualityIssue.NOT_A_LESION,)
    close_up = GateDecision(
        kind=PhotoKind.CLOSE_UP,
        probabilities={"dermoscopy": 0.3, "close_up": 0.65, "widespread": 0.05, "not_skin": 0.0},
    )
    assert photo_verdict(refused, close_up).kind == PhotoKind.CLOSE_UP
    rash = GateDecision(
        kind=PhotoKind.WIDESPREAD,
        probabilities={"dermoscopy": 0.0, "close_up": 0.1, "widespread": 0.9, "not_skin": 0.0},
    )
    assert not photo_verdict(refused, rash).answered
