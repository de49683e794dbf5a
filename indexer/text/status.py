"""What the library reports about the text in its photos: counts for ``status`` and OCR failures."""

from __future__ import annotations

from indexer.catalog_reading import CatalogReading
from indexer.status import Failure
from indexer.text.reader import engine_version
from indexer.text.tables import PhotoTextTables

OCR_STAGE = "ocr"


def text_status(catalog: CatalogReading) -> dict[str, int]:
    """``ocr_done`` and ``ocr_pending`` for the current text-reading engine."""
    counts = PhotoTextTables(catalog).text_counts(engine_version())
    return {"ocr_done": counts["ocr_done"], "ocr_pending": counts["ocr_pending"]}


def text_failures(catalog: CatalogReading) -> list[Failure]:
    """Photos whose text could not be read (their CLIP vectors are unaffected), stage ``ocr``."""
    return [Failure(f.photo.path, f.reason, OCR_STAGE) for f in PhotoTextTables(catalog).text_failures()]
