"""What an assessment reports for each kind of photo that gets no risk level."""

from __future__ import annotations

import pytest

from model.assessment import Assessment
from model.photo_gate import PhotoKind
from preprocessing import InvalidImageReason, QualityIssue, QualityReport


@pytest.mark.parametrize(
    ("kind", "issue", "outcome"),
    [
        (PhotoKind.SEVERAL, QualityIssue.SEVERAL_LESIONS, "several_lesions"),
        (PhotoKind.WIDESPREAD, QualityIssue.WIDESPREAD, "widespread"),
        (PhotoKind.UNUSABLE, QualityIssue.NOT_USABLE, "not_usable"),
        (PhotoKind.NOT_SKIN, QualityIssue.NOT_A_LESION, "not_skin"),
        (None, QualityIssue.TOO_DARK, "poor_quality"),
        (None, QualityIssue.BLURRY, "poor_quality"),
    ],
)
def test_a_photo_without_a_risk_level_names_its_kind_and_reason(
    kind: PhotoKind | None, issue: QualityIssue, outcome: str
) -> None:
    found = Assessment(quality=QualityReport(issues=(issue,), measures={}), kind=kind)
    assert found.outcome == outcome
    answer = found.to_dict()
    assert answer["risk_level"] is None and answer["melanoma_probability"] is None
    assert answer["no_risk_reason"] == issue.value
    assert answer["photo_kind"] == (kind.value if kind else None)


def test_an_unreadable_upload_is_invalid() -> None:
    found = Assessment(invalid=InvalidImageReason.NOT_AN_IMAGE)
    assert found.outcome == "invalid" and found.no_risk_reason == "not_an_image"
