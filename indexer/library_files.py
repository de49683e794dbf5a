"""Where a library's files are: its folder and the catalog's name in it.

Shared by the writer (``Library``) and readers (``LibraryReader``), which
find a library the same way: ``--library``/the path given, else
``$PHOTOSEEK_LIBRARY``, else the user's data folder.
"""

from __future__ import annotations

from pathlib import Path

from indexer import paths

CATALOG_FILE = "catalog.sqlite"
FULL_CHECK_MAX_BYTES = 256 << 20  # catalogs up to this size get SQLite's quick check when opened


def library_dir(path: Path | str | None) -> Path:
    """``path`` (default: ``$PHOTOSEEK_LIBRARY`` or the data dir), absolute."""
    return (Path(path).expanduser() if path else paths.default_library_dir()).absolute()
