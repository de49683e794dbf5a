"""A cold search's two big loads, side by side: the text model's session and the vector index.

A command that searches by itself (``photoseek search`` with no running
Photoseek to ask) must create the text tower's ONNX Runtime session (read and
optimise a graph of ~250 MB for ViT-B-32) and load the HNSW index (read,
checksum and load ~220 MB at 100,000 photos) before it can answer.  Neither
needs the other, and both spend most of their time outside the GIL (ONNX
Runtime's graph loading and optimisation, file reads, CRC-32), so
``loading_text_model`` starts the session on a thread of its own while the
caller loads the index.  Measured in docs/performance.md ("Searching from the
command line").

A failure on that thread is not lost: the search creates the session again
on its own thread and raises the error there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .models.encoder import Encoder
from .search import Query

logger = logging.getLogger(__name__)


def needs_text_model(query: Query) -> bool:
    """Whether answering ``query`` runs the text tower (words to look for or to avoid)."""
    return bool(query.text.strip() or query.negatives)


@contextmanager
def loading_text_model(encoder: Encoder, query: Query) -> Iterator[None]:
    """Create ``encoder``'s text session on another thread while the body runs (when ``query`` needs it)."""
    if not needs_text_model(query):
        yield
        return

    def load() -> None:
        try:
            encoder.load_text_tower()
        except Exception as exc:  # noqa: BLE001 - the search loads it again and reports the error itself
            logger.debug("loading the text model ahead of the search failed: %s", exc)

    thread = threading.Thread(target=load, name="photoseek-text-model", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
