"""The core (indexer/) never imports the GUI toolkit or the app; the command line loads Qt only for `gui`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6")
FORBIDDEN = (*QT, "app")


def _imports(path: Path) -> set[str]:
    """Top-level package names ``path`` imports anywhere (module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _loaded_after(statement: str, prefixes: tuple[str, ...]) -> list[str]:
    """Modules starting with one of ``prefixes`` that a fresh interpreter has loaded after ``statement``."""
    code = f"import sys\n{statement}\nprint(','.join(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return [m for m in out.stdout.splitlines()[-1].split(",") if m]  # the last line: what ``statement`` printed comes first


def test_indexer_sources_import_no_qt_and_no_app():
    sources = sorted((ROOT / "indexer").rglob("*.py"))
    assert len(sources) > 20 and not (ROOT / "indexer" / "cli.py").exists()  # the command line lives in app/cli
    offenders = {}
    for path in sources:
        bad = _imports(path) & set(FORBIDDEN)
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_importing_the_core_loads_no_qt_and_no_app():
    core = sorted(
        "indexer." + ".".join(p.relative_to(ROOT / "indexer").with_suffix("").parts)
        for p in (ROOT / "indexer").rglob("*.py")
        if p.name != "__init__.py" and p.parent.name != "__pycache__"
    )
    statement = "\n".join(f"import {name}" for name in core if not name.startswith("indexer.models.export"))
    assert "import indexer.library" in statement and "import indexer.watcher" in statement
    assert _loaded_after(statement, (*QT, "app")) == []


def test_the_command_line_loads_no_qt():
    """`photoseek --version` stays fast: Qt is imported only by `photoseek gui` (and numpy, Pillow and
    ONNX Runtime only by the commands that use the core)."""
    heavy = (*QT, "numpy", "PIL", "onnxruntime")
    assert _loaded_after("import app.cli", heavy) == []
    version = "from app.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(version, heavy) == []
    assert _loaded_after("from app.cli import build_parser\nbuild_parser().parse_args(['search', 'x'])", heavy) == []


def test_a_search_imports_no_migrations_and_no_heif_decoder():
    """A cold `photoseek search` imports what a search needs: sqlite_utils (migrations, in writers only),
    pillow_heif (the first decoded image registers it) and importlib.metadata are left out (about 0.1 s)."""
    reader = "import indexer.library_reader, indexer.search, app.cli.commands, app.cli.reading, app.cli.search_terms"
    assert _loaded_after(reader, ("sqlite_utils", "pillow_heif", "importlib.metadata")) == []
    decoded = ("from indexer.models.preprocess import open_image_file\n"
               "open_image_file('tests/fixtures/toyclip/config.json').close()")
    assert "pillow_heif" in _loaded_after(decoded, ("pillow_heif",))  # registered before any image is opened


MAX_MODULE_LINES = 450


def test_no_module_of_the_app_or_the_core_is_over_450_lines():
    """One responsibility per file: a module that grows past this is split, not stretched."""
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for top in ("indexer", "app")
        for path in (ROOT / top).rglob("*.py")
    }
    assert len(sizes) > 100
    assert {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES} == {}
