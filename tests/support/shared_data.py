"""Where the shared data sits beside the repository, and whether it is there.

Tests that need it skip cleanly without it (a fresh clone has no `../shared`).
`MELNEV_SHARED_DATA` and `MELNEV_SHARED_BCN20000` point elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(
    os.environ.get("MELNEV_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "dermoscopy")
)


SHARED_BCN20000 = Path(os.environ.get("MELNEV_SHARED_BCN20000", SHARED_DATA.parent / "bcn20000"))
SHARED_LESIONS = SHARED_DATA.parent / "lesions"
SHIPPED_DATA = (SHARED_DATA, SHARED_BCN20000, SHARED_LESIONS)
"""The folders the shipped model (4.0.0) was trained on, in the order of its command."""


def shared_data_available() -> bool:
    """True when the shared dermoscopy set sits beside the repository."""
    return (SHARED_DATA / "labels.csv").is_file()


def shipped_data_available() -> bool:
    """True when every folder the shipped model was trained on sits beside the repository."""
    return all((folder / "labels.csv").is_file() for folder in SHIPPED_DATA)


needs_shared_data = pytest.mark.skipif(
    not shared_data_available(), reason=f"shared dermoscopy data not found at {SHARED_DATA}"
)
