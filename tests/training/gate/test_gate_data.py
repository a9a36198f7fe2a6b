"""The gate's photos: per-photo framing labels first, topics for the rest."""

from __future__ import annotations

from pathlib import Path

from model.photo_gate import PhotoKind
from training.gate.data import NOT_SKIN_TABLE, clinical_samples, read_framing, real_not_skin_samples


def test_a_framing_label_overrides_the_topic_and_topics_fill_in_the_rest(
    tmp_path: Path,
) -> None:
    (tmp_path / "labels.csv").write_text(
        "image,group,source,topic,width,height\n"
        "a/1.jpg,nevus,DermNetNZ,Naevus,256,192\n"
        "a/2.jpg,nevus,DermNetNZ,Naevus,256,192\n"
        "b/3.jpg,other_condition,DermNetNZ,Acne,256,192\n"
        "b/4.jpg,other_condition,DermNetNZ,Acne,256,192\n"
        "c/5.jpg,other_condition,DermNetNZ,Tongue,256,192\n"
        "d/6.jpg,other_condition,DermNetNZ,Mixed,256,192\n"
    )
    (tmp_path / "framing.csv").write_text(
        "image,framing,second_reviewer\na/2.jpg,several_lesions,\nb/4.jpg,one_lesion,\n"
    )
    table = {
        ("DermNetNZ", "Naevus"): "single_spot",
        ("DermNetNZ", "Acne"): "widespread",
        ("DermNetNZ", "Tongue"): "unusable",
        ("DermNetNZ", "Mixed"): "excluded",
    }
    samples = clinical_samples(tmp_path, table, read_framing(tmp_path))
    assert [(s.path.name if s.path else "", s.kind, s.framing) for s in samples] == [
        ("1.jpg", PhotoKind.CLOSE_UP, ""),
        ("2.jpg", PhotoKind.SEVERAL, "several_lesions"),
        ("3.jpg", PhotoKind.WIDESPREAD, ""),
        ("4.jpg", PhotoKind.CLOSE_UP, "one_lesion"),
        ("5.jpg", PhotoKind.UNUSABLE, ""),
    ]
    assert len({s.group for s in samples}) == 3  # still held out by topic
    assert read_framing(tmp_path / "absent") == {}


def test_real_photos_showing_bare_skin_are_measured_but_never_trained_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "labels.csv").write_text(
        "image,synset,name,width,height\n"
        "images/n01440764_tench.jpg,n01440764,tench,256,192\n"
        "images/n03710721_maillot.jpg,n03710721,maillot,256,192\n"
    )
    samples = real_not_skin_samples(tmp_path, NOT_SKIN_TABLE)
    assert [(s.kind, s.train, s.group) for s in samples] == [
        (PhotoKind.NOT_SKIN, True, "class:n01440764"),
        (PhotoKind.NOT_SKIN, False, "class:n03710721"),
    ]
