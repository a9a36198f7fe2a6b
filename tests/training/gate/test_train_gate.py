"""A tiny real training run of the photo-type gate on a few shared photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from model.card import file_sha256
from model.photo_gate import KINDS, PhotoGate, PhotoKind
from tests.support.shared_data import shared_data_available

pytestmark = pytest.mark.skipif(not shared_data_available(), reason="../shared/data not present")
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.mark.slow
def test_a_tiny_gate_run_writes_a_gate_that_tells_made_pictures_from_dermoscopy(
    tmp_path: Path,
) -> None:
    if not (SHARED / "clinical" / "labels.csv").is_file():
        pytest.skip("../shared/data/clinical not present")
    from training.gate.train import main

    arguments = [
        "--out", str(tmp_path),
        "--clinical-limit", "60", "--dermoscopy-train", "30", "--dermoscopy-eval", "8",
        "--bcn-photos", "10", "--not-skin-photos", "30", "--watermark-checks", "8",
        "--real-not-skin-photos", "20", "--folds", "2",
    ]  # fmt: skip
    assert main(arguments) == 0

    card = json.loads((tmp_path / "photo_gate.card.json").read_text())
    assert card["gate_sha256"] == file_sha256(tmp_path / "photo_gate.tflite")
    assert card["kinds"] == [kind.value for kind in KINDS] and card["gate_version"] == "2.0.0"
    photos = card["training"]["photos"]
    assert all(photos[k] > 0 for k in ("dermoscopy", "close_up", "widespread", "not_skin"))
    assert 0.0 < card["refuse_at"]["refused"] < 1.0
    assert card["metrics"]["trade_off"][0]["threshold"] == 0.5
    for held_out in ("held_out_topics", "held_out_photos"):
        assert {"widespread", "close_up", "dermoscopy", "not_skin"} <= set(
            card["metrics"][held_out]
        )
    assert 0.0 <= card["metrics"]["held_out_topics"]["widespread"]["refused"] <= 1.0
    assert card["metrics"]["dermoscopy_dev"]["dermoscopy"]["n"] == 16
    topics = json.loads((tmp_path / "gate_topics.json").read_text())
    assert topics and all(row["topic"] for row in topics)

    # The served file (LiteRT, no TensorFlow) answers like the head it was made from.
    from model.photo_gate import gate_input, load_served_gate
    from training.gate.backbone import gate_backbone
    from training.gate.features import FeatureExtractor, extract
    from training.gate.fit import fit_head
    from training.gate.train import GateConfig, gather_photos

    served = load_served_gate(tmp_path / "photo_gate.tflite")
    config = GateConfig(
        out=tmp_path, clinical_limit=60, dermoscopy_train=30,
        dermoscopy_eval=8, bcn_photos=10, not_skin_photos=30, real_not_skin_photos=20,
    )  # fmt: skip
    pool, marked, _ = gather_photos(config)
    features = extract(
        FeatureExtractor(gate_backbone()), pool, marked, tmp_path / "features.npz", 0
    )
    kept = [i for i, s in enumerate(pool) if s.train]
    head = PhotoGate(
        *fit_head(features[kept], [pool[i].kind for i in kept], l2=config.l2, seed=0), {}
    )
    unmarked = [i for i, flag in enumerate(marked) if not flag][:12]
    inputs = np.stack([gate_input(pool[i].load()) for i in unmarked])
    served_probabilities = served.probabilities(inputs)  # float16 weights: close, not equal
    trained = head.probabilities(features[unmarked])
    np.testing.assert_allclose(served_probabilities, trained, atol=0.03)
    assert (served_probabilities.argmax(axis=1) == trained.argmax(axis=1)).mean() >= 0.9
    decided = served.decide([sample.load() for sample in pool])
    not_skin = np.array([d.probabilities[PhotoKind.NOT_SKIN.value] for d in decided])
    made = np.array([sample.kind == PhotoKind.NOT_SKIN for sample in pool])
    dermoscopy = np.array([sample.kind == PhotoKind.DERMOSCOPY for sample in pool])
    assert not_skin[made].mean() > not_skin[dermoscopy].mean() + 0.3
