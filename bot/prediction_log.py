"""Optional JSON-lines log of answers: one line per photo, never any image data."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any


class PredictionLog:
    """Append one JSON object per analysed photo to a file.

    Fields written by the bot: time, user (pseudonym), outcome (the kind of answer:
    prediction, poor_quality, several_lesions, widespread, not_usable, not_skin or
    invalid), photo_kind, model_version, probability (of melanoma), risk_level,
    lesion_class (the kind named), quality (issue codes), latency_ms.

    Args:
        path: The JSON-lines file (created with its folder when missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, **fields: Any) -> None:
        """Append one record; `time` (UTC, ISO 8601) is added first."""
        record = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), **fields}
        line = json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
