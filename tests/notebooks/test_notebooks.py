"""The notebooks run top to bottom with small settings, so they cannot rot.

Each notebook is executed by nbclient in a fresh `python3` kernel (this virtual
environment's ipykernel: jupyter_client starts the kernel with `sys.executable`),
with papermill-style parameters injected after the cell tagged "parameters".
The executed copy lives in memory only; the notebooks in the repository keep no
outputs.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from bot.texts import text
from model.loader import default_model_path
from tests.support.shared_data import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
CELL_TIMEOUT_SECONDS = 600

pytestmark = pytest.mark.slow


def execute_notebook(name: str, parameters: dict[str, Any], cwd: Path) -> nbformat.NotebookNode:
    """Execute notebooks/`name` in a fresh kernel started in `cwd`, with `parameters`."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    tagged = [
        index
        for index, cell in enumerate(notebook.cells)
        if "parameters" in cell.metadata.get("tags", [])
    ]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    lines = [f"{key} = {value!r}" for key, value in parameters.items()]
    lines.append("import sys as _sys\nprint('kernel python:', _sys.executable)")
    injected = nbformat.v4.new_code_cell("\n".join(lines))
    injected.metadata["tags"] = ["injected-parameters"]
    notebook.cells.insert(tagged[0] + 1, injected)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return notebook


def outputs_of(notebook: nbformat.NotebookNode, kind: str) -> list[Any]:
    """Every output of `kind` ("stream", "display_data", "error", ...) in order."""
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.output_type == kind
    ]


def stdout_of(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed to stdout."""
    return "".join(
        output.text for output in outputs_of(notebook, "stream") if output.name == "stdout"
    )


def png_count(notebook: nbformat.NotebookNode) -> int:
    """How many PNG images the notebook displayed."""
    shown = outputs_of(notebook, "display_data") + outputs_of(notebook, "execute_result")
    return sum("image/png" in output.get("data", {}) for output in shown)


def check_ran_cleanly(notebook: nbformat.NotebookNode) -> None:
    """No error outputs, and the kernel was this virtual environment's Python."""
    assert outputs_of(notebook, "error") == []
    assert f"kernel python: {sys.executable}" in stdout_of(notebook)


@pytest.mark.parametrize("name", ["testModel.ipynb", "train.ipynb"])
def test_committed_notebooks_have_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def check_test_model_outputs(notebook: nbformat.NotebookNode, model_version: str) -> None:
    printed = stdout_of(notebook)
    assert f"version {model_version}" in printed
    assert "mole_ISIC_0033971.jpg" in printed
    assert re.search(r"^Quality: (ok|issues )", printed, re.MULTILINE)
    assert re.search(r"^Classes: nevus, melanoma", printed, re.MULTILINE)
    # One line per class with its probability, then the most likely kind and the level.
    probabilities = re.findall(r"^P\((\w+)\) = ([0-9.]+) ", printed, re.MULTILINE)
    assert len({name for name, _ in probabilities}) == len(probabilities) >= 2
    assert abs(sum(float(p) for _, p in probabilities) - 1.0) < 0.01
    assert re.search(r"^Most likely: ", printed, re.MULTILINE)
    assert re.search(r"^Risk level: (low|moderate|high) ", printed, re.MULTILINE)
    # The bot's answer: its level line, how often that level was given, the disclaimer.
    assert re.search(r"^Risk: (LOW|MODERATE|HIGH)", printed, re.MULTILINE)
    assert text("en", "level_share", melanomas=0, moles=0).split("0%")[0] in printed
    assert text("en", "disclaimer") in printed
    assert png_count(notebook) == 4  # image, hair removal, class probabilities, Grad-CAM


def test_test_model_notebook_with_tiny_model_from_notebooks_folder(tiny_model_path: Path) -> None:
    # Started in notebooks/: the default IMAGE_PATH is still found from the repository root.
    notebook = execute_notebook(
        "testModel.ipynb", {"MODEL_PATH": str(tiny_model_path)}, cwd=NOTEBOOKS
    )

    check_ran_cleanly(notebook)
    check_test_model_outputs(notebook, "0.0.0-test")


def test_test_model_notebook_with_shipped_model_from_repo_root() -> None:
    if not default_model_path().is_file():
        pytest.skip(f"shipped model not trained yet: {default_model_path()} is absent")
    card = json.loads(default_model_path().with_name("melnev.card.json").read_text())

    notebook = execute_notebook("testModel.ipynb", {}, cwd=REPO_ROOT)

    check_ran_cleanly(notebook)
    check_test_model_outputs(notebook, card["model_version"])


def test_train_notebook_without_data_skips_its_data_cells(tmp_path: Path) -> None:
    missing = tmp_path / "no-data-here"
    out = tmp_path / "run"

    notebook = execute_notebook(
        "train.ipynb", {"DATA_DIR": str(missing), "OUT": str(out)}, cwd=REPO_ROOT
    )

    check_ran_cleanly(notebook)
    assert f"Data folder not found: {missing}" in stdout_of(notebook)
    assert png_count(notebook) == 0
    assert not out.exists()


def test_train_notebook_short_training(shared_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    parameters = {
        "DATA_DIR": str(shared_data_dir),
        "LIMIT": 8,
        "EPOCHS": 1,
        "OUT": str(out),
        "IMAGE_SIZE": 64,
    }

    notebook = execute_notebook("train.ipynb", parameters, cwd=NOTEBOOKS)

    check_ran_cleanly(notebook)
    printed = stdout_of(notebook)
    assert "Kept 32 images for this walk-through" in printed  # 8 x 2 sources x 2 classes
    assert "Training finished with exit code 0" in printed
    assert png_count(notebook) == 3  # augmentation grid, training curves, confusion matrix
    tables = [output.data["text/html"] for output in outputs_of(notebook, "display_data")
              if "text/html" in output.get("data", {})]  # fmt: skip
    assert len(tables) == 4  # data counts, split, epochs, test metrics
    assert "HAM10000 melanoma" in tables[1] and "lesions" in tables[1]
    assert (out / "melnev.keras").is_file() and (out / "melnev.card.json").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    with (out / "split.csv").open() as handle:
        tested = {row["source"] for row in csv.DictReader(handle) if row["split"] == "test"}
    assert tested and set(metrics["test"]["by_source"]) == tested
    assert "balanced accuracy" in tables[3] and "melanoma vs mole AUC" in tables[3]
