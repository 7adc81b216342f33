"""The house's floors: imports run downward only (frontend → steps → clients → kernteam), and
the demo sits on top. A module that imports a floor above its own fails here, wherever in the
module the import is written (top of file or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["kernteam", "clients", "steps", "frontend", "demo"]  # bottom to top


def imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & set(FLOORS)


@pytest.mark.parametrize("app", FLOORS)
def test_an_app_imports_only_the_floors_below_it(app):
    above = set(FLOORS[FLOORS.index(app) + 1 :])
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & above)
        for path in sorted((ROOT / app).rglob("*.py"))
        if imported_apps(path) & above
    }
    assert wrong == {}


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from steps.models import Trajectory\n")
    assert imported_apps(module) == {"steps"}
