"""The core never imports the GUI toolkit or the app (CONVENTIONS.md, napari-style contract)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "app")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_indexer_sources_import_no_qt_and_no_app():
    offenders = {}
    for path in sorted((ROOT / "indexer").rglob("*.py")):
        bad = _imports(path) & set(FORBIDDEN)
        if path.name == "cli.py":
            bad.discard("app")  # `photoseek gui` imports the app lazily, inside cmd_gui only
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_importing_the_core_loads_no_qt():
    code = (
        "import sys, indexer.library, indexer.cli, indexer.watcher, indexer.search\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'app'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""


def test_cli_imports_app_only_inside_the_gui_command():
    tree = ast.parse((ROOT / "indexer" / "cli.py").read_text(encoding="utf-8"))
    top_level = {
        node.module.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    }
    assert "app" not in top_level
