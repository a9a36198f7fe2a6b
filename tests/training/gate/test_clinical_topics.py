"""The reviewed table that maps each clinical-photo topic to a photo-type kind."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
TABLE = REPO / "training" / "gate" / "clinical_topics.csv"
LABELS = REPO.parent / "shared" / "data" / "clinical" / "labels.csv"
COLUMNS = ["source", "topic", "kind", "note"]
KINDS = {"single_spot", "widespread", "unusable", "excluded"}


def read_table() -> list[dict[str, str]]:
    """Read the topic table.

    Returns:
        One dict per row, keyed by column name.
    """
    with TABLE.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def kind_of(rows: list[dict[str, str]], source: str, topic: str) -> str:
    """Look up the kind of one (source, topic) pair.

    Args:
        rows: The table rows.
        source: The source name, e.g. "DermNetNZ".
        topic: The topic name as in labels.csv.

    Returns:
        The kind given in the table.
    """
    matches = [row["kind"] for row in rows if (row["source"], row["topic"]) == (source, topic)]
    assert len(matches) == 1, (source, topic)
    return matches[0]


def test_table_is_well_formed() -> None:
    rows = read_table()
    assert rows
    keys = [(row["source"], row["topic"]) for row in rows]
    assert len(keys) == len(set(keys)), "duplicate (source, topic)"
    assert keys == sorted(keys), "rows are sorted by source, then topic"
    for row in rows:
        assert row["kind"] in KINDS, row
        assert row["source"].strip() and row["topic"].strip(), row
        assert row["note"].strip(), row


def test_table_covers_exactly_the_labelled_topics() -> None:
    if not LABELS.exists():
        pytest.skip(f"{LABELS} is not here")
    with LABELS.open(newline="", encoding="utf-8") as handle:
        labelled = {(row["source"], row["topic"]) for row in csv.DictReader(handle)}
    table = {(row["source"], row["topic"]) for row in read_table()}
    assert sorted(labelled - table) == [], "topics in labels.csv but not in the table"
    assert sorted(table - labelled) == [], "topics in the table but not in labels.csv"


@pytest.mark.parametrize(
    ("topic", "kind"),
    [
        ("Acne vulgaris", "widespread"),
        ("Atopic dermatitis", "widespread"),
        ("Psoriasis", "widespread"),
        ("Rosacea", "widespread"),
        ("Melanoma in situ", "single_spot"),
        ("Melanocytic naevus", "single_spot"),
        ("Basal cell carcinoma", "single_spot"),
        ("Ocular melanoma", "excluded"),
    ],
)
def test_hand_checked_anchors(topic: str, kind: str) -> None:
    assert kind_of(read_table(), "DermNetNZ", topic) == kind
