"""The codebase's shape: which package may import which, no import circles, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.shared_data import REPO_ROOT

PACKAGES = ("bot", "melnev", "model", "preprocessing", "training")
# Who may import whom among the project's packages (itself always).
ALLOWED = {
    "preprocessing": set(),
    "model": {"preprocessing"},
    "bot": {"model", "preprocessing"},
    "training": {"model", "preprocessing"},
    "melnev": {"bot", "model", "preprocessing", "training"},
}
MAX_LINES = 250


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every product module."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path: Path, name: str = "", *, top_level: bool = False) -> set[str]:
    """Modules `path` imports: anywhere in the file (lazy imports count too), or only those
    run when it is imported (`top_level`); `name` is its module name, for relative imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    found = set()
    for node in tree.body if top_level else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_imports(path: Path, name: str, *, top_level: bool = False) -> set[str]:
    """The project's own modules among `imports_of`."""
    found = imports_of(path, name, top_level=top_level)
    return {module for module in found if module.split(".")[0] in PACKAGES}


def test_packages_import_only_what_they_may() -> None:
    wrong = []
    for name, path in modules().items():
        package = name.split(".")[0]
        for imported in project_imports(path, name):
            target = imported.split(".")[0]
            if target != package and target not in ALLOWED[package]:
                wrong.append(f"{name} imports {imported}")
    assert not wrong, wrong


def test_no_import_reaches_up_by_string() -> None:
    by_string = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if called not in ("import_module", "__import__"):
                continue
            argument = node.args[0] if node.args else None
            text = ""
            if isinstance(argument, ast.Constant):
                text = str(argument.value)
            elif isinstance(argument, ast.JoinedStr):
                first = argument.values[0]
                text = str(first.value) if isinstance(first, ast.Constant) else ""
            if not text or text.split(".")[0] in PACKAGES:  # a project module, or unknown
                by_string.append(f"{name}:{node.lineno}")
    assert not by_string, by_string


def test_benchmarks_import_nothing_from_tests() -> None:
    wrong = [
        f"{path.name}: {module}"
        for path in sorted((REPO_ROOT / "benchmarks").glob("*.py"))
        for module in imports_of(path)
        if module.split(".")[0] == "tests"
    ]
    assert not wrong, wrong


def test_no_module_imports_itself_back_in_a_circle() -> None:
    known = modules()
    graph = {
        name: {m for m in project_imports(path, name, top_level=True) if m in known} - {name}
        for name, path in known.items()
    }

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for following in graph[node]:
                if following == start:
                    return [*trail, start]
                if following not in seen and not start.startswith(following + "."):
                    seen.add(following)
                    stack.append((following, [*trail, following]))
        return None

    circles = [circle for name in graph if (circle := circle_from(name))]
    # A package's __init__ re-exporting its modules is not a circle.
    circles = [c for c in circles if not all(c[0].startswith(m) or m.startswith(c[0]) for m in c)]
    assert not circles, circles[:3]


# bot.testing is the fake Bot API for tests and benchmarks, not served code.
@pytest.mark.parametrize("name", sorted(n for n in modules() if not n.startswith("bot.testing")))
def test_product_modules_stay_small(name: str) -> None:
    lines = modules()[name].read_text().count("\n")
    assert lines <= MAX_LINES, f"{name}: {lines} lines"
