"""Index a folder into a new library with a test model, text reading off (most tests are not about OCR)."""

from __future__ import annotations

from pathlib import Path

from indexer.library import Library
from indexer.progress import Progress


def index_without_text(library: Path, photos: Path | None, bundle: Path) -> list[Progress]:
    """Open (or create) ``library``, use ``bundle``'s model, turn text reading off and index ``photos``
    (None: only set the library up).  Returns the sync's progress reports."""
    with Library.open(library) as lib:
        lib.use_model(str(bundle))
        lib.settings.ocr = False
        lib.save_settings()
        return list(lib.index([photos])) if photos is not None else []
