"""The writer's vector stores and what a reader of its process searches: ``WriterStores``, ``SharedIndexes``.

A reader in the writer's process (``Library.reader()``) searches the writer's
stores, so it sees photos the moment their batch is committed and no second
copy of an index is loaded.  It never opens, catches up or saves one: the
writer does.  When it hands out its reader, and whenever its settings change
(a model switch), the writer loads, on its own thread, the store of the model
that answers searches (``load_serving``); it keeps every store it loaded
current (the pipeline's batches, scans, folder removals) and saves it.  A
reader only takes a store the writer loaded (``SharedIndexes.search_index``).

A search for a model the writer has not loaded (one named for that search
alone) gets a private, in-memory, read-only copy instead, caught up from the
reader's catalog before each search, as a reader in another process keeps
them; it is dropped once the writer has loaded that model's store.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from indexer.catalog_reading import CatalogReading
from indexer.clip.model_choice import ModelChoice
from indexer.clip.vector_store import SearchIndex, VectorStore, VectorStores
from indexer.errors import ModelError

logger = logging.getLogger(__name__)


class WriterStores(VectorStores):
    """The writer's stores (writable), by model; ``shared()`` is what its readers search."""

    def __init__(self, directory: Path):
        super().__init__(directory, writable=True)
        self._handed_out = False

    def shared(self) -> SharedIndexes:
        """The view of these stores for a reader of this process (from now on, ``load_serving`` loads)."""
        self._handed_out = True
        return SharedIndexes(self)

    def load_serving(self, catalog: CatalogReading, models: ModelChoice) -> None:
        """Load the store of the model that answers searches, if a reader was handed out and it is not
        loaded yet (on the writer's thread, with the writer's catalog).  No model at hand: nothing to load."""
        if not self._handed_out:
            return
        try:
            encoder = models.serving_encoder(catalog)
            models.check_dim(catalog, encoder)
        except ModelError as exc:
            logger.debug("no vector index to load for searches: %s", exc)
            return
        self.get(encoder.model_id, encoder.dim, catalog)

    def loaded_store(self, model: str) -> VectorStore | None:
        """The store of ``model`` if it is loaded (waits while the writer is loading it)."""
        with self._lock:
            return self._stores.get(model)


class SharedIndexes:
    """A same-process reader's vector indexes: the stores the writer loaded (see the module doc)."""

    def __init__(self, writer: WriterStores):
        self._writer = writer
        self._lock = threading.Lock()
        self._private: dict[str, VectorStore] = {}  # models the writer has not loaded: read-only copies

    def search_index(self, model: str, dim: int, catalog: CatalogReading) -> SearchIndex:
        store = self._writer.loaded_store(model)
        if store is not None and store.dim == dim:
            if self._private:
                with self._lock:
                    self._private.pop(model, None)
            return store
        with self._lock:
            private = self._private.get(model)
            if private is None or private.dim != dim:
                logger.info("the writer has not loaded the vector index of %s: searching a private copy", model)
                private = self._private[model] = VectorStore.open(
                    self._writer.directory, model, dim, catalog, writable=False)
        private.catch_up(catalog)  # in memory, as a reader in another process does
        return private
