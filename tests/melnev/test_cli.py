"""`melnev predict`: text and JSON output, unreadable files reported without a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from melnev.cli import DISCLAIMER, main
from model.lesions import LESION_CLASSES, PLAIN_NAMES
from tests.support.shared_data import REPO_ROOT

EXAMPLE = REPO_ROOT / "notebooks" / "example_lesion.jpg"  # drawn by code
MOLE = REPO_ROOT / "examples" / "mole_ISIC_0033971.jpg"  # a real dermoscopic photo
RISK_LEVELS = {"low", "moderate", "high"}


def predict(
    capsys: pytest.CaptureFixture[str], model: Path, *arguments: str
) -> tuple[int, str, str]:
    """Run `melnev predict ... --model model`; return (exit code, stdout, stderr)."""
    exit_code = main(["predict", *arguments, "--model", str(model)])
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err


def test_text_output_names_the_kind_and_gives_probability_risk_and_disclaimer(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path
) -> None:
    exit_code, out, _ = predict(capsys, tiny_model_path, str(EXAMPLE), "--no-gate")
    _, json_out, _ = predict(capsys, tiny_model_path, str(EXAMPLE), "--no-gate", "--json")

    assert exit_code == 0
    line = re.search(
        r"example_lesion\.jpg: most likely (.+) ([0-9.]+)(?: or .+)?; melanoma probability "
        r"([0-9.]+), risk (low|moderate|high) \(model 0\.0\.0-test\)",
        out,
    )
    assert line is not None, out
    (result,) = json.loads(json_out)
    assert line.group(1).startswith(PLAIN_NAMES[result["lesion_class"]])
    assert float(line.group(2)) == pytest.approx(
        result["class_probabilities"][result["lesion_class"]], abs=0.005
    )
    assert 0.0 <= float(line.group(3)) <= 1.0
    assert DISCLAIMER in out


def test_json_output_is_one_entry_per_image(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path
) -> None:
    exit_code, out, _ = predict(
        capsys, tiny_model_path, str(EXAMPLE), str(EXAMPLE), "--json", "--no-gate"
    )

    assert exit_code == 0
    results = json.loads(out)  # nothing but JSON on stdout
    assert len(results) == 2
    for result in results:
        assert result["image"] == str(EXAMPLE)
        assert 0.0 <= result["melanoma_probability"] <= 1.0
        assert result["risk_level"] in RISK_LEVELS
        assert result["model_version"] == "0.0.0-test"
        assert result["thresholds"] == {"screening": 0.3, "balanced": 0.6}
        assert result["quality_issues"] == []
        assert result["photo_kind"] is None
        # The kind of lesion: one calibrated probability per class, the top one named.
        probabilities = result["class_probabilities"]
        assert list(probabilities) == list(LESION_CLASSES)
        assert sum(probabilities.values()) == pytest.approx(1.0)
        assert result["lesion_class"] == max(probabilities, key=probabilities.__getitem__)
        assert result["melanoma_probability"] == probabilities["melanoma"]
        malignant = sum(probabilities[name] for name in ("melanoma", "bcc", "scc", "akiec"))
        assert result["malignant_probability"] == pytest.approx(malignant)
        assert result["second_class"] is None or result["second_class"] in LESION_CLASSES
    assert results[0]["class_probabilities"] == results[1]["class_probabilities"]


def test_the_photo_gate_refuses_the_drawn_example_and_says_why(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path
) -> None:
    exit_code, out, _ = predict(capsys, tiny_model_path, str(EXAMPLE), "--json")
    assert exit_code == 0
    (result,) = json.loads(out)
    # The example is drawn by code: the gate (trained with rendered pictures as "not
    # skin") refuses it, where the colour rules alone let it through.
    assert result["photo_kind"] == "not_skin"
    assert result["quality_issues"] == ["not_a_lesion"]
    # A program reading the JSON gets no risk level and no probability, but the reason.
    assert result["risk_level"] is None
    assert result["melanoma_probability"] is None
    for field in ("lesion_class", "second_class", "class_probabilities", "malignant_probability"):
        assert result[field] is None, field  # the same schema as an answered photo
    assert result["no_risk_reason"] == "not_a_lesion"
    exit_code, out, _ = predict(capsys, tiny_model_path, str(EXAMPLE))
    assert "example_lesion.jpg: no risk level (not_a_lesion; photo kind not_skin): " in out
    assert "the photo-type gate refused it; --no-gate shows the model alone" in out
    assert "melanoma probability" not in out


def test_missing_file_is_an_error_line_and_exit_code_1(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no_such_photo.jpg"

    exit_code, out, err = predict(capsys, tiny_model_path, str(missing))

    assert exit_code == 1
    assert f"{missing}: ERROR cannot read file: No such file or directory" in out
    assert "Traceback" not in out + err


def test_corrupt_file_is_an_error_line_and_exit_code_1(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10)

    exit_code, out, err = predict(capsys, tiny_model_path, str(corrupt))

    assert exit_code == 1
    assert re.search(rf"{re.escape(str(corrupt))}: ERROR invalid image \(\w+\)", out), out
    assert "Traceback" not in out + err


def test_one_bad_file_does_not_stop_the_others(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.png"

    exit_code, out, _ = predict(capsys, tiny_model_path, str(missing), str(MOLE), "--json")

    assert exit_code == 1
    missing_result, good_result = json.loads(out)
    assert missing_result["error"].startswith("cannot read file")
    assert "melanoma_probability" not in missing_result
    assert 0.0 <= good_result["melanoma_probability"] <= 1.0


def test_a_real_dermoscopic_photo_gets_a_risk_answer_through_the_gate(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path
) -> None:
    exit_code, out, _ = predict(capsys, tiny_model_path, str(MOLE), "--json")

    assert exit_code == 0
    (result,) = json.loads(out)
    assert result["photo_kind"] == "dermoscopy"
    assert result["quality_issues"] == []
    assert result["no_risk_reason"] is None
    assert result["risk_level"] in RISK_LEVELS


def test_a_photo_to_retake_says_so_and_keeps_the_schema(
    capsys: pytest.CaptureFixture[str], tiny_model_path: Path, tmp_path: Path
) -> None:
    dark = tmp_path / "dark.png"
    Image.new("RGB", (300, 300), (5, 5, 5)).save(dark)

    exit_code, out, _ = predict(capsys, tiny_model_path, str(dark))
    assert exit_code == 0
    assert "dark.png: no risk level (too_dark" in out
    assert "retake it: close up, in focus, in good light." in out

    exit_code, out, _ = predict(capsys, tiny_model_path, str(dark), "--json")
    (result,) = json.loads(out)
    assert result["no_risk_reason"] == "too_dark"
    assert result["risk_level"] is None and result["photo_kind"] is None
    assert result["model_version"] == "0.0.0-test"  # refused photos name the model too
